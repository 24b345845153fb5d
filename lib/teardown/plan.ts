/**
 * What belongs to the configured cluster, and so what a teardown removes: the model's VMs (the APT cache
 * only when asked), their generated folders, the stack's Terraform state and the inventory. Everything is
 * derived from the model, never from what happens to lie in the folders.
 */
import { ClusterModel } from "../config/model";

export const CLUSTER_STACK = "k8s-cluster";
export const APT_CACHE_STACK = "apt-cache";

export interface TeardownVm {
  readonly name: string;
  /** Project-relative, as in the model. */
  readonly vmDir: string;
  readonly vmx: string;
  readonly seedIso: string;
  readonly generatedDir: string;
}

export interface TeardownScope {
  /** Also remove the APT cache VM, its generated folder and its stack's state. */
  readonly includeAptCache?: boolean;
  /** Also remove the downloaded base images. */
  readonly purgeImages?: boolean;
}

export interface TeardownPlan {
  readonly vmsDir: string;
  readonly generatedDir: string;
  readonly vms: readonly TeardownVm[];
  /** Project-relative Terraform state files (and their backups). */
  readonly stateFiles: readonly string[];
  readonly inventoryFile: string;
  /** Snapshot-set manifests: they describe snapshots of the cluster VMs, which are gone after a teardown. */
  readonly snapshotManifestsDir: string;
  /** Set with purgeImages. */
  readonly baseImagesDir?: string;
}

export const stateFilesOf = (stack: string) => [`terraform.${stack}.tfstate`, `terraform.${stack}.tfstate.backup`];

export function planTeardown(model: ClusterModel, scope: TeardownScope = {}): TeardownPlan {
  const specs = scope.includeAptCache ? [...model.vms, model.aptCache.vm] : [...model.vms];
  return {
    vmsDir: model.paths.vmsDir,
    generatedDir: model.paths.generatedDir,
    vms: specs.map((vm) => ({ name: vm.name, vmDir: vm.vmDir, vmx: vm.vmxPath, seedIso: vm.seedIsoPath, generatedDir: vm.generatedDir })),
    stateFiles: [...stateFilesOf(CLUSTER_STACK), ...(scope.includeAptCache ? stateFilesOf(APT_CACHE_STACK) : [])],
    inventoryFile: model.paths.inventoryFile,
    snapshotManifestsDir: `${model.paths.generatedDir}/snapshots`,
    baseImagesDir: scope.purgeImages ? model.paths.baseImagesDir : undefined,
  };
}

/** The VM a `*.vmwarevm` folder name stands for, if it is one of the plan's; others are not the cluster's. */
export function planVmOfFolder(plan: TeardownPlan, folderName: string): TeardownVm | undefined {
  if (!folderName.endsWith(".vmwarevm")) return undefined;
  const name = folderName.slice(0, -".vmwarevm".length);
  return plan.vms.find((vm) => vm.name === name);
}

/**
 * What belongs to the configured cluster, and so what a teardown removes: the model's VMs (the APT cache
 * only when asked), their generated folders, the stack's Terraform state and the inventory; and VMs
 * left in the project's VMs folder by an earlier config (see findOrphanVms). Paths are derived from the
 * model and the VM names, never taken from what lies in the folders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ClusterModel } from "../../model/config/model";
import { HOSTNAME } from "../../model/config/schema";

export const CLUSTER_STACK = "k8s-cluster";
export const APT_CACHE_STACK = "apt-cache";

export interface TeardownVm {
  readonly name: string;
  /** Project-relative, as in the model. */
  readonly vmDir: string;
  readonly vmx: string;
  readonly seedIso: string;
  readonly generatedDir: string;
  /** In the VMs folder (vSphere: the lab's folder) but no longer in the config (removed from `vms`). */
  readonly orphan?: boolean;
  /** vSphere: the VM's inventory path, what the sweep destroys (its local VM paths are never there). */
  readonly inventoryPath?: string;
}

export interface TeardownScope {
  /** Also remove the APT cache VM, its generated folder and its stack's state. */
  readonly includeAptCache?: boolean;
  /** Also remove the downloaded base images. */
  readonly purgeImages?: boolean;
  /** Also remove VMs of an earlier config found in the VMs folder (see findOrphanVms). */
  readonly includeOrphans?: boolean;
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

/** A stack's Terraform state file in the project folder (stacks/stack-base.ts's LocalBackend). */
export const stateFileOf = (stack: string) => `terraform.${stack}.tfstate`;
const stateFilesOf = (stack: string) => [stateFileOf(stack), `${stateFileOf(stack)}.backup`];

/**
 * VMs of an earlier config: `<name>.vmwarevm` folders in the project's VMs folder whose name is a valid
 * VM name but no configured VM's (nor the APT cache's). Terraform cannot remove them: when a VM leaves
 * the config, its resources leave with their destroy provisioners, so the VM stays registered and on
 * disk. They are removed only when asked (`--orphans`): a folder the user put there by hand looks the
 * same.
 */
export function findOrphanVms(projectRoot: string, model: ClusterModel): TeardownVm[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.resolve(projectRoot, model.paths.vmsDir));
  } catch {
    return [];
  }
  const known = new Set([...model.vms, model.aptCache.vm].map((vm) => vm.name));
  return names
    .filter((n) => n.endsWith(".vmwarevm"))
    .map((n) => n.slice(0, -".vmwarevm".length))
    .filter((name) => HOSTNAME.test(name) && !known.has(name))
    .filter((name) =>
      fs.lstatSync(path.resolve(projectRoot, model.paths.vmsDir, `${name}.vmwarevm`)).isDirectory(),
    )
    .sort()
    .map((name) => orphanVm(model, name));
}

/** A VM of an earlier config named `name`: its paths where the model puts a VM of that name. */
export function orphanVm(model: ClusterModel, name: string): TeardownVm {
  const vmDir = `${model.paths.vmsDir}/${name}.vmwarevm`;
  return {
    name,
    vmDir,
    vmx: `${vmDir}/${name}.vmx`,
    seedIso: `${vmDir}/seed.iso`,
    generatedDir: `${model.paths.generatedDir}/${name}`,
    orphan: true,
  };
}

/** A plan that holds only `orphans` (no state, inventory or manifests): what `deploy --remove-orphans` removes. */
export function planOrphanRemoval(model: ClusterModel, orphans: readonly TeardownVm[]): TeardownPlan {
  return { ...planTeardown(model), vms: [...orphans], stateFiles: [] };
}

export function planTeardown(
  model: ClusterModel,
  scope: TeardownScope = {},
  projectRoot?: string,
): TeardownPlan {
  const specs = scope.includeAptCache ? [...model.vms, model.aptCache.vm] : [...model.vms];
  const orphans = scope.includeOrphans && projectRoot !== undefined ? findOrphanVms(projectRoot, model) : [];
  return {
    vmsDir: model.paths.vmsDir,
    generatedDir: model.paths.generatedDir,
    vms: [
      ...specs.map((vm) => ({
        name: vm.name,
        vmDir: vm.vmDir,
        vmx: vm.vmxPath,
        seedIso: vm.seedIsoPath,
        generatedDir: vm.generatedDir,
      })),
      ...orphans,
    ],
    stateFiles: [
      ...stateFilesOf(CLUSTER_STACK),
      ...(scope.includeAptCache ? stateFilesOf(APT_CACHE_STACK) : []),
    ],
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

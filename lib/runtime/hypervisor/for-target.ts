import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterModel, VmSpec } from "../../model/config/model";
import { vsphereVmPath } from "../../model/config/vsphere-paths";
import { GovcDriver } from "./govc/driver";
import { missingCredentials } from "./govc/environment";
import { Hypervisor, VmInventory } from "./hypervisor";
import { VmrunDriver } from "./vmrun/driver";

/** The hypervisor of the config's target, and how it names the model's VMs. */
export interface TargetHypervisor {
  readonly hypervisor: Hypervisor;
  /** Every VM in the lab's vSphere folder (teardown's orphan sweep); undefined on Fusion, whose VMs are folders on disk. */
  readonly inventory?: VmInventory;
  /** A VM's locator: its absolute .vmx path (Fusion) or its inventory path `/<dc>/vm/<folder>/<name>` (vSphere). */
  locatorOf(vm: Pick<VmSpec, "name" | "vmxPath">): string;
}

export interface HypervisorForOptions {
  /** Deadline of one call, in ms. @default Fusion: VMRUN_TIMEOUT_SECONDS or its default; vSphere: 120 s */
  readonly timeoutMs?: number;
  readonly isExecutable?: (p: string) => boolean;
}

/**
 * The one place that chooses a driver by the config's target: VmrunDriver on fusion (vmrun located as its
 * driver documents), GovcDriver on vsphere (govc located through $GOVC and PATH, its environment built from
 * the vsphere block and VSPHERE_USER / VSPHERE_PASSWORD, which must be set). Touches nothing.
 */
export function hypervisorFor(
  model: ClusterModel,
  projectRoot: string,
  env?: NodeJS.ProcessEnv,
  opts: HypervisorForOptions = {},
): TargetHypervisor {
  const root = path.resolve(projectRoot);
  if (model.target === "vsphere") {
    const site = model.vsphere;
    if (site === undefined)
      throw new Error("target vsphere without a vsphere block: build the model with buildClusterModel");
    const missing = missingCredentials(env ?? process.env);
    if (missing.length > 0)
      throw new Error(
        `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set: export the vCenter account the lab uses (export VSPHERE_USER=... VSPHERE_PASSWORD=...) and run the command again`,
      );
    const driver = GovcDriver.forSite(site, {
      env,
      isExecutable: opts.isExecutable,
      timeoutMs: opts.timeoutMs,
    });
    return {
      hypervisor: driver,
      inventory: driver,
      locatorOf: locatorFor(model, root),
    };
  }
  const locatorOf = locatorFor(model, root);
  const located = VmrunDriver.fromEnvironment({ cwd: root, env, isExecutable: opts.isExecutable });
  // fromEnvironment takes its deadline from VMRUN_TIMEOUT_SECONDS; a caller's own deadline wins.
  const driver =
    opts.timeoutMs === undefined
      ? located
      : new VmrunDriver({
          binary: located.binary,
          hostType: located.hostType,
          timeoutMs: opts.timeoutMs,
          cwd: root,
          env,
        });
  return { hypervisor: driver, locatorOf };
}

/** How the target names the model's VMs, without its tool: the absolute .vmx path, or the inventory path. */
export function locatorFor(
  model: ClusterModel,
  projectRoot: string,
): (vm: Pick<VmSpec, "name" | "vmxPath">) => string {
  const root = path.resolve(projectRoot);
  const site = model.vsphere;
  if (model.target === "vsphere" && site !== undefined) return (vm) => vsphereVmPath(site, vm.name);
  return (vm) => path.resolve(root, vm.vmxPath);
}

/**
 * Whether a VM exists, asked without the hypervisor's tool where the answer is on disk (Fusion: its
 * .vmx, so read-only views work without VMware), else of the hypervisor (vSphere: vCenter).
 */
export function builtCheckFor(
  model: ClusterModel,
  hypervisor: () => Hypervisor,
): (locator: string) => Promise<boolean> {
  if (model.target === "fusion") return (locator) => Promise.resolve(fs.existsSync(locator));
  return (locator) => hypervisor().isBuilt(locator);
}

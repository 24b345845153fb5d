import * as fs from "node:fs";
import * as path from "node:path";
import { assertRemovableVmDir, isStrictlyInside, removeVmDir, resolveInside } from "../fs/path-guard";
import { Hypervisor } from "../hypervisor/hypervisor";

export interface DestroyVmOptions {
  readonly projectRoot: string;
  /** Project-relative folder holding every VM folder; nothing outside it is removed. */
  readonly vmsDir: string;
  /** Project-relative VM folder (`<vmsDir>/<name>.vmwarevm`). */
  readonly vmDir: string;
  /** Project-relative .vmx inside vmDir. */
  readonly vmx: string;
  readonly log: (message: string) => void;
}

/**
 * Removes a VM for good: hard stop, `deleteVM` (which also unregisters it), then the folder. Every
 * step tolerates a VM that is already off or gone, so a half-done destroy can simply be run again.
 * The path guard runs before any vmrun call: nothing outside the VMs folder is ever touched.
 */
export async function destroyVm(driver: Hypervisor, opts: DestroyVmOptions): Promise<void> {
  const { vmDirAbs, vmxAbs } = guardedPaths(opts);
  if (await driver.isRunning(vmxAbs)) {
    const how = await driver.stopIfRunning(vmxAbs);
    opts.log(`stopped (${how})`);
  }
  if (fs.existsSync(vmxAbs)) {
    const deleted = await driver.deleteVmIfPresent(vmxAbs);
    opts.log(deleted ? "deleted from VMware (deleteVM)" : "VMware no longer knew the VM");
  }
  if (isPresent(vmDirAbs)) {
    await removeVmDir(opts.projectRoot, opts.vmsDir, opts.vmDir);
    opts.log(`removed ${opts.vmDir}`);
  } else {
    opts.log(`${opts.vmDir} was already gone`);
  }
}

/** lstat, so a dangling symlink counts as present (and is then refused by the guard). */
function isPresent(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The VM folder and .vmx, checked. The guard resolves symlinks and so needs the folders to exist;
 * a VM folder that is already gone (an earlier run, or deleted by hand) gets the same rules on the
 * path as spelled, since nothing will be removed through it.
 */
function guardedPaths(opts: DestroyVmOptions): { vmDirAbs: string; vmxAbs: string } {
  const root = path.resolve(opts.projectRoot);
  if (isPresent(path.resolve(root, opts.vmDir))) {
    const vmDirAbs = assertRemovableVmDir(root, opts.vmsDir, opts.vmDir);
    return { vmDirAbs, vmxAbs: resolveInside(vmDirAbs, opts.vmx, { label: "VMX path", base: root }) };
  }
  const vmsAbs = resolveInside(root, opts.vmsDir, { label: "VMs directory" });
  const vmDirAbs = resolveInside(root, opts.vmDir, { label: "VM directory" });
  if (!isStrictlyInside(vmsAbs, vmDirAbs)) {
    throw new Error(
      `VM directory=${JSON.stringify(opts.vmDir)} resolves to ${vmDirAbs}, outside ${vmsAbs}: refusing it; only VM bundles under ${vmsAbs} are removed`,
    );
  }
  if (path.extname(vmDirAbs) !== ".vmwarevm") {
    throw new Error(
      `VM directory ${JSON.stringify(opts.vmDir)} does not end in .vmwarevm: refusing it; only VM bundles under ${vmsAbs} are removed`,
    );
  }
  const vmxAbs = path.resolve(root, opts.vmx);
  if (!isStrictlyInside(vmDirAbs, vmxAbs)) {
    throw new Error(
      `VMX path=${JSON.stringify(opts.vmx)} resolves to ${vmxAbs}, outside ${vmDirAbs}: use the .vmx inside the VM folder`,
    );
  }
  return { vmDirAbs, vmxAbs };
}

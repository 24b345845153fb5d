/**
 * The part of a teardown that does not trust Terraform: every VM folder of the plan that is still there
 * (or still running) is stopped, deleted through vmrun and removed, then the generated folders, the state
 * and the inventory go. Every removal goes through the path guard; a refusal is a failed row, never a
 * removal somewhere else.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isStrictlyInside, resolveInside } from "../../runtime/fs/path-guard";
import { destroyVm } from "../../runtime/vm/destroy";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { planVmOfFolder, TeardownPlan, TeardownVm } from "./plan";

export type ItemOutcome = "removed" | "already gone" | "failed";
export interface TeardownRow {
  readonly item: string;
  readonly outcome: ItemOutcome;
  readonly detail: string;
}

export type TeardownLog = (item: string, message: string) => void;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** lstat, so a dangling symlink counts as present. */
export function isPresent(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Running .vmx paths inside `dirAbs` (case-insensitive, as vmrun's paths on macOS). */
export function runningInside(running: readonly string[], dirAbs: string): string[] {
  const dir = path.normalize(dirAbs).toLowerCase();
  return running.filter((p) => isStrictlyInside(dir, path.normalize(p).toLowerCase()));
}

/** The plan's VMs whose folder is in the VMs folder, by name; folders of other names are not looked at. */
function presentFolders(projectRoot: string, plan: TeardownPlan): Set<string> {
  const vmsAbs = path.resolve(projectRoot, plan.vmsDir);
  let names: string[] = [];
  try {
    names = fs.readdirSync(vmsAbs);
  } catch {
    // no VMs folder: nothing to sweep
  }
  return new Set(names.map((n) => planVmOfFolder(plan, n)?.name).filter((n): n is string => n !== undefined));
}

async function sweepVm(
  driver: Hypervisor,
  projectRoot: string,
  plan: TeardownPlan,
  vm: TeardownVm,
  running: readonly string[],
  log: TeardownLog,
): Promise<TeardownRow> {
  const vmDirAbs = path.resolve(projectRoot, vm.vmDir);
  try {
    // A VM registered under another .vmx name in the folder would keep the folder busy: stop it first.
    const modelVmx = path.normalize(path.resolve(projectRoot, vm.vmx)).toLowerCase();
    for (const other of runningInside(running, vmDirAbs).filter(
      (p) => path.normalize(p).toLowerCase() !== modelVmx,
    )) {
      resolveInside(path.resolve(projectRoot, plan.vmsDir), other, { label: "running VM" });
      log(vm.name, `stopping ${other} (${await driver.stopIfRunning(other)})`);
    }
    await destroyVm(driver, {
      projectRoot,
      vmsDir: plan.vmsDir,
      vmDir: vm.vmDir,
      vmx: vm.vmx,
      log: (m) => log(vm.name, m),
    });
    return { item: vm.vmDir, outcome: "removed", detail: "stopped if running, deleteVM, folder removed" };
  } catch (err) {
    log(vm.name, `failed: ${message(err)}`);
    return { item: vm.vmDir, outcome: "failed", detail: message(err) };
  }
}

/** Removes each plan VM still present on disk or in `vmrun list`; one row per plan VM. */
export async function sweepVms(
  driver: Hypervisor,
  projectRoot: string,
  plan: TeardownPlan,
  log: TeardownLog,
): Promise<TeardownRow[]> {
  const root = path.resolve(projectRoot);
  let running: string[] = [];
  try {
    running = await driver.listRunning();
  } catch (err) {
    log("vmrun", `cannot list running VMs (${message(err)}); each VM is still stopped if vmrun says it runs`);
  }
  const present = presentFolders(root, plan);
  const rows: TeardownRow[] = [];
  for (const vm of plan.vms) {
    const vmDirAbs = path.resolve(root, vm.vmDir);
    if (!present.has(vm.name) && !isPresent(vmDirAbs) && runningInside(running, vmDirAbs).length === 0) {
      rows.push({ item: vm.vmDir, outcome: "already gone", detail: "no folder, not running" });
      continue;
    }
    rows.push(await sweepVm(driver, root, plan, vm, running, log));
  }
  return rows;
}

/** Removes one guarded path (file or folder); `resolve` throws when the path may not be removed. */
function removeGuarded(item: string, resolve: () => string, log: TeardownLog): TeardownRow {
  try {
    const abs = resolve();
    if (!isPresent(abs)) return { item, outcome: "already gone", detail: "not there" };
    fs.rmSync(abs, { recursive: true, force: true });
    log(item, "removed");
    return { item, outcome: "removed", detail: abs };
  } catch (err) {
    log(item, `failed: ${message(err)}`);
    return { item, outcome: "failed", detail: message(err) };
  }
}

/** Removes `rel`, which must lie inside the plan's generated directory. */
function removeGenerated(root: string, plan: TeardownPlan, rel: string, label: string, log: TeardownLog) {
  return removeGuarded(
    rel,
    () =>
      resolveInside(resolveInside(root, plan.generatedDir, { label: "generated directory" }), rel, {
        label,
        base: root,
      }),
    log,
  );
}

/** The generated folders of the plan's VMs. */
export function removeGeneratedFolders(
  projectRoot: string,
  plan: TeardownPlan,
  log: TeardownLog,
): TeardownRow[] {
  const root = path.resolve(projectRoot);
  return plan.vms.map((vm) => removeGenerated(root, plan, vm.generatedDir, "generated folder", log));
}

/** The generated folders of the plan's VMs, the state files, the inventory, the snapshot manifests and (when asked) the base images. */
export function removeFiles(projectRoot: string, plan: TeardownPlan, log: TeardownLog): TeardownRow[] {
  const root = path.resolve(projectRoot);
  const rows = removeGeneratedFolders(projectRoot, plan, log);
  for (const file of plan.stateFiles)
    rows.push(removeGuarded(file, () => resolveInside(root, file, { label: "state file" }), log));
  rows.push(
    removeGuarded(
      plan.inventoryFile,
      () => resolveInside(root, plan.inventoryFile, { label: "inventory file" }),
      log,
    ),
  );
  rows.push(removeGenerated(root, plan, plan.snapshotManifestsDir, "snapshot manifests", log));
  if (plan.baseImagesDir !== undefined) {
    const dir = plan.baseImagesDir;
    rows.push(removeGuarded(dir, () => resolveInside(root, dir, { label: "base images directory" }), log));
  }
  return rows;
}

/**
 * What the snapshot-set operations share (create-set.ts, list-sets.ts, rollback-set.ts, delete-set.ts;
 * their common course is set-run.ts):
 * one snapshot of the same name on every cluster VM, taken, rolled back and deleted together. Every
 * vmrun call has a deadline, and a call cut off by its deadline is judged by what `listSnapshots`
 * shows afterwards, not assumed.
 */
import { startOrder } from "../../model/config/build-model";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { readManifest, removeManifest, writeManifest } from "./manifest";
import { SnapshotTarget, VmResult } from "./types";

export interface SnapshotOptions {
  /** Deadline of each vmrun call, in ms. */
  readonly timeoutMs: number;
  /** Directory of the set manifests (`<generated>/snapshots`). */
  readonly manifestDir: string;
  readonly onProgress?: (vm: string, message: string) => void;
}

export const done = (vm: string, detail: string): VmResult => ({ vm, outcome: "done", detail });
export const failed = (vm: string, detail: string): VmResult => ({ vm, outcome: "failed", detail });
export const unknown = (vm: string, detail: string): VmResult => ({ vm, outcome: "unknown", detail });
export const skipped = (vm: string, detail: string): VmResult => ({ vm, outcome: "skipped", detail });

export const isBad = (r: VmResult) => r.outcome === "failed" || r.outcome === "unknown";
export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
export const seconds = (ms: number) => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
export { isTimeout } from "../../runtime/hypervisor/errors";

/** A snapshot command as the user types it, for the fixes the messages name. */
export const snapshotCli = (args: string) => `npm run snapshot -- ${args}`;

/** The command that starts every VM that is off (in start order), for VMs a set operation left off. */
export const START_ALL = "npm run manager -- start-all";

/** What to tell the user about a VM whose vmrun call hung (the usual cause is a dialog in Fusion). */
export const dialogHint = (vm: string) => `open VMware Fusion, close any dialog or window of ${vm}`;
export const cutOffText = (command: string, vm: string, timeoutMs: number) =>
  `vmrun ${command} ${vm} did not answer within ${seconds(timeoutMs)} and was stopped`;

export function checkTargets(targets: readonly SnapshotTarget[]): void {
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.name))
      throw new Error(`VM ${t.name} is listed twice among the snapshot targets: each VM may appear once`);
    seen.add(t.name);
  }
}

/** The targets named in `vms` (all when undefined); an unknown name is an error before anything is done. */
export function choose(
  targets: readonly SnapshotTarget[],
  vms: readonly string[] | undefined,
): SnapshotTarget[] {
  if (vms === undefined || vms.length === 0) return [...targets];
  const known = new Set(targets.map((t) => t.name));
  const missing = vms.filter((v) => !known.has(v));
  if (missing.length > 0) {
    throw new Error(
      `unknown VM ${missing.join(", ")}: choose among ${targets.map((t) => t.name).join(", ")}`,
    );
  }
  const wanted = new Set(vms);
  return targets.filter((t) => wanted.has(t.name));
}

/** Cache, masters, workers, gateways. */
export function inStartOrder(targets: readonly SnapshotTarget[]): SnapshotTarget[] {
  return startOrder(targets);
}

export async function runningVmxs(driver: Hypervisor, timeoutMs: number): Promise<Set<string>> {
  return new Set((await driver.listRunning({ timeoutMs })).map((p) => p.toLowerCase()));
}

export const isIn = (running: Set<string>, t: SnapshotTarget) => running.has(t.vmx.toLowerCase());

/** Drops `vms` from the manifest of `name` (they no longer hold it); removes the manifest when none is left. */
export async function forgetVms(manifestDir: string, name: string, vms: ReadonlySet<string>): Promise<void> {
  if (vms.size === 0) return;
  const manifest = await readManifest(manifestDir, name);
  if (manifest === undefined) return;
  const remaining = manifest.vms.filter((v) => !vms.has(v));
  if (remaining.length === 0) await removeManifest(manifestDir, name);
  else if (remaining.length !== manifest.vms.length)
    await writeManifest(manifestDir, { ...manifest, vms: remaining });
}

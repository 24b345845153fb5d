/**
 * Keeping the set records (the manifests) true to what the VMs hold. Every snapshot command starts here,
 * list included: a record written before its snapshots were taken (pending) whose snapshot is now on
 * every VM is complete; a record no VM holds any more is dropped. When repairing (create and delete),
 * what a killed run left half-done is finished too: the partial set of an interrupted or failed create
 * is deleted again (a set is all or nothing), and a set being deleted (by a prune or a delete) is
 * deleted from the VMs that still hold it.
 */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { isSnapshotNotFound, isVmNotFound } from "../../runtime/hypervisor/errors";
import { readManifests, removeManifest, writeManifest } from "./manifest";
import { SetManifest, SnapshotTarget } from "./types";
import { message, snapshotCli } from "./set-common";

/** VM name -> its snapshot names; undefined when they could not be listed. */
export type VmLists = Map<string, string[] | undefined>;

/** What a listing says of one set across the cluster VMs. */
export interface SetPresence {
  /** The VMs that hold it. */
  readonly holders: readonly string[];
  /** The VMs whose snapshots could not be listed. */
  readonly unlisted: readonly string[];
  /** Every VM was listed and holds it. */
  readonly everywhere: boolean;
}

export function presenceOf(targets: readonly SnapshotTarget[], lists: VmLists, set: string): SetPresence {
  const holders = targets.filter((t) => lists.get(t.name)?.includes(set)).map((t) => t.name);
  const unlisted = targets.filter((t) => lists.get(t.name) === undefined).map((t) => t.name);
  return { holders, unlisted, everywhere: holders.length === targets.length };
}

/** Every target's snapshots at once; a VM that is not there (never built) holds none. */
export async function listEvery(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  timeoutMs: number,
): Promise<{ lists: VmLists; errors: Map<string, unknown> }> {
  const settled = await Promise.allSettled(targets.map((t) => driver.listSnapshots(t.vmx, { timeoutMs })));
  const lists: VmLists = new Map();
  const errors = new Map<string, unknown>();
  settled.forEach((s, i) => {
    const vm = targets[i].name;
    if (s.status === "fulfilled") lists.set(vm, s.value);
    else if (isVmNotFound(s.reason)) lists.set(vm, []);
    else {
      lists.set(vm, undefined);
      errors.set(vm, s.reason);
    }
  });
  return { lists, errors };
}

export interface ReconcileOptions {
  readonly manifestDir: string;
  readonly timeoutMs: number;
  /** Also finish or undo what killed runs left half-done (create and delete); list and rollback only record. */
  readonly repair: boolean;
  /** A set the command itself is about to act on: recorded, never repaired here. */
  readonly except?: string;
  readonly progress: (vm: string, message: string) => void;
}

/**
 * Brings every record in line with `lists` (updated in place when repairs delete snapshots). Returns the
 * records as they stand afterwards, and one line per manifest that could not be read.
 */
export async function reconcileRecords(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  lists: VmLists,
  opts: ReconcileOptions,
): Promise<{ records: SetManifest[]; problems: string[] }> {
  const { manifests, problems } = await readManifests(opts.manifestDir);
  const records: SetManifest[] = [];
  for (const m of manifests) {
    const kept = await reconcileOne(driver, targets, lists, m, opts);
    if (kept !== undefined) records.push(kept);
  }
  return { records, problems };
}

async function reconcileOne(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  lists: VmLists,
  m: SetManifest,
  opts: ReconcileOptions,
): Promise<SetManifest | undefined> {
  const p = presenceOf(targets, lists, m.name);
  if (p.holders.length === 0 && p.unlisted.length === 0) {
    await removeManifest(opts.manifestDir, m.name); // no record outlives the snapshots it names
    return undefined;
  }
  if ((m.result === "pending" || m.result === "failed") && p.everywhere) {
    const complete: SetManifest = { ...m, result: "complete", vms: targets.map((t) => t.name) };
    await writeManifest(opts.manifestDir, complete); // taken everywhere: the run died before saying so
    return complete;
  }
  // A pending set is only undone when a VM is known to lack it: one that could not be listed may hold it.
  const partial = p.holders.length + p.unlisted.length < targets.length;
  const halfDone = m.result === "deleting" || (m.result !== "complete" && partial);
  if (!opts.repair || m.name === opts.except || !halfDone) return m;
  return finishDeleting(driver, targets, lists, m, p, opts);
}

/** Deletes set `m` from every VM that holds it; the record goes with the last one. */
async function finishDeleting(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  lists: VmLists,
  m: SetManifest,
  p: SetPresence,
  opts: ReconcileOptions,
): Promise<SetManifest | undefined> {
  const why =
    m.result === "deleting"
      ? `finishing the deletion of set ${m.name}, which a stopped run began`
      : `deleting set ${m.name} again: it is on ${p.holders.length} of ${targets.length} VMs (its create did not finish)`;
  const left = [...p.unlisted];
  await Promise.all(
    targets
      .filter((t) => p.holders.includes(t.name))
      .map(async (t) => {
        opts.progress(t.name, why);
        try {
          await driver.deleteSnapshot(t.vmx, m.name, { timeoutMs: opts.timeoutMs });
        } catch (err) {
          if (!isSnapshotNotFound(err)) {
            left.push(t.name);
            opts.progress(
              t.name,
              `could not delete ${m.name} (${message(err)}); the next snapshot create or delete tries again, or run ${snapshotCli(`delete ${m.name}`)}`,
            );
            return;
          }
        }
        lists.set(
          t.name,
          (lists.get(t.name) ?? []).filter((s) => s !== m.name),
        );
      }),
  );
  if (left.length === 0) {
    await removeManifest(opts.manifestDir, m.name);
    return undefined;
  }
  const rest: SetManifest = { ...m, result: m.result === "deleting" ? "deleting" : "failed", vms: left };
  await writeManifest(opts.manifestDir, rest);
  return rest;
}

/**
 * How a set stands, in one word: complete (on every VM, usable), incomplete (its record says complete but
 * a VM lacks it, e.g. rebuilt), interrupted (its create did not finish; the next create removes it),
 * deleting (its deletion did not finish; the next create or delete finishes it), unverified (a VM could
 * not be listed). Undefined for a set this tool did not make.
 */
export function setState(record: SetManifest | undefined, p: SetPresence): string | undefined {
  if (record === undefined) return undefined;
  if (record.result === "deleting") return "deleting";
  if (record.result !== "complete") return p.everywhere ? "complete" : "interrupted";
  if (p.everywhere) return "complete";
  return p.unlisted.length === 0 ? "incomplete" : "unverified";
}

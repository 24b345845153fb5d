/** Listing snapshot sets: each VM's power and snapshots, and which VM holds which set. */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { SnapshotTarget } from "./types";
import { checkTargets, isIn, runningVmxs } from "./set-common";
import { listEvery, presenceOf, reconcileRecords, setState } from "./records";

export interface ListSetsOptions {
  readonly manifestDir: string;
  readonly timeoutMs: number;
}

export interface VmSnapshots {
  vm: string;
  power: "on" | "off" | "unknown";
  /** Empty too when they could not be listed (then the VM is absent from every set's presence). */
  snapshots: string[];
}

export interface SetListing {
  name: string;
  createdAt?: string;
  /** The record's state (pending, complete, failed, deleting); undefined for a set this tool did not make. */
  result?: string;
  /**
   * How the set stands on the VMs: complete (usable), incomplete, interrupted, deleting or unverified
   * (see records.ts setState); undefined for a set this tool did not make.
   */
  state?: string;
  /** VM name -> whether the VM holds the snapshot; VMs whose snapshots could not be listed are left out. */
  presence: Record<string, boolean>;
}

export interface SnapshotListing {
  vms: VmSnapshots[];
  sets: SetListing[];
}

/**
 * Every set known from a record or found on a VM, with which VM holds it, and each VM's snapshots and
 * power. The records are brought in line with the VMs first (records.ts), without repairing anything.
 */
export async function listSnapshotSets(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  opts: ListSetsOptions,
): Promise<SnapshotListing> {
  checkTargets(targets);
  const [running, { lists }] = await Promise.all([
    runningVmxs(driver, opts.timeoutMs).catch(() => undefined),
    listEvery(driver, targets, opts.timeoutMs),
  ]);
  const { records, problems } = await reconcileRecords(driver, targets, lists, {
    manifestDir: opts.manifestDir,
    timeoutMs: opts.timeoutMs,
    repair: false,
    progress: () => {},
  });
  if (problems.length > 0) throw new Error(problems[0]);
  const vms: VmSnapshots[] = targets.map((t) => ({
    vm: t.name,
    power: running === undefined ? "unknown" : isIn(running, t) ? "on" : "off",
    snapshots: lists.get(t.name) ?? [],
  }));
  const presence = (set: string): Record<string, boolean> => {
    const p: Record<string, boolean> = {};
    for (const t of targets) {
      const l = lists.get(t.name);
      if (l !== undefined) p[t.name] = l.includes(set);
    }
    return p;
  };
  const sets: SetListing[] = records.map((m) => ({
    name: m.name,
    createdAt: m.createdAt,
    result: m.result,
    state: setState(m, presenceOf(targets, lists, m.name)),
    presence: presence(m.name),
  }));
  const known = new Set(sets.map((s) => s.name));
  for (const v of vms) {
    for (const s of v.snapshots) {
      if (known.has(s)) continue;
      known.add(s);
      sets.push({ name: s, presence: presence(s) });
    }
  }
  return { vms, sets };
}

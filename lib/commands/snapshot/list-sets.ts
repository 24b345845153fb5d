/** Listing snapshot sets: each VM's power and snapshots, and which VM holds which set. */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { listManifests } from "./manifest";
import { SnapshotTarget } from "./types";
import { checkTargets, isIn, runningVmxs } from "./set-common";

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
  result?: string;
  /** VM name -> whether the VM holds the snapshot; VMs whose snapshots could not be listed are left out. */
  presence: Record<string, boolean>;
}

export interface SnapshotListing {
  vms: VmSnapshots[];
  sets: SetListing[];
}

/** Every set known from a manifest or found on a VM, with which VM holds it, and each VM's snapshots and power. */
export async function listSnapshotSets(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  opts: ListSetsOptions,
): Promise<SnapshotListing> {
  checkTargets(targets);
  const [running, lists, manifests] = await Promise.all([
    runningVmxs(driver, opts.timeoutMs).catch(() => undefined),
    Promise.allSettled(targets.map((t) => driver.listSnapshots(t.vmx, { timeoutMs: opts.timeoutMs }))),
    listManifests(opts.manifestDir),
  ]);
  const vms: VmSnapshots[] = targets.map((t, i) => {
    const l = lists[i];
    return {
      vm: t.name,
      power: running === undefined ? "unknown" : isIn(running, t) ? "on" : "off",
      snapshots: l.status === "fulfilled" ? l.value : [],
    };
  });
  const presence = (set: string): Record<string, boolean> => {
    const p: Record<string, boolean> = {};
    targets.forEach((t, i) => {
      const l = lists[i];
      if (l.status === "fulfilled") p[t.name] = l.value.includes(set);
    });
    return p;
  };
  const sets: SetListing[] = manifests.map((m) => ({
    name: m.name,
    createdAt: m.createdAt,
    result: m.result,
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

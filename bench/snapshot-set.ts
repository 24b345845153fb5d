import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createSnapshotSet } from "../lib/commands/snapshot/create-set";
import { SnapshotTarget } from "../lib/commands/snapshot/types";
import { VmrunDriver } from "../lib/runtime/hypervisor/vmrun";
import { createVmrunSim, writeTestVmx } from "../test-support/vmrun-sim";
import { BenchFigure, medianPair, figure, roundRatios, TimedPair, timeIt, timePair } from "./harness";

const VMS: readonly [string, SnapshotTarget["role"]][] = [
  ["gateway1", "gateway"],
  ["gateway2", "gateway"],
  ["k8s-master1", "master"],
  ["k8s-master2", "master"],
  ["k8s-master3", "master"],
  ["k8s-worker1", "worker"],
  ["k8s-worker2", "worker"],
];

/**
 * Snapshot set on 7 VMs, with the simulator adding `delayMs` to every `snapshot` call (the slow
 * part on a real host). The floor pays the same processes and concurrency: the vmrun calls the set
 * makes (7 `listSnapshots`, then 7 `snapshot`), each seven at once, bare (no lock, decisions or
 * manifest), so the ratio is the set's own overhead. Also from the same run: the seven calls one after another (the seed's way). Fastest of
 * `rounds` rounds for each side, which side goes first alternating.
 */
export async function benchSnapshotSet(delayMs = 1500, rounds = 3): Promise<BenchFigure[]> {
  const sim = createVmrunSim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-snap-"));
  try {
    sim.setFaults({ commands: { snapshot: { "*": { delayMs } } } });
    const targets: SnapshotTarget[] = VMS.map(([name, role]) => ({
      name,
      role,
      vmx: writeTestVmx(path.join(dir, `${name}.vmwarevm`), name, { iso: true }).vmxPath,
    }));
    const driver = new VmrunDriver({
      binary: sim.binary,
      hostType: "fusion",
      env: sim.env,
      cwd: dir,
      timeoutMs: 60_000,
    });
    for (const t of targets) sim.powerOn(t.vmx);

    const manifestDir = path.join(dir, "generated", "snapshots");
    const set = (name: string) =>
      timeIt(async () => {
        const result = await createSnapshotSet(driver, targets, {
          name,
          timeoutMs: 60_000,
          manifestDir,
          keep: 2,
        });
        if (!result.ok) throw new Error("the benchmark's snapshot set failed; run the snapshot tests");
      });
    // The same vmrun calls the set makes (each VM's snapshots listed to refuse a taken name, then the
    // snapshots), all at once, bare: no lock, no decisions, no manifest.
    const bare = (name: string) =>
      timeIt(async () => {
        await Promise.all(targets.map((t) => driver.listSnapshots(t.vmx)));
        await Promise.all(targets.map((t) => driver.snapshot(t.vmx, name)));
      });
    const pairs: TimedPair[] = [];
    for (let i = 0; i < rounds; i++) {
      pairs.push(
        await timePair(
          i,
          () => set(`set-${i}`),
          () => bare(`bare-${i}`),
        ),
      );
    }
    let sequential = 0;
    for (const t of targets) sequential += await timeIt(() => driver.snapshot(t.vmx, "sequential"));
    return snapshotFigures(pairs, sequential, delayMs);
  } finally {
    sim.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function snapshotFigures(
  pairs: readonly TimedPair[],
  sequentialMs: number,
  delayMs: number,
): BenchFigure[] {
  const best = medianPair(pairs);
  return [
    figure(
      "snapshot set, 7 VMs",
      best.measuredMs,
      best.baselineMs,
      "the same 14 vmrun calls, bare",
      1.3,
      `simulated ${delayMs} ms per snapshot call; the median of ${pairs.length} rounds; rounds: ${roundRatios(pairs)}`,
    ),
    figure(
      "snapshot set vs sequential",
      best.measuredMs,
      sequentialMs,
      "7 calls one after another",
      1.0,
      "below 1 means faster than the seed's sequential loop",
    ),
  ];
}

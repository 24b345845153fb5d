import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createSnapshotSet } from "../lib/snapshot/create-set";
import { SnapshotTarget } from "../lib/snapshot/types";
import { VmrunDriver } from "../lib/vmrun";
import { createVmrunSim, writeTestVmx } from "../test-support/vmrun-sim";
import { BenchFigure, figure, timeIt } from "./harness";

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
 * part on a real host). Baselines from the same run: the slowest single snapshot call, and the
 * same seven calls made one after another (the seed's way).
 */
export async function benchSnapshotSet(delayMs = 1500): Promise<BenchFigure[]> {
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

    const single: number[] = [];
    for (const t of targets) single.push(await timeIt(() => driver.snapshot(t.vmx, "sequential")));
    const slowest = Math.max(...single);
    const sequential = single.reduce((a, b) => a + b, 0);

    const manifestDir = path.join(dir, "generated", "snapshots");
    let ok = false;
    const concurrent = await timeIt(async () => {
      const result = await createSnapshotSet(driver, targets, {
        name: "bench-set",
        timeoutMs: 60_000,
        manifestDir,
        keep: 2,
      });
      ok = result.ok;
    });
    if (!ok) throw new Error("the benchmark's snapshot set failed; run the snapshot tests");
    return [
      figure(
        "snapshot set, 7 VMs",
        concurrent,
        slowest,
        "slowest single snapshot call",
        1.3,
        `simulated ${delayMs} ms per snapshot call`,
      ),
      figure(
        "snapshot set vs sequential",
        concurrent,
        sequential,
        "7 calls one after another",
        1.0,
        "below 1 means faster than the seed's sequential loop",
      ),
    ];
  } finally {
    sim.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

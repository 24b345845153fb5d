/**
 * Seven VMs in the vmrun simulator (two gateways, two masters, three workers, listed gateways first so
 * that any boot ordering is visibly the code's), with a driver on short deadlines and a manifest directory.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Role } from "../lib/model/config/model";
import { SnapshotTarget } from "../lib/commands/snapshot/types";
import { VmrunDriver } from "../lib/runtime/hypervisor/vmrun";
import { makeTempDir } from "./fixtures";
import { createVmrunSim, SimCall, VmrunSim, writeTestVmx } from "./vmrun-sim";

export const CLUSTER: ReadonlyArray<{ name: string; role: Role }> = [
  { name: "k8s-gw1", role: "gateway" },
  { name: "k8s-gw2", role: "gateway" },
  { name: "k8s-master1", role: "master" },
  { name: "k8s-master2", role: "master" },
  { name: "k8s-worker1", role: "worker" },
  { name: "k8s-worker2", role: "worker" },
  { name: "k8s-worker3", role: "worker" },
];

export interface SnapshotCluster {
  readonly sim: VmrunSim;
  readonly root: string;
  readonly driver: VmrunDriver;
  readonly targets: SnapshotTarget[];
  /** `<root>/generated`. */
  readonly generatedDir: string;
  /** `<root>/generated/snapshots`. */
  readonly manifestDir: string;
  target(name: string): SnapshotTarget;
  /** Snapshot names the simulator holds for the VM (its own state, not through the code under test). */
  snapshotsOf(name: string): string[];
  power(name: string): string;
  /** Calls of one command in log order, with the VM name they were for. */
  callsOf(command: string): Array<SimCall & { vm: string }>;
  /**
   * True when every call of `command` started before any of them ended: they were all in flight at once.
   * Read from the order of the simulator's start/end log lines, not from clocks.
   */
  allInFlightTogether(command: string): boolean;
  /** Rebuilds the VM: deletes it in the simulator and writes a fresh .vmx (no snapshots). */
  rebuild(name: string): void;
  cleanup(): void;
}

const vmNameOf = (vmx: string | null) => path.basename(vmx ?? "").replace(/\.vmx$/i, "");

export function createSnapshotCluster(opts: { timeoutMs?: number } = {}): SnapshotCluster {
  const sim = createVmrunSim();
  const root = fs.realpathSync(makeTempDir("fusion-lab-snapshots-"));
  const vmDir = (name: string) => path.join(root, "VMs", "k8s_cluster", `${name}.vmwarevm`);
  const targets = CLUSTER.map((c) => ({ ...c, vmx: writeTestVmx(vmDir(c.name), c.name).vmxPath }));
  const driver = new VmrunDriver({
    binary: sim.binary,
    hostType: "fusion",
    timeoutMs: opts.timeoutMs ?? 15_000,
    env: sim.env,
    cwd: root,
    retryPauseMs: 10,
    readRetries: 1,
  });
  const target = (name: string) => {
    const t = targets.find((x) => x.name === name);
    if (!t) throw new Error(`no VM ${name} in the test cluster`);
    return t;
  };
  return {
    sim,
    root,
    driver,
    targets,
    generatedDir: path.join(root, "generated"),
    manifestDir: path.join(root, "generated", "snapshots"),
    target,
    snapshotsOf: (name) => (sim.vmState(target(name).vmx)?.snapshots ?? []).map((s) => s.name),
    power: (name) => sim.vmState(target(name).vmx)?.power ?? "off",
    callsOf: (command) =>
      sim
        .calls()
        .filter((c) => c.command === command)
        .map((c) => ({ ...c, vm: vmNameOf(c.vmx) })),
    allInFlightTogether(command) {
      const lines = fs
        .readFileSync(path.join(sim.stateDir, "calls.log"), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as { phase: string; pid: number; command?: string });
      const pids = new Set(
        lines.filter((l) => l.phase === "start" && l.command === command).map((l) => l.pid),
      );
      const firstEnd = lines.findIndex((l) => l.phase === "end" && pids.has(l.pid));
      const lastStart = lines.reduce((last, l, i) => (l.phase === "start" && pids.has(l.pid) ? i : last), -1);
      return pids.size > 1 && firstEnd > lastStart;
    },
    rebuild(name) {
      const vmx = target(name).vmx;
      const r = spawnSync(sim.binary, ["-T", "fusion", "deleteVM", vmx], { env: sim.env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`the simulator did not delete ${name}: ${r.stdout}`);
      writeTestVmx(vmDir(name), name);
    },
    cleanup() {
      sim.cleanup();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

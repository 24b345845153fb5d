import * as fs from "node:fs";
import * as path from "node:path";
import { boundedRunner } from "../lib/runtime/process/bounded";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { STATUS_VMRUN_LIMIT } from "../lib/commands/status/cluster-status";
import { FIXTURE_SSH_PUBLIC_KEY } from "../test-support/model-fixture";
import { createVmrunSim, writeTestVmx } from "../test-support/vmrun-sim";
import { makeBenchProject, runLauncher } from "./bench-project";
import { BenchFigure, medianPair, figure, roundRatios, TimedPair, timeIt, timePair } from "./harness";
import { DEFAULT_VMS } from "../lib/model/config/schema";

/** The default config's VMs: the APT cache and the 7 cluster VMs. */
const STATUS_VMS = ["apt-cache-server", ...DEFAULT_VMS.map((vm) => vm.name)];

export interface StatusRound extends TimedPair {
  /** Status with 1 VM built alone, without the floor's extra vmrun processes. */
  readonly oneAloneMs: number;
}

/**
 * `npm run manager -- status --no-guest` as a user runs it (`scripts/run manager`, the default
 * config), with all 8 VMs built and running, against the same with 1 built and running (the other 7
 * not built, which costs no vmrun call: same process start, config and table). The floor pays the
 * same vmrun processes: beside the 1-VM status, the 14 questions the other 7 VMs cost (IP and
 * snapshots each, bare simulator calls, at most STATUS_VMRUN_LIMIT at once), so the ratio is the
 * product's own overhead rather than the simulator's start-up on this machine.
 */
async function measureStatus(rounds: number): Promise<StatusRound[]> {
  const sim = createVmrunSim();
  const projects = [STATUS_VMS, ["k8s-worker1"]].map((built) => {
    const p = makeBenchProject(["manager"]);
    fs.writeFileSync(path.join(p.root, "id_bench.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
    fs.writeFileSync(path.join(p.root, "cluster.yaml"), "arch: amd64\nsshPublicKeyFile: id_bench.pub\n");
    for (const name of built) {
      const vmx = writeTestVmx(path.join(p.root, "VMs/k8s_cluster", `${name}.vmwarevm`), name).vmxPath;
      sim.powerOn(vmx);
    }
    return { p, built };
  });
  try {
    const status = ({ p, built }: (typeof projects)[number]) =>
      timeIt(async () => {
        const out = await runLauncher(p.root, path.join(p.root, "scripts", "run"), "manager", {
          args: ["status", "--no-guest", "--json"],
          sim,
        });
        const rows = JSON.parse(out) as { name: string; power: string; ip: string }[];
        const on = rows.filter((r) => r.power === "on" && r.ip !== "").map((r) => r.name);
        if (on.join() !== built.join())
          throw new Error(
            `status showed ${on.join(", ") || "none"} running with an IP, expected ${built.join(", ")}`,
          );
      });
    const others = STATUS_VMS.filter((n) => n !== "k8s-worker1").map((n) =>
      path.join(projects[0].p.root, "VMs/k8s_cluster", `${n}.vmwarevm`, `${n}.vmx`),
    );
    const bare = (args: string[]) =>
      runWithDeadline(sim.binary, ["-T", "fusion", ...args], { env: sim.env, timeoutMs: 60_000 });
    const floor = () =>
      timeIt(async () => {
        const gate = boundedRunner(STATUS_VMRUN_LIMIT);
        const asks = others.flatMap((vmx) => [
          gate(() => bare(["getGuestIPAddress", vmx])),
          gate(() => bare(["listSnapshots", vmx])),
        ]);
        await Promise.all([status(projects[1]), ...asks]);
      });
    await status(projects[1]); // warm-up
    const all: StatusRound[] = [];
    for (let i = 0; i < rounds; i++) {
      const paired = await timePair(i, () => status(projects[0]), floor);
      all.push({ ...paired, oneAloneMs: await status(projects[1]) });
    }
    return all;
  } finally {
    sim.cleanup();
    for (const { p } of projects) p.cleanup();
  }
}

export function statusFigures(rounds: readonly StatusRound[]): BenchFigure[] {
  const best = medianPair(rounds);
  const raw = rounds.map((r) => ({ measuredMs: r.measuredMs, baselineMs: r.oneAloneMs }));
  const rawBest = medianPair(raw);
  const each = `the median of ${rounds.length} rounds`;
  return [
    figure(
      "status, 8 running VMs vs 1",
      best.measuredMs,
      best.baselineMs,
      "status of 1 + the other 14 vmrun calls",
      2.0,
      `scripts/run manager status --no-guest, the default config; the floor runs the 1-VM status beside the IP and snapshot calls of the other 7 VMs (bare, ${STATUS_VMRUN_LIMIT} at once); ${each}; rounds: ${roundRatios(rounds)}`,
    ),
    figure(
      "status, 8 running VMs vs 1, floor without the calls",
      rawBest.measuredMs,
      rawBest.baselineMs,
      "status with 1 VM built, alone",
      null,
      `how much the simulator's 14 more process starts weigh on this machine; rounds: ${roundRatios(raw)}`,
    ),
  ];
}

export async function benchStatus(rounds = 5): Promise<BenchFigure[]> {
  return statusFigures(await measureStatus(rounds));
}

import * as path from "node:path";
import { encodeLookupVms, GUEST_IP } from "../lib/model/entry/contracts";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { createVmrunSim, VmrunSim, writeTestVmx } from "../test-support/vmrun-sim";
import { BenchProject, makeBenchProject, runLauncher } from "./bench-project";
import { BenchFigure, medianPair, figure, roundRatios, TimedPair, timeIt, timePair } from "./harness";
import { DEFAULT_VMS } from "../lib/model/config/schema";

const VMS_DIR = "VMs/k8s_cluster";
/** The default cluster's VMs; gateways also accept an answer on the LAN. */
export const CLUSTER_VMS: readonly [string, boolean][] = DEFAULT_VMS.map((vm) => [
  vm.name,
  vm.role === "gateway",
]);

/** The query the cluster stack's one external data source sends for `vms` (every value a string). */
export function lookupQuery(vms: readonly (readonly [string, boolean])[]): Record<string, string> {
  return GUEST_IP.environment({
    vms_dir: VMS_DIR,
    vms: encodeLookupVms(
      vms.map(([name, gateway]) => ({
        name,
        vmx_path: `${VMS_DIR}/${name}.vmwarevm/${name}.vmx`,
        networks: gateway ? ["10.10.0.0/24", "192.168.68.0/24"] : ["10.10.0.0/24"],
        last_ip_file: `generated/${name}/last-ip`,
      })),
    ),
    exclude: "192.168.68.210,10.10.0.100",
    timeout_seconds: 20,
  });
}

/** One round; every time is one whole read as Terraform makes it (`../../../scripts/run guest-ip` from the stack folder). */
export interface LookupRound {
  /** The stack's lookup, every VM off. */
  readonly offMs: number;
  /** Its floor: the lookup of 1 VM, off (the same process start and `vmrun list`). */
  readonly offOneMs: number;
  /** The stack's lookup, all 7 VMs running: one process, one list, 7 asks at once. */
  readonly runningMs: number;
  /** The floor: one lookup of 1 running VM, with the other 6 asks (bare `vmrun getGuestIPAddress -wait`) started beside it. */
  readonly oneWithAsksMs: number;
  /** One lookup of 1 running VM alone. */
  readonly oneMs: number;
  /** 7 one-VM lookups at once: what one data source per VM cost (the earlier design). */
  readonly perVmMs: number;
  /** The launcher and tsx starting a do-nothing entry. */
  readonly startupMs: number;
}

async function lookup(
  p: BenchProject,
  sim: VmrunSim,
  vms: readonly (readonly [string, boolean])[],
  state: string,
) {
  const out = JSON.parse(
    await runLauncher(p.stackDir, "../../../scripts/run", "guest-ip", {
      input: JSON.stringify(lookupQuery(vms)),
      sim,
    }),
  ) as Record<string, string>;
  for (const [name] of vms)
    if (out[`${name}_state`] !== state)
      throw new Error(
        `guest-ip answered ${name}: ${out[`${name}_state`]} (${out[`${name}_detail`]}), expected ${state}`,
      );
}

async function measureLookups(rounds: number): Promise<LookupRound[]> {
  const sim = createVmrunSim();
  const p = makeBenchProject(["guest-ip"]);
  try {
    const vmx = (name: string) => path.join(p.root, VMS_DIR, `${name}.vmwarevm`, `${name}.vmx`);
    for (const [name] of CLUSTER_VMS) writeTestVmx(path.dirname(vmx(name)), name, { iso: true });
    const bareAsk = (name: string) =>
      runWithDeadline(sim.binary, ["-T", "fusion", "getGuestIPAddress", vmx(name), "-wait"], {
        env: sim.env,
        timeoutMs: 60_000,
      });
    const startup = () => runLauncher(p.stackDir, "../../../scripts/run", "noop", { sim });
    await startup(); // warm-up: tsx's cache, the page cache
    await lookup(p, sim, CLUSTER_VMS, "off");
    const all: LookupRound[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [name] of CLUSTER_VMS) if (sim.vmState(vmx(name))?.power === "on") sim.powerOff(vmx(name));
      const one = CLUSTER_VMS.slice(5, 6);
      const offAll = () => timeIt(() => lookup(p, sim, CLUSTER_VMS, "off"));
      const offOne = () => timeIt(() => lookup(p, sim, one, "off"));
      const { measuredMs: offMs, baselineMs: offOneMs } = await timePair(i, offAll, offOne);
      for (const [name] of CLUSTER_VMS) sim.powerOn(vmx(name));
      const running = () => timeIt(() => lookup(p, sim, CLUSTER_VMS, "running"));
      const floor = () =>
        timeIt(() =>
          Promise.all([
            lookup(p, sim, one, "running"),
            ...CLUSTER_VMS.slice(0, 6).map(([name]) => bareAsk(name)),
          ]),
        );
      const { measuredMs: runningMs, baselineMs: oneWithAsksMs } = await timePair(i, running, floor);
      const oneMs = await timeIt(() => lookup(p, sim, one, "running"));
      const perVmMs = await timeIt(() =>
        Promise.all(CLUSTER_VMS.map((vm) => lookup(p, sim, [vm], "running"))),
      );
      all.push({
        offMs,
        offOneMs,
        runningMs,
        oneWithAsksMs,
        oneMs,
        perVmMs,
        startupMs: await timeIt(startup),
      });
    }
    return all;
  } finally {
    sim.cleanup();
    p.cleanup();
  }
}

export function lookupFigures(rounds: readonly LookupRound[]): BenchFigure[] {
  const fastest = (f: (r: LookupRound) => number) => Math.min(...rounds.map(f));
  const runningPairs: TimedPair[] = rounds.map((r) => ({
    measuredMs: r.runningMs,
    baselineMs: r.oneWithAsksMs,
  }));
  const perVmPairs: TimedPair[] = rounds.map((r) => ({ measuredMs: r.perVmMs, baselineMs: r.oneMs }));
  const offPairs: TimedPair[] = rounds.map((r) => ({ measuredMs: r.offMs, baselineMs: r.offOneMs }));
  const off = medianPair(offPairs);
  const running = medianPair(runningPairs);
  const perVm = medianPair(perVmPairs);
  const n = CLUSTER_VMS.length;
  const each = `the median of ${rounds.length} rounds`;
  return [
    figure(
      `plan with VMs off, ${n} VMs vs 1`,
      off.measuredMs,
      off.baselineMs,
      "the lookup of 1 off VM",
      1.2,
      `one scripts/run guest-ip for ${n} off VMs against one for 1: both one process and one vmrun list, so an off VM must cost no vmrun call of its own; launcher + tsx start-up alone ${fastest((r) => r.startupMs).toFixed(0)} ms; ${each}; rounds: ${roundRatios(offPairs)}`,
    ),
    figure(
      `IP lookup, ${n} running VMs vs 1`,
      running.measuredMs,
      running.baselineMs,
      `1 lookup + ${n - 1} bare asks at once`,
      1.3,
      `one read of the stack's data source as Terraform makes it; the floor is one lookup of 1 VM (${fastest((r) => r.oneMs).toFixed(0)} ms alone) with the other ${n - 1} getGuestIPAddress processes started beside it; ${each}; rounds: ${roundRatios(runningPairs)}`,
    ),
    figure(
      `IP lookup, one data source per VM (before), ${n} VMs`,
      perVm.measuredMs,
      perVm.baselineMs,
      "1 lookup of 1 VM",
      null,
      `${n} one-VM lookups read side by side, as the earlier design had Terraform do; rounds: ${roundRatios(perVmPairs)}`,
    ),
  ];
}

// Nine rounds: one lookup is a 0.4 s process whose time swings by 60 ms either way on this machine
// (20 alternating pairs of 7 off VMs and 1 off VM: medians 387 and 374 ms); with five, one median of
// three runs came out 1.21.
export async function benchIpLookup(rounds = 9): Promise<BenchFigure[]> {
  return lookupFigures(await measureLookups(rounds));
}

import { killGroup, StartedEntry, startEntry } from "../test-support/run-entry";
import { createVmProject, VmProject } from "../test-support/vm-project";
import { SimCall, SimFaults } from "../test-support/vmrun-sim";
import { BenchFigure, figure } from "./harness";

/**
 * lib/runtime/vm/guest-ip.ts asks with `getGuestIPAddress -wait` under a 10 s deadline per call (`perCallMs`)
 * and pauses 2 s between calls: the defaults inside askRunningGuest, used by vm-start (which waits for
 * the IP) and the guest-ip data source alike.
 */
const LOOKUP_PER_CALL_MS = 10_000;

const NAME = "k8s-worker1";
const IP = "10.10.0.50";
const VIP = "10.10.0.100";
/** How often the simulator's `-wait` looks for the IP (its default, 100 ms, would be most of a figure). */
const SIM_POLL_MS = 10;
/** "Never", until the benchmark decides when the IP appears. */
const NOT_YET_SECONDS = 3600;

/**
 * during-call: the IP appears 3 s after boot, while the first `-wait` call runs. between-calls: it
 * appears 300 ms after the first call was cut at its deadline, so the lookup sees it only after its
 * pause (the worst case). The floors, measured in the same run: already-there, the IP is there when
 * vm-start starts asking (its `list` and one call); after-a-miss, the first call answers at once with
 * the VIP, which is refused, so the lookup pauses and asks once more (one pause and one call).
 */
export type DiscoveryScenario = "during-call" | "between-calls" | "already-there" | "after-a-miss";

export interface DiscoveryCase {
  /** From the moment the lookup could know the IP (see DiscoveryScenario) to vm-start printing it. */
  readonly latencyMs: number;
  /** Start of the last `getGuestIPAddress` call minus the moment the IP appeared (negative: the call was already waiting). */
  readonly callStartOffsetMs: number;
}

const isAsk = (c: SimCall) => c.command === "getGuestIPAddress";

/** When the simulated guest reports its IP, in seconds after boot (between-calls decides it later). */
const IP_DELAY_SECONDS: Record<DiscoveryScenario, number> = {
  "during-call": 3,
  "between-calls": NOT_YET_SECONDS,
  "already-there": 0,
  "after-a-miss": 0,
};
/** The getGuestIPAddress calls each scenario's timing rests on. */
const EXPECTED_ASKS: Record<DiscoveryScenario, number> = {
  "during-call": 1,
  "between-calls": 2,
  "already-there": 1,
  "after-a-miss": 2,
};

function faultsFor(scenario: DiscoveryScenario): SimFaults {
  const vms = { [NAME]: { ip: IP, ipDelaySeconds: IP_DELAY_SECONDS[scenario] } };
  if (scenario !== "after-a-miss") return { vms };
  return { vms, commands: { getGuestIPAddress: { [NAME]: { answer: `${VIP}\n`, times: 1 } } } };
}

/** Runs the real vm-start entry (start headless, then wait for the IP) against the simulator. */
async function measureDiscovery(scenario: DiscoveryScenario): Promise<DiscoveryCase> {
  const vm: VmProject = createVmProject(NAME, { renderedVmx: true });
  let started: StartedEntry | undefined;
  let exited = false;
  try {
    vm.sim.setFaults(faultsFor(scenario));
    const env = vm.entryEnv({
      VMX_SOURCE: vm.vmxSource,
      IP_NETWORKS: "10.10.0.0/24",
      IP_EXCLUDE: VIP,
      IP_WAIT_SECONDS: "60",
      VMRUN_TIMEOUT_SECONDS: "20",
      // The simulator notices the IP within one of its polls; at 10 ms that is not what is measured.
      VMRUN_SIM_POLL_MS: String(SIM_POLL_MS),
    });
    started = startEntry("vm-start", { env, projectRoot: vm.root, timeoutMs: 90_000 });
    void started.done.finally(() => (exited = true)).catch(() => undefined);
    let askingAt: number | undefined;
    let returnedAt: number | undefined;
    started.child.stderr!.on("data", (chunk: string) => {
      const now = Date.now();
      if (askingAt === undefined && chunk.includes("waiting up to")) askingAt = now;
      if (returnedAt === undefined && chunk.includes(`IP ${IP}`)) returnedAt = now;
    });

    const firstAsk = await vm.sim.waitForCall(isAsk, 30_000);
    const bootedAt = vm.sim.vmState(vm.vmxAbs)?.bootedAt;
    if (bootedAt === undefined || bootedAt === null)
      throw new Error("the simulator did not record the power-on");
    let knowableAt: number | undefined = bootedAt + 3000;
    if (scenario === "between-calls") {
      // The driver cuts the call LOOKUP_PER_CALL_MS after spawning it, a little before the simulator logged its start.
      knowableAt = Date.parse(firstAsk.startedAt) + LOOKUP_PER_CALL_MS + 300;
      vm.sim.setFaults({ vms: { [NAME]: { ip: IP, ipDelaySeconds: (knowableAt - bootedAt) / 1000 } } });
    }
    const result = await started.done;
    if (result.code !== 0 || returnedAt === undefined)
      throw new Error(`vm-start failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
    const asks = vm.sim.calls().filter(isAsk);
    if (scenario === "already-there") knowableAt = askingAt;
    if (scenario === "after-a-miss") knowableAt = asks[0].endedAt ? Date.parse(asks[0].endedAt) : undefined;
    checkAssumptions(scenario, asks, knowableAt);
    return {
      latencyMs: returnedAt - knowableAt!,
      callStartOffsetMs: Date.parse(asks[asks.length - 1].startedAt) - knowableAt!,
    };
  } finally {
    if (started && !exited) killGroup(started.child, "SIGKILL"); // a failed measurement leaves no vm-start behind
    vm.cleanup();
  }
}

/** Each scenario's timing rests on how many calls it took; a run where that did not hold is not a figure. */
function checkAssumptions(
  scenario: DiscoveryScenario,
  asks: SimCall[],
  knowableAt: number | undefined,
): void {
  const expected = EXPECTED_ASKS[scenario];
  if (asks.length !== expected || knowableAt === undefined)
    throw new Error(
      `${scenario}: vm-start made ${asks.length} getGuestIPAddress call(s), not ${expected}: the benchmark's timing assumption does not hold`,
    );
  if (scenario === "during-call" && Date.parse(asks[0].startedAt) >= knowableAt)
    throw new Error("during-call: the IP appeared before the first call started");
}

export interface DiscoveryCases {
  readonly during: DiscoveryCase;
  readonly between: DiscoveryCase;
  readonly alreadyThere: DiscoveryCase;
  readonly afterAMiss: DiscoveryCase;
}

export function discoveryFigures(c: DiscoveryCases): BenchFigure[] {
  return [
    figure(
      "IP discovery, IP appears during a -wait call",
      c.during.latencyMs,
      c.alreadyThere.latencyMs,
      "vm-start's ask of a guest whose IP is already there",
      1.0,
      `the IP reaches vm-start as soon as the running -wait call returns (the simulator polls every ${SIM_POLL_MS} ms inside -wait); the floor is vm-start's \`list\` and one call`,
    ),
    figure(
      "IP discovery, IP appears between calls",
      c.between.latencyMs,
      c.afterAMiss.latencyMs,
      "one pause and one call after an answer at once",
      1.0,
      `worst case: the IP appears 300 ms after a -wait call was cut at ${LOOKUP_PER_CALL_MS / 1000} s; the next call started ${c.between.callStartOffsetMs.toFixed(0)} ms after it appeared`,
    ),
  ];
}

export async function benchIpDiscovery(): Promise<BenchFigure[]> {
  return discoveryFigures({
    alreadyThere: await measureDiscovery("already-there"),
    during: await measureDiscovery("during-call"),
    afterAMiss: await measureDiscovery("after-a-miss"),
    between: await measureDiscovery("between-calls"),
  });
}

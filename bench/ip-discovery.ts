import { killGroup, StartedEntry, startEntry } from "../test-support/run-entry";
import { createVmProject, VmProject } from "../test-support/vm-project";
import { SimCall } from "../test-support/vmrun-sim";
import { BenchFigure, figure } from "./harness";

/**
 * lib/vm/guest-ip.ts asks with `getGuestIPAddress -wait` under a 10 s deadline per call (`perCallMs`)
 * and pauses 2 s between calls (`pauseMs`): the poll interval. Both are defaults inside
 * askRunningGuest, used by vm-start (which waits for the IP) and the guest-ip data source alike.
 */
const LOOKUP_PAUSE_MS = 2000;
const LOOKUP_PER_CALL_MS = 10_000;
/** Goal: the lookup returns within the poll interval plus half a second of the IP appearing. */
export const GOAL_MS = LOOKUP_PAUSE_MS + 500;

const NAME = "k8s-worker1";
const IP = "10.10.0.50";
/** "Never", until the benchmark decides when the IP appears. */
const NOT_YET_SECONDS = 3600;

export interface DiscoveryCase {
  /** From the moment the simulated guest reports the IP to vm-start printing it. */
  readonly latencyMs: number;
  /** Start of the last `getGuestIPAddress` call minus the moment the IP appeared (negative: the call was already waiting). */
  readonly callStartOffsetMs: number;
}

/**
 * Runs the real vm-start entry (start headless, then wait for the IP) against the simulator and
 * makes the IP appear at a chosen moment: `during-call` lets it appear 3 s after boot, while the
 * first `-wait` call is running; `between-calls` lets it appear 300 ms after the first call was cut
 * at its deadline, so the lookup only sees it after its pause (the worst case).
 */
async function measureDiscovery(when: "during-call" | "between-calls"): Promise<DiscoveryCase> {
  const vm: VmProject = createVmProject(NAME, { renderedVmx: true });
  let started: StartedEntry | undefined;
  let exited = false;
  try {
    vm.sim.setFaults({
      vms: { [NAME]: { ip: IP, ipDelaySeconds: when === "during-call" ? 3 : NOT_YET_SECONDS } },
    });
    const env = vm.entryEnv({
      VMX_SOURCE: vm.vmxSource,
      IP_NETWORKS: "10.10.0.0/24",
      IP_EXCLUDE: "10.10.0.100",
      IP_WAIT_SECONDS: "60",
      VMRUN_TIMEOUT_SECONDS: "20",
    });
    started = startEntry("vm-start", { env, projectRoot: vm.root, timeoutMs: 90_000 });
    void started.done.finally(() => (exited = true)).catch(() => undefined);
    let returnedAt: number | undefined;
    started.child.stderr!.on("data", (chunk: string) => {
      if (returnedAt === undefined && chunk.includes(`IP ${IP}`)) returnedAt = Date.now();
    });

    const isAsk = (c: SimCall) => c.command === "getGuestIPAddress";
    const firstAsk = await vm.sim.waitForCall(isAsk, 30_000);
    const bootedAt = vm.sim.vmState(vm.vmxAbs)?.bootedAt;
    if (bootedAt === undefined || bootedAt === null)
      throw new Error("the simulator did not record the power-on");
    let ipAt = bootedAt + 3000;
    if (when === "between-calls") {
      // The driver cuts the call LOOKUP_PER_CALL_MS after spawning it, a little before the simulator logged its start.
      ipAt = Date.parse(firstAsk.startedAt) + LOOKUP_PER_CALL_MS + 300;
      vm.sim.setFaults({ vms: { [NAME]: { ip: IP, ipDelaySeconds: (ipAt - bootedAt) / 1000 } } });
    }
    const result = await started.done;
    if (result.code !== 0 || returnedAt === undefined)
      throw new Error(`vm-start failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
    const asks = vm.sim.calls().filter(isAsk);
    if (when === "between-calls" && asks.length < 2)
      throw new Error(
        "the IP appeared before the first call was cut: the benchmark's timing assumption does not hold",
      );
    return {
      latencyMs: returnedAt - ipAt,
      callStartOffsetMs: Date.parse(asks[asks.length - 1].startedAt) - ipAt,
    };
  } finally {
    if (started && !exited) killGroup(started.child, "SIGKILL"); // a failed measurement leaves no vm-start behind
    vm.cleanup();
  }
}

export function discoveryFigures(during: DiscoveryCase, between: DiscoveryCase): BenchFigure[] {
  const baseline = `poll interval ${LOOKUP_PAUSE_MS} ms + 500 ms`;
  return [
    figure(
      "IP discovery, IP appears during a -wait call",
      during.latencyMs,
      GOAL_MS,
      baseline,
      1.0,
      "vm-start against the simulator (which polls every 100 ms inside -wait)",
    ),
    figure(
      "IP discovery, IP appears between calls",
      between.latencyMs,
      GOAL_MS,
      baseline,
      1.0,
      `worst case: the IP appears 300 ms after a -wait call was cut at ${LOOKUP_PER_CALL_MS / 1000} s; the next call started ${between.callStartOffsetMs.toFixed(0)} ms after it appeared`,
    ),
  ];
}

export async function benchIpDiscovery(): Promise<BenchFigure[]> {
  return discoveryFigures(await measureDiscovery("during-call"), await measureDiscovery("between-calls"));
}

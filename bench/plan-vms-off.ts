import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline } from "../lib/process/run-with-deadline";
import { createVmrunSim, VmrunSim, writeTestVmx } from "../test-support/vmrun-sim";
import { BenchFigure, figure, timeIt } from "./harness";

const REPO_ROOT = path.resolve(__dirname, "..");
const VMS_DIR = "VMs/k8s_cluster";
/** The default cluster's VMs; gateways also accept an answer on the LAN. */
const CLUSTER_VMS: readonly [string, boolean][] = [
  ["gateway1", true],
  ["gateway2", true],
  ["k8s-master1", false],
  ["k8s-master2", false],
  ["k8s-master3", false],
  ["k8s-worker1", false],
  ["k8s-worker2", false],
];
/** Goal: one lookup of an off VM, start-up included, in under a second. */
const GOAL_MS_PER_VM = 1000;

/**
 * A project Terraform could run in: `scripts/` a real folder (the launcher cds to the folder it sits
 * in, resolving links, so a linked `scripts/` would send it to the repository), holding links to the
 * launcher and the entry, and a do-nothing entry for the start-up floor; the rest linked in.
 */
function makeProject(): { root: string; stackDir: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-")));
  for (const name of ["lib", "node_modules", "package.json", "tsconfig.json"])
    fs.symlinkSync(path.join(REPO_ROOT, name), path.join(root, name));
  fs.mkdirSync(path.join(root, "scripts"));
  for (const name of ["run", "guest-ip.ts"])
    fs.symlinkSync(path.join(REPO_ROOT, "scripts", name), path.join(root, "scripts", name));
  fs.writeFileSync(
    path.join(root, "scripts", "noop.ts"),
    "// start-up floor: the launcher and tsx, nothing else\n",
  );
  const stackDir = path.join(root, "cdktf.out", "stacks", "k8s-cluster");
  fs.mkdirSync(stackDir, { recursive: true });
  return { root, stackDir };
}

/** The query the cluster stack's external data source sends (every value a string). */
export function lookupQuery(name: string, gateway: boolean, timeoutSeconds = 20): Record<string, string> {
  return {
    vm_name: name,
    vms_dir: VMS_DIR,
    vmx_path: `${VMS_DIR}/${name}.vmwarevm/${name}.vmx`,
    networks: gateway ? "10.10.0.0/24,192.168.68.0/24" : "10.10.0.0/24",
    exclude: "192.168.68.210,10.10.0.100",
    timeout_seconds: String(timeoutSeconds),
  };
}

/** Runs `../../../scripts/run <entry>` from the stack folder with the query on stdin, as Terraform does. */
async function runProgram(stackDir: string, entry: string, input: string, sim: VmrunSim): Promise<string> {
  const res = await runWithDeadline("../../../scripts/run", [entry], {
    cwd: stackDir,
    env: sim.env,
    input,
    timeoutMs: 60_000,
  });
  if (res.code !== 0)
    throw new Error(`scripts/run ${entry} failed (exit ${res.code ?? res.signal}): ${res.stderr.trim()}`);
  return res.stdout;
}

export interface PlanTimes {
  /** All lookups one after another, median over rounds. */
  readonly sequentialMs: number;
  /** All lookups at once (Terraform reads data sources in parallel), median over rounds. */
  readonly concurrentMs: number;
  /** One run of the do-nothing entry through the launcher, median. */
  readonly startupFloorMs: number;
  readonly vmCount: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measurePlanVmsOff(rounds: number): Promise<PlanTimes> {
  const sim = createVmrunSim();
  const { root, stackDir } = makeProject();
  try {
    for (const [name] of CLUSTER_VMS)
      writeTestVmx(path.join(root, VMS_DIR, `${name}.vmwarevm`), name, { iso: true });
    const lookup = async (name: string, gateway: boolean) => {
      const out = await runProgram(stackDir, "guest-ip", JSON.stringify(lookupQuery(name, gateway)), sim);
      const answer = JSON.parse(out) as { ip: string; state: string };
      if (answer.ip !== "" || answer.state !== "off")
        throw new Error(`guest-ip for ${name} answered ${out.trim()}, expected an off VM`);
    };
    const floor = () => runProgram(stackDir, "noop", "{}", sim);
    await floor(); // warm-up: tsx's cache, the page cache
    await lookup(...CLUSTER_VMS[0]);
    const sequential: number[] = [];
    const concurrent: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < rounds; i++) {
      sequential.push(
        await timeIt(async () => {
          for (const [name, gateway] of CLUSTER_VMS) await lookup(name, gateway);
        }),
      );
      concurrent.push(
        await timeIt(() => Promise.all(CLUSTER_VMS.map(([name, gateway]) => lookup(name, gateway)))),
      );
      floors.push(await timeIt(floor));
    }
    return {
      sequentialMs: median(sequential),
      concurrentMs: median(concurrent),
      startupFloorMs: median(floors),
      vmCount: CLUSTER_VMS.length,
    };
  } finally {
    sim.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export function planFigure(t: PlanTimes, rounds: number): BenchFigure {
  return figure(
    "plan with VMs off, per VM",
    t.sequentialMs / t.vmCount,
    GOAL_MS_PER_VM,
    "goal: 1 s per VM",
    1.0,
    `scripts/run guest-ip for ${t.vmCount} off VMs one after another: ${t.sequentialMs.toFixed(0)} ms, all at once: ${t.concurrentMs.toFixed(0)} ms; ` +
      `launcher + tsx start-up floor ${t.startupFloorMs.toFixed(0)} ms per process; median of ${rounds}`,
  );
}

export async function benchPlanVmsOff(rounds = 3): Promise<BenchFigure[]> {
  return [planFigure(await measurePlanVmsOff(rounds), rounds)];
}

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeStepCheckVms, STEP_CHECK, STEP_NAMES } from "../lib/model/entry/contracts";
import { createVmrunSim, VmrunSim, writeTestVmx } from "../test-support/vmrun-sim";
import { BenchProject, makeBenchProject, runLauncher } from "./bench-project";
import { BenchFigure, figure, medianPair, roundRatios, TimedPair, timeIt, timePair } from "./harness";
import { CLUSTER_VMS, lookupQuery } from "./ip-lookup";

const VMS_DIR = "VMs/k8s_cluster";
/** A seed ISO the size of a real one (cloud-init's three files on an ISO 9660 volume): the check hashes it. */
const SEED_BYTES = 370 * 1024;

function checkQuery(names: readonly string[]): Record<string, string> {
  return STEP_CHECK.environment({
    vms_dir: VMS_DIR,
    vms: encodeStepCheckVms(
      names.map((name) => ({
        name,
        steps_dir: `${VMS_DIR}/${name}.vmwarevm/.lab-steps`,
        disk_path: `${VMS_DIR}/${name}.vmwarevm/${name}.vmdk`,
        seed_path: `${VMS_DIR}/${name}.vmwarevm/seed.iso`,
        vmx_path: `${VMS_DIR}/${name}.vmwarevm/${name}.vmx`,
        steps: STEP_NAMES,
      })),
    ),
  });
}

/** Every VM built and every step done, as after a deploy: what a no-op plan's step check reads. */
function buildVms(p: BenchProject, names: readonly string[]): void {
  for (const name of names) {
    const dir = path.join(p.root, VMS_DIR, `${name}.vmwarevm`);
    writeTestVmx(dir, name);
    const seed = crypto.randomBytes(SEED_BYTES);
    fs.writeFileSync(path.join(dir, "seed.iso"), seed);
    const steps = path.join(dir, ".lab-steps");
    fs.mkdirSync(steps);
    const sha256 = crypto.createHash("sha256").update(seed).digest("hex");
    for (const step of STEP_NAMES)
      fs.writeFileSync(
        path.join(steps, `${step}.done.json`),
        JSON.stringify({
          token: "",
          finishedAt: new Date().toISOString(),
          facts: step === "seed" ? { sha256 } : {},
        }),
      );
  }
}

async function read(
  p: BenchProject,
  sim: VmrunSim,
  entry: string,
  query: Record<string, string>,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  await runLauncher(p.stackDir, "../../../scripts/run", entry, { input: JSON.stringify(query), sim, env });
}

/**
 * The lookup as the release before the step check started it: its entry points loaded zod (through the
 * contracts' VM-name rule), about 80 ms of every start; preloading it puts that cost back.
 */
const PREVIOUS_START = { NODE_OPTIONS: "--require zod" };

interface CheckRound {
  readonly all: TimedPair;
  readonly plan: TimedPair;
  readonly previous: TimedPair;
}

async function measure(rounds: number): Promise<CheckRound[]> {
  const sim = createVmrunSim();
  const p = makeBenchProject(["guest-ip", "step-check"]);
  try {
    const names = CLUSTER_VMS.map(([name]) => name);
    buildVms(p, names);
    const check = (vms: readonly string[]) => timeIt(() => read(p, sim, "step-check", checkQuery(vms)));
    const lookup = () => read(p, sim, "guest-ip", lookupQuery(CLUSTER_VMS));
    await check(names); // warm-up: tsx's cache, the page cache
    await lookup();
    const out: CheckRound[] = [];
    for (let i = 0; i < rounds; i++) {
      const all = await timePair(
        i,
        () => check(names),
        () => check(names.slice(0, 1)),
      );
      // A plan reads both data sources at once; before the step check it read the lookup alone.
      const both = () => timeIt(() => Promise.all([lookup(), read(p, sim, "step-check", checkQuery(names))]));
      const plan = await timePair(i, both, () => timeIt(lookup));
      const previous = await timePair(i, both, () =>
        timeIt(() => read(p, sim, "guest-ip", lookupQuery(CLUSTER_VMS), PREVIOUS_START)),
      );
      out.push({ all, plan, previous });
    }
    return out;
  } finally {
    sim.cleanup();
    p.cleanup();
  }
}

function stepCheckFigures(rounds: readonly CheckRound[]): BenchFigure[] {
  const n = CLUSTER_VMS.length;
  const all = rounds.map((r) => r.all);
  const plan = rounds.map((r) => r.plan);
  const previous = rounds.map((r) => r.previous);
  const a = medianPair(all);
  const b = medianPair(plan);
  const c = medianPair(previous);
  return [
    figure(
      `step check, ${n} VMs vs 1`,
      a.measuredMs,
      a.baselineMs,
      "the check of 1 VM",
      1.2,
      `one scripts/run step-check of ${n} built VMs (records, disk, .vmx and a ${SEED_BYTES >> 10} KiB seed ISO hashed each) against one of 1: file reads only, so a VM must cost next to nothing; the median of ${rounds.length} rounds; rounds: ${roundRatios(all)}`,
    ),
    figure(
      `plan with VMs off, lookup and step check at once, ${n} VMs`,
      c.measuredMs,
      c.baselineMs,
      "the lookup alone, started as the previous release started it",
      1,
      `a no-op plan reads both data sources side by side, as Terraform does; before the step check it read the lookup alone, whose start then loaded zod (about 80 ms, put back here by preloading it): the plan's reads must be no slower than they were; the median of ${rounds.length} rounds; rounds: ${roundRatios(previous)}`,
    ),
    figure(
      `plan with VMs off, lookup and step check at once, ${n} VMs, vs today's lookup`,
      b.measuredMs,
      b.baselineMs,
      "the lookup alone",
      null,
      `what the second data source costs beside today's lookup: two Node processes on this 2-core machine share the cores (a Mac with more cores runs them side by side); rounds: ${roundRatios(plan)}`,
    ),
  ];
}

export async function benchStepCheck(rounds = 9): Promise<BenchFigure[]> {
  return stepCheckFigures(await measure(rounds));
}

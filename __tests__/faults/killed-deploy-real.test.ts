/**
 * The real-Terraform tier of the killed-deploy fault family: the scenarios whose kill point is exact
 * (test-support/faults/kill-scenarios.ts, `traced`) run with the real Terraform 1.11.4 and its providers
 * from the LAB_REAL_TOOLS mirror, and must converge as with the interpreter. Their traces (entry points
 * started and ended before the kill, the state the kill left, the plan after it, what the next deploy ran,
 * the plan after that) are the data killed-deploy.test.ts holds the interpreter to:
 * RECORD_TRACES=1 writes them to __tests__/faults/traces/, otherwise they are compared.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import {
  expectConverged,
  KILL_SCENARIOS,
  RigTemplates,
  runScenario,
  ScenarioTrace,
  traceFile,
  traceOf,
} from "../../test-support/faults/kill-scenarios";
import { requireTools } from "../../test-support/required-tools";

jest.setTimeout(300_000);

const templates = new RigTemplates();
afterAll(() => templates.cleanup());

/** `Terraform v1.11.4` -> 1.11.4: the version the traces were recorded with. */
function terraformVersion(): string {
  const out = spawnSync("terraform", ["version"], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  return /Terraform v(\S+)/.exec(out.stdout)?.[1] ?? "unknown";
}

requireTools("qemu-img", "xorriso", "python3", "real-terraform").describe(
  "a deploy killed anywhere, then deployed again, with the real Terraform",
  () => {
    const traced = KILL_SCENARIOS.filter((s) => s.traced);
    it.each(traced.map((s) => [s.name, s] as const))("%s", async (_name, s) => {
      const outcome = await runScenario(await templates.for(s.vms), s, "terraform");
      expectConverged(s, outcome);
      const trace = traceOf(s, outcome, terraformVersion());
      if (process.env.RECORD_TRACES === "1")
        fs.writeFileSync(traceFile(s), `${JSON.stringify(trace, null, 2)}\n`);
      else expect(trace).toEqual(JSON.parse(fs.readFileSync(traceFile(s), "utf8")) as ScenarioTrace);
    });
  },
);

/**
 * Fault family: a deploy killed anywhere, as a user's kill happens (the whole process group, SIGKILL, or
 * SIGHUP as a closed terminal sends it), at every step boundary and inside each step, for one VM and for
 * several (test-support/faults/kill-scenarios.ts). The interpreter runs as a process of its own and, as
 * Terraform 1.11.4 does, leaves the state as its last completed operation wrote it, a step whose
 * provisioner was killed recorded and untainted. Outcomes asserted: one plain deploy converges (every VM
 * running with its address recorded), the plan after it is clean, no disk that was complete at the kill
 * is made again (same inode and mtime), and a VM killed during its first boot is not restarted. Where
 * the kill point is exact, the interpreter's run must match the real Terraform's, recorded in
 * __tests__/faults/traces/ by killed-deploy-real.test.ts.
 */
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
import { TERRAFORM_VERSION } from "../../test-support/terraform-apply/config";

jest.setTimeout(180_000);

const templates = new RigTemplates();
afterAll(() => templates.cleanup());

requireTools("qemu-img", "xorriso", "python3").describe(
  "a deploy killed anywhere, then deployed again",
  () => {
    it.each(KILL_SCENARIOS.map((s) => [s.name, s] as const))("%s", async (_name, s) => {
      const outcome = await runScenario(await templates.for(s.vms), s, "interpreter");
      expectConverged(s, outcome);
      if (s.traced) {
        const real = JSON.parse(fs.readFileSync(traceFile(s), "utf8")) as ScenarioTrace;
        expect(traceOf(s, outcome, TERRAFORM_VERSION)).toEqual(real);
      }
    });
  },
);

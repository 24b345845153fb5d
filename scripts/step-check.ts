// Terraform `external` data source of a stack, read at every plan: each VM build step's token, so a step
// whose result is missing or was interrupted is planned again (lib/runtime/steps/check.ts). JSON query on
// stdin (lib/model/entry/contracts.ts STEP_CHECK), `<vm>_<step>` -> token on stdout. Reads files only.
import { STEP_CHECK } from "../lib/model/entry/contracts";
import { runMain } from "../lib/runtime/entry/main";
import { readQuery } from "../lib/runtime/entry/query";
import { checkSteps, planStepCheck } from "../lib/runtime/steps/check";

runMain("step-check", async () => {
  const vms = planStepCheck(process.cwd(), STEP_CHECK.parse(await readQuery()));
  process.stdout.write(`${JSON.stringify(checkSteps(vms))}\n`);
});

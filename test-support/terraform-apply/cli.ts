/**
 * The interpreter as a process of its own, the way `terraform apply` runs in a terminal: commands and
 * programs stay in its process group (processGroups "shared"), so a test can kill the whole group as a
 * user's kill does (SIGKILL; SIGHUP when the terminal closes, which Terraform does not catch) and find
 * the state as the last completed operation wrote it. Started by ./process.ts startStackProcess.
 *
 *   node --require tsx/cjs test-support/terraform-apply/cli.ts <apply|plan|destroy> <stackDir> [resultFile]
 *
 * Environment: as for Terraform (TF_VAR_..., PATH); the result (StackResult or PlanResult) goes to
 * resultFile as JSON when the run ends. (Not a test file.)
 */
import * as fs from "node:fs";
import { applyStack, destroyStack, planStack } from "./apply";

const OPERATIONS = { apply: applyStack, plan: planStack, destroy: destroyStack } as const;

async function main(): Promise<void> {
  const [operation, stackDir, resultFile] = process.argv.slice(2);
  if (!(operation in OPERATIONS) || stackDir === undefined)
    throw new Error("usage: cli.ts <apply|plan|destroy> <stackDir> [resultFile]");
  const run = OPERATIONS[operation as keyof typeof OPERATIONS];
  const result = await run({
    stackDir,
    processGroups: "shared",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (resultFile !== undefined) fs.writeFileSync(resultFile, JSON.stringify(result, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`terraform-apply: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

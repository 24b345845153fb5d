// `npm run doctor [-- --json] [-- --failures-only]`: preflight of the host; exit 1 on any failure.
import { Command } from "commander";
import { CommandFailedError } from "../lib/commands/common/report";
import { formatReport, summary } from "../lib/commands/doctor/format";
import { buildRealDoctorEnv } from "../lib/commands/doctor/real-env";
import { runDoctor } from "../lib/commands/doctor/run-doctor";
import { runMain } from "../lib/runtime/entry/main";

runMain("doctor", async () => {
  const program = new Command("doctor")
    .description("check the host before a deploy: tools, VMware networking, addresses, capacity, base image")
    .option("--json", "print the results as JSON")
    .option("--failures-only", "print only the failures (nothing when all is well)")
    .parse(process.argv);
  const opts = program.opts<{ json?: boolean; failuresOnly?: boolean }>();
  const report = await runDoctor(buildRealDoctorEnv(process.cwd()));
  process.stdout.write(formatReport(report.results, opts));
  if (!report.ok)
    throw new CommandFailedError(
      `${summary(report.results)}: fix the failures above and run npm run doctor again`,
    );
  if (!opts.json && !opts.failuresOnly) process.stderr.write(`doctor: ${summary(report.results)}\n`);
});

/**
 * `teardown` as a command (npm run teardown, manager delete-vms, menu choice 8): confirmation, the run,
 * the summary table and the exit status.
 */
import * as readline from "node:readline";
import { Command } from "commander";
import { CliContext, requireDriver } from "../common/context";
import { CommandFailedError, renderTable } from "../common/report";
import { findOrphanVms, planTeardown, TeardownScope } from "./plan";
import { DestroyStep, runTeardown, TeardownReport } from "./run-teardown";
import { findVsphereOrphans, planVsphereTeardown } from "./vsphere";

export interface TeardownCommandOptions extends TeardownScope {
  /** Confirmation already given (--yes, or the menu's "delete"). */
  readonly yes?: boolean;
  readonly skipDestroy?: boolean;
}

export interface TeardownIo {
  readonly input: NodeJS.ReadableStream;
  /** Prompts and progress. */
  readonly err: NodeJS.WritableStream;
  /** The summary table. */
  readonly out: NodeJS.WritableStream;
}

const defaultIo = (): TeardownIo => ({ input: process.stdin, err: process.stderr, out: process.stdout });

/** One line from `input`; undefined at end of input. */
function askLine(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  prompt: string,
): Promise<string | undefined> {
  output.write(prompt);
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input, terminal: false });
    let answered = false;
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line.trim());
    });
    rl.once("close", () => {
      if (!answered) resolve(undefined);
    });
  });
}

function renderTeardownReport(report: TeardownReport): string {
  const destroy =
    report.destroy === "skipped"
      ? ["terraform destroy", "skipped", "--skip-destroy"]
      : ["terraform destroy", report.destroy.ok ? "done" : "failed", report.destroy.detail];
  return renderTable(
    ["item", "outcome", "detail"],
    [destroy, ...report.rows.map((r) => [r.item, r.outcome, r.detail])],
  );
}

/** This teardown as the user types it, with its options: the fix its messages name. */
function teardownCli(opts: TeardownCommandOptions): string {
  const flags = [
    opts.yes ? "--yes" : "",
    opts.includeAptCache ? "--include-apt-cache" : "",
    opts.purgeImages ? "--purge-images" : "",
    opts.includeOrphans ? "--orphans" : "",
    opts.skipDestroy ? "--skip-destroy" : "",
  ].filter((f) => f !== "");
  return `npm run teardown${flags.length > 0 ? ` -- ${flags.join(" ")}` : ""}`;
}

export async function teardownCommand(
  ctx: CliContext,
  opts: TeardownCommandOptions,
  destroy: DestroyStep,
  io: TeardownIo = defaultIo(),
): Promise<void> {
  requireDriver(ctx);
  const vsphere = ctx.model.target === "vsphere";
  const plan = vsphere
    ? await planVsphereTeardown(ctx, opts)
    : planTeardown(ctx.model, opts, ctx.projectRoot);
  if (!opts.yes) {
    const what = [
      `VMs ${plan.vms.map((v) => (v.orphan ? `${v.name} (no longer in the config)` : v.name)).join(", ")}`,
      "their generated folders",
      plan.stateFiles.join(", "),
      plan.inventoryFile,
      ...(plan.baseImagesDir ? [plan.baseImagesDir] : []),
    ].join("; ");
    const answer = await askLine(io.input, io.err, `teardown deletes for good: ${what}. Go on? [y/N]: `);
    if (answer?.toLowerCase() !== "y" && answer?.toLowerCase() !== "yes") {
      throw new CommandFailedError(
        `teardown cancelled: nothing was touched; run it again and answer y, or run ${teardownCli({ ...opts, yes: true })}`,
      );
    }
  }
  const report = await runTeardown(ctx, {
    ...opts,
    plan,
    destroy: opts.skipDestroy ? undefined : destroy,
    log: (item, m) => io.err.write(`teardown ${item}: ${m}\n`),
  });
  io.out.write(`${renderTeardownReport(report)}\n`);
  if (report.leftovers.length > 0) {
    io.err.write(`teardown: left behind:\n${report.leftovers.map((l) => `  - ${l}\n`).join("")}`);
    const n = report.leftovers.length;
    throw new CommandFailedError(
      `teardown is incomplete: ${n} item${n === 1 ? " of the cluster remains" : "s of the cluster remain"} (listed above); fix the cause and run ${teardownCli({ ...opts, yes: true })} again`,
    );
  }
  const left = opts.includeOrphans
    ? []
    : vsphere
      ? await findVsphereOrphans(ctx)
      : findOrphanVms(ctx.projectRoot, ctx.model);
  if (left.length > 0) {
    io.err.write(
      `teardown: left alone, not in the config: ${left.map((v) => v.inventoryPath ?? v.vmDir).join(", ")}; if they are VMs removed from vms, remove them with npm run teardown -- --orphans\n`,
    );
  }
  io.out.write("teardown complete: nothing of the cluster remains\n");
}

/** Adds the teardown options and action to `cmd` (the teardown entry point and `manager delete-vms`). */
export function configureTeardownCommand(
  cmd: Command,
  load: () => CliContext,
  destroy: DestroyStep,
): Command {
  return cmd
    .option("-y, --yes", "do not ask for confirmation")
    .option("--include-apt-cache", "also remove the APT cache VM, its generated folder and its state")
    .option("--purge-images", "also remove the downloaded base images")
    .option(
      "--orphans",
      "also remove VMs in the VMs folder that are no longer in the config (stop, deleteVM, folder)",
    )
    .option("--skip-destroy", "do not run npx cdktf destroy k8s-cluster first; only sweep")
    .action(
      (o: {
        yes?: boolean;
        includeAptCache?: boolean;
        purgeImages?: boolean;
        skipDestroy?: boolean;
        orphans?: boolean;
      }) => teardownCommand(load(), { ...o, includeOrphans: o.orphans }, destroy),
    );
}

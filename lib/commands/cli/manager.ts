import * as readline from "node:readline";
import { Command } from "commander";
import { withOperationLock } from "../../runtime/ops/operation-lock";
import { listManifests } from "../snapshot/manifest";
import { CliContext, ensureGeneratedDir, loadCliContext } from "../common/context";
import { startAll, stopAll } from "./power-commands";
import { errorMessage, progressLine, reportOutcomes } from "../common/report";
import {
  buildSnapshotCommand,
  ContextLoader,
  manifestDirOf,
  snapshotCreate,
  snapshotDelete,
  snapshotList,
  snapshotRollback,
  timeoutOption,
} from "./snapshot-commands";
import { printStatus } from "./status-command";
import { configureDeployCommand, realDeploySteps, runDeploy } from "../deploy/run-deploy";
import { runNpx } from "../common/npx";
import { configureTeardownCommand, teardownCommand } from "../teardown/command";
import { DestroyStep } from "../teardown/run-teardown";

// The first step of "delete all VMs" (teardown); the sweep that follows removes whatever it leaves.
const DESTROY_ARGV = ["cdktf", "destroy", "k8s-cluster", "--auto-approve"] as const;

/** The teardown's destroy step: the real cdktf destroy; a non-zero exit is reported, not thrown. */
export function cdktfDestroyStep(root: string): DestroyStep {
  return async () => {
    const code = await runNpx(root, DESTROY_ARGV, "manager");
    const detail = `npx ${DESTROY_ARGV.join(" ")} ${code === 0 ? "finished" : `exited with ${code}`}`;
    return { ok: code === 0, detail };
  };
}

/** Menu choice 1: `npm run deploy` without options. */
const deployFromMenu = (ctx: CliContext) => runDeploy(ctx, {}, realDeploySteps(ctx.projectRoot));

async function startAllCommand(ctx: CliContext): Promise<void> {
  const rows = await withOperationLock(ensureGeneratedDir(ctx), "start-all", () =>
    startAll(ctx, progressLine("start-all")),
  );
  reportOutcomes("start-all", rows);
}

async function stopAllCommand(ctx: CliContext): Promise<void> {
  const rows = await withOperationLock(ensureGeneratedDir(ctx), "stop-all", () =>
    stopAll(ctx, progressLine("stop-all")),
  );
  reportOutcomes("stop-all", rows);
}

const MENU_TEXT = [
  "",
  "Kubernetes lab manager",
  "  1) provision the cluster (cdktf deploy)",
  "  2) status",
  "  3) start or stop all VMs",
  "  4) create snapshot",
  "  5) list snapshots",
  "  6) rollback to a snapshot",
  "  7) delete snapshots",
  "  8) delete all VMs (teardown: cdktf destroy k8s-cluster, then sweep; the APT cache stays)",
  "  q) quit",
  "",
].join("\n");

/** Lines from the input, one per question; undefined at end of input. Buffers lines typed (or piped) ahead. */
function lineReader(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  const rl = readline.createInterface({ input, terminal: false });
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  rl.on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  rl.on("close", () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    ask(prompt: string): Promise<string | undefined> {
      output.write(prompt);
      if (lines.length > 0) return Promise.resolve(lines.shift()!.trim());
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => waiting.push((l) => resolve(l?.trim())));
    },
    /** While a child owns the terminal, stop reading so its prompts get the keystrokes. */
    pause: () => rl.pause(),
    resume: () => rl.resume(),
    close: () => rl.close(),
  };
}

const splitNames = (text: string) => text.split(/[\s,]+/).filter((n) => n !== "");

/** The interactive menu; returns at "q" or end of input. Errors of one choice are shown and the menu comes back. */
async function runMenu(
  load: ContextLoader,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  load(); // a broken cluster.yaml stops here, before the menu
  const io = lineReader(input, output);
  const handover = async (fn: () => Promise<void>) => {
    io.pause();
    try {
      await fn();
    } finally {
      io.resume();
    }
  };
  try {
    for (;;) {
      output.write(`${MENU_TEXT}\n`);
      const choice = await io.ask("choice: ");
      if (choice === undefined || choice.toLowerCase() === "q") {
        output.write("\nbye\n");
        return;
      }
      try {
        switch (choice) {
          case "1":
            await handover(() => deployFromMenu(load()));
            break;
          case "2":
            await printStatus(load(), {});
            break;
          case "3": {
            const what = (await io.ask("start or stop all VMs? [start/stop]: "))?.toLowerCase();
            if (what === "start") await startAllCommand(load());
            else if (what === "stop") await stopAllCommand(load());
            else output.write(`nothing done: answer "start" or "stop"\n`);
            break;
          }
          case "4": {
            const name = await io.ask("set name (Enter for snap-YYYYMMDD-HHMM): ");
            if (name === undefined) break;
            const consistent =
              (
                await io.ask("suspend running VMs while the set is taken (consistent)? [y/N]: ")
              )?.toLowerCase() === "y";
            const keepText = await io.ask(
              "sets to keep, this one included; older ones made here are deleted (Enter for 1): ",
            );
            const keep = keepText ? Number(keepText) : undefined;
            if (keep !== undefined && (!Number.isInteger(keep) || keep < 1 || keep > 100)) {
              output.write(
                `nothing done: ${JSON.stringify(keepText)} is not a whole number between 1 and 100\n`,
              );
              break;
            }
            await snapshotCreate(load(), { name: name || undefined, consistent, keep });
            break;
          }
          case "5":
            await snapshotList(load(), {});
            break;
          case "6":
          case "7": {
            const verb = choice === "6" ? "roll back to" : "delete";
            const known = (await listManifests(manifestDirOf(load()))).map((m) => m.name);
            output.write(
              known.length > 0
                ? `sets made by this tool: ${known.join(", ")}\n`
                : "no sets made by this tool yet (choice 5 lists the VMs' snapshots)\n",
            );
            const name = await io.ask(`set to ${verb}: `);
            if (!name) {
              output.write("nothing done: no set name given\n");
              break;
            }
            const vms = splitNames((await io.ask("VMs (names separated by spaces; Enter for all): ")) ?? "");
            if (choice === "6") await snapshotRollback(load(), name, { vms });
            else await snapshotDelete(load(), name, { vms });
            break;
          }
          case "8": {
            const sure = await io.ask(
              'this deletes every cluster VM and its disk (the APT cache stays); type "delete" to go on: ',
            );
            if (sure === "delete") {
              const ctx = load();
              await handover(() => teardownCommand(ctx, { yes: true }, cdktfDestroyStep(ctx.projectRoot)));
            } else output.write("nothing done\n");
            break;
          }
          default:
            output.write(`unknown choice ${JSON.stringify(choice)}: type 1-8 or q\n`);
        }
      } catch (err) {
        process.stderr.write(`manager: ${errorMessage(err)}\n`);
      }
    }
  } finally {
    io.close();
  }
}

/** `manager [command]`: without one, the menu; each menu choice is also a subcommand for scripts. */
export function buildManagerProgram(
  root: string,
  load: ContextLoader = (timeoutSeconds) => loadCliContext(root, { timeoutSeconds }),
): Command {
  const timeout = timeoutOption;
  const program = new Command("manager")
    .description("manage the Kubernetes lab VMs")
    .action(() => runMenu(load));
  configureDeployCommand(
    program
      .command("deploy")
      .description(
        "the VMs cluster.yaml no longer names, the doctor's failing checks, then npx cdktf deploy apt-cache k8s-cluster (as npm run deploy)",
      ),
    () => load(),
    realDeploySteps(root),
  );
  program
    .command("status")
    .description(
      "power, IP, VMware Tools, cloud-init (over SSH), VIPs held by each gateway, and snapshots of every VM",
    )
    .option("--timeout <seconds>", "deadline of each vmrun call", timeout)
    .option("--json", "print the status as JSON")
    .option("--no-guest", "skip the SSH questions (cloud-init, VIPs)")
    .action((o: { timeout?: number; json?: boolean; guest?: boolean }) =>
      printStatus(load(o.timeout), { json: o.json, guest: o.guest }),
    );
  program
    .command("start-all")
    .description("start every VM that is not running: APT cache, masters, workers, gateways")
    .option("--timeout <seconds>", "deadline of each vmrun call", timeout)
    .action((o: { timeout?: number }) => startAllCommand(load(o.timeout)));
  program
    .command("stop-all")
    .description("stop every running VM: gateways, workers, masters, APT cache")
    .option("--timeout <seconds>", "deadline of each vmrun call", timeout)
    .action((o: { timeout?: number }) => stopAllCommand(load(o.timeout)));
  program.addCommand(buildSnapshotCommand(load));
  configureTeardownCommand(
    program
      .command("delete-vms")
      .description(
        "teardown: npx cdktf destroy k8s-cluster, then remove whatever of the cluster is left (asks for confirmation)",
      ),
    () => load(),
    cdktfDestroyStep(root),
  );
  return program;
}

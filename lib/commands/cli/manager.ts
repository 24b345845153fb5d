import * as readline from "node:readline";
import { Command } from "commander";
import { withOperationLock } from "../../runtime/ops/operation-lock";
import { listManifests } from "../snapshot/manifest";
import { CliContext, ensureGeneratedDir, loadCliContext, requireDriver } from "../common/context";
import { startAll, stopAll } from "./power-commands";
import { errorMessage, progressLine, reportOutcomes, terminalWidth, wrapText } from "../common/report";
import { VmrunLocateError } from "../../runtime/hypervisor/vmrun/locate";
import { explainSubcommands, refuseUnknownSubcommand } from "./subcommands";
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
  requireDriver(ctx);
  const rows = await withOperationLock(ensureGeneratedDir(ctx), "start-all", () =>
    startAll(ctx, progressLine("start-all")),
  );
  reportOutcomes("start-all", rows);
}

async function stopAllCommand(ctx: CliContext): Promise<void> {
  requireDriver(ctx);
  const rows = await withOperationLock(ensureGeneratedDir(ctx), "stop-all", () =>
    stopAll(ctx, progressLine("stop-all")),
  );
  reportOutcomes("stop-all", rows);
}

// Every line fits 80 columns (a test holds it).
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
  "  8) delete all VMs (teardown; the APT cache stays)",
  "  q) quit",
  "",
].join("\n");

/**
 * Lines from the input, one per question; undefined at end of input. Buffers lines typed (or piped)
 * ahead. A piped answer is echoed after its question, so the transcript reads as a terminal session.
 */
function lineReader(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  const echo = (input as { isTTY?: boolean }).isTTY !== true;
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
    async ask(prompt: string): Promise<string | undefined> {
      output.write(prompt);
      const line =
        lines.length > 0
          ? lines.shift()!.trim()
          : closed
            ? undefined
            : await new Promise<string | undefined>((resolve) => waiting.push((l) => resolve(l?.trim())));
      if (echo && line !== undefined) output.write(`${line}\n`);
      return line;
    },
    /** While a child owns the terminal, stop reading so its prompts get the keystrokes. */
    pause: () => rl.pause(),
    resume: () => rl.resume(),
    close: () => rl.close(),
  };
}

const splitNames = (text: string) => text.split(/[\s,]+/).filter((n) => n !== "");

/** What a menu choice gets: the context loader, the questions, the output, and the terminal hand-over. */
interface MenuIo {
  readonly load: ContextLoader;
  readonly ask: (prompt: string) => Promise<string | undefined>;
  readonly say: (text: string) => void;
  /** Runs `fn` with the terminal handed to it (cdktf's own prompts). */
  readonly handover: (fn: () => Promise<void>) => Promise<void>;
}

async function startOrStop(io: MenuIo): Promise<void> {
  const what = (await io.ask("start or stop all VMs? [start/stop]: "))?.toLowerCase();
  if (what === "start") await startAllCommand(io.load());
  else if (what === "stop") await stopAllCommand(io.load());
  else io.say(`nothing done: answer "start" or "stop"\n`);
}

async function createSet(io: MenuIo): Promise<void> {
  const name = await io.ask("set name (Enter for snap-YYYYMMDD-HHMM): ");
  if (name === undefined) return;
  const consistent =
    (await io.ask("suspend running VMs while the set is taken? [y/N]: "))?.toLowerCase() === "y";
  const keepText = await io.ask("sets to keep, this one included; older ones are deleted (Enter: 1): ");
  const keep = keepText ? Number(keepText) : undefined;
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1 || keep > 100)) {
    io.say(`nothing done: ${shown(keepText)} is not a whole number between 1 and 100\n`);
    return;
  }
  await snapshotCreate(io.load(), { name: name || undefined, consistent, keep });
}

async function useSet(io: MenuIo, verb: "roll back to" | "delete"): Promise<void> {
  const known = (await listManifests(manifestDirOf(io.load()))).map((m) => m.name);
  io.say(
    known.length > 0
      ? `${wrapText(`sets made by this tool: ${known.join(", ")}`, terminalWidth())}\n`
      : "no sets made by this tool yet (choice 5 lists the VMs' snapshots)\n",
  );
  const name = await io.ask(`set to ${verb}: `);
  if (!name) {
    io.say("nothing done: no set name given\n");
    return;
  }
  const vms = splitNames((await io.ask("VMs (names separated by spaces; Enter for all): ")) ?? "");
  if (verb === "roll back to") await snapshotRollback(io.load(), name, { vms });
  else await snapshotDelete(io.load(), name, { vms });
}

async function deleteAll(io: MenuIo): Promise<void> {
  io.say("this deletes every cluster VM and its disk (the APT cache stays)\n");
  if ((await io.ask('type "delete" to go on: ')) !== "delete") {
    io.say("nothing done\n");
    return;
  }
  const ctx = io.load();
  await io.handover(() => teardownCommand(ctx, { yes: true }, cdktfDestroyStep(ctx.projectRoot)));
}

/** A typed answer shown back, cut short: the line stays inside the terminal. */
const shown = (text: string | undefined) => JSON.stringify((text ?? "").slice(0, 40));

/** The menu's choices; 1 and 8 hand the terminal to cdktf. */
const CHOICES: Readonly<Record<string, (io: MenuIo) => Promise<void>>> = {
  "1": (io) => io.handover(() => deployFromMenu(io.load())),
  "2": (io) => printStatus(io.load(), {}),
  "3": startOrStop,
  "4": createSet,
  "5": (io) => snapshotList(io.load(), {}),
  "6": (io) => useSet(io, "roll back to"),
  "7": (io) => useSet(io, "delete"),
  "8": deleteAll,
};

/** The interactive menu; returns at "q" or end of input. Errors of one choice are shown and the menu comes back. */
async function runMenu(
  load: ContextLoader,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const ctx = load(); // a broken cluster.yaml stops here, before the menu
  const reader = lineReader(input, output);
  const io: MenuIo = {
    load,
    ask: (prompt) => reader.ask(prompt),
    say: (text) => output.write(text),
    handover: async (fn) => {
      reader.pause();
      try {
        await fn();
      } finally {
        reader.resume();
      }
    },
  };
  const note = vmrunNote(ctx);
  try {
    for (;;) {
      output.write(`${MENU_TEXT}${note}\n`);
      const choice = await io.ask("choice: ");
      if (choice === undefined || choice.toLowerCase() === "q") {
        output.write("\nbye\n");
        return;
      }
      const run = CHOICES[choice];
      if (run === undefined) output.write(`unknown choice ${shown(choice)}: type 1-8 or q\n`);
      else await run(io).catch((err: unknown) => process.stderr.write(`manager: ${errorMessage(err)}\n`));
    }
  } finally {
    reader.close();
  }
}

/** Under the menu, when vmrun is missing: which choices work without VMware. */
function vmrunNote(ctx: CliContext): string {
  try {
    requireDriver(ctx);
    return "";
  } catch (err) {
    if (!(err instanceof VmrunLocateError)) throw err;
    return `${wrapText(`(no usable vmrun: choices 1-4, 6-8 need VMware; 5 lists the sets from their files; ${err.fix})`, terminalWidth())}\n`;
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
    .action((_options: unknown, cmd: Command) => {
      refuseUnknownSubcommand(cmd);
      return runMenu(load);
    });
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
  program.addCommand(buildSnapshotCommand(load, "snapshot", "npm run manager -- snapshot"));
  configureTeardownCommand(
    program
      .command("delete-vms")
      .description(
        "teardown: npx cdktf destroy k8s-cluster, then remove whatever of the cluster is left (asks for confirmation)",
      ),
    () => load(),
    cdktfDestroyStep(root),
  );
  // An operand reaches the menu's action, which answers it as a mistyped subcommand (not "too many arguments").
  return explainSubcommands(program, "npm run manager --").allowExcessArguments(true);
}

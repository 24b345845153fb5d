import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { inventoryVariable } from "../../model/config/build-model";
import { writeFileAtomic } from "../../runtime/fs/atomic";
import { formatInventory, parseInventory } from "../../model/inventory/env-file";
import { parseCidr } from "../../model/net/ipv4";
import { withOperationLock } from "../../runtime/ops/operation-lock";
import { defaultSetName, validateSetName } from "../snapshot/names";
import { createSnapshotSet } from "../snapshot/create-set";
import { deleteSnapshotSet } from "../snapshot/delete-set";
import { listSnapshotSets, type SnapshotListing } from "../snapshot/list-sets";
import { listManifests } from "../snapshot/manifest";
import type { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { VmrunLocateError } from "../../runtime/hypervisor/vmrun/locate";
import { explainSubcommands } from "./subcommands";
import { rollbackSnapshotSet } from "../snapshot/rollback-set";
import { SetResult } from "../snapshot/types";
import {
  CliContext,
  ensureGeneratedDir,
  parseTimeoutSeconds,
  requireSomeBuilt,
  requireDriver,
  selectTargets,
  unbuilt,
} from "../common/context";
import { NOT_BUILT } from "../../runtime/vm/not-built";
import {
  compactTableWidth,
  failOnBadOutcomes,
  progressLine,
  renderCompactTable,
  renderOutcomeTable,
  terminalWidth,
  wrapText,
} from "../common/report";

/** Loads the context for one command; `timeoutSeconds` is its `--timeout`. */
export type ContextLoader = (timeoutSeconds?: number) => CliContext;

export const manifestDirOf = (ctx: CliContext) => path.join(ctx.generatedDir, "snapshots");

function parseKeep(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100)
    throw new InvalidArgumentError("--keep takes a whole number of sets between 1 and 100");
  return Number(value);
}

/** Commander parser of `--timeout <seconds>`. */
export function timeoutOption(value: string): number {
  try {
    return parseTimeoutSeconds(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(",").filter((v) => v !== ""),
];

/** The summary (a table, or the result as JSON with --json); exit 1 unless the set succeeded on every VM. */
function printSetResult(command: string, result: SetResult, json: boolean | undefined): void {
  process.stdout.write(
    json ? `${JSON.stringify(result, null, 2)}\n` : `${renderOutcomeTable(result.results)}\n`,
  );
  failOnBadOutcomes(`${command} ${result.set}`, result.results, result.ok);
}

export interface CreateOptions {
  readonly name?: string;
  readonly consistent?: boolean;
  readonly keep?: number;
  readonly json?: boolean;
}

export async function snapshotCreate(ctx: CliContext, opts: CreateOptions): Promise<void> {
  const name = opts.name ?? defaultSetName(new Date());
  validateSetName(name);
  await requireSomeBuilt(ctx, "snapshot create", ctx.targets);
  const missing = await unbuilt(ctx, ctx.targets);
  if (missing.length > 0)
    throw new Error(
      `snapshot create: ${missing.map((t) => t.name).join(", ")} ${NOT_BUILT} (a set is taken on every cluster VM); nothing was changed`,
    );
  const result = await withOperationLock(ensureGeneratedDir(ctx), "snapshot create", () =>
    createSnapshotSet(ctx.driver, ctx.targets, {
      name,
      consistent: opts.consistent,
      keep: opts.keep,
      timeoutMs: ctx.timeoutMs,
      manifestDir: manifestDirOf(ctx),
      onProgress: progressLine("snapshot create"),
    }),
  );
  printSetResult("snapshot create", result, opts.json);
}

export async function snapshotList(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  await requireSomeBuilt(ctx, "snapshot list", ctx.targets);
  const missing = new Set((await unbuilt(ctx, ctx.targets)).map((t) => t.name));
  const listing = await withOperationLock(ensureGeneratedDir(ctx), "snapshot list", () => listingOf(ctx));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    return;
  }
  const width = terminalWidth();
  if (listing.sets.length === 0)
    process.stdout.write("no snapshot sets yet; make one with: npm run snapshot -- create\n");
  else process.stdout.write(`${renderSetsTable(listing, width)}\n\n`);
  process.stdout.write(`${renderPresenceTable(listing, missing, width)}\n`);
  if (listing.vmrunProblem !== undefined)
    process.stdout.write(
      `${wrapText(`${listing.vmrunProblem}: the VMs' power and which of them hold each set need VMware (the sets above are from their manifests); ${listing.vmrunFix}`, width)}\n`,
    );
}

/** The listing, from the VMs and the manifests; from the manifests alone when vmrun is missing. */
async function listingOf(
  ctx: CliContext,
): Promise<SnapshotListing & { vmrunProblem?: string; vmrunFix?: string }> {
  let driver: Hypervisor;
  try {
    driver = requireDriver(ctx);
  } catch (err) {
    if (!(err instanceof VmrunLocateError)) throw err;
    const manifests = await listManifests(manifestDirOf(ctx));
    return {
      vms: ctx.targets.map((t) => ({ vm: t.name, power: "unknown", snapshots: [] })),
      sets: manifests.map((m) => ({ name: m.name, createdAt: m.createdAt, state: m.result, presence: {} })),
      vmrunProblem: err.problem,
      vmrunFix: err.fix,
    };
  }
  return listSnapshotSets(driver, ctx.targets, { manifestDir: manifestDirOf(ctx), timeoutMs: ctx.timeoutMs });
}

/** One line per set: when it was made, its state, on how many VMs it is ("?" when that is not known). */
function renderSetsTable(listing: SnapshotListing, width: number | undefined): string {
  const rows = listing.sets.map((s) => {
    const known = Object.keys(s.presence).length > 0;
    const on = Object.values(s.presence).filter(Boolean).length;
    return {
      cells: [
        s.name,
        s.createdAt ?? "-",
        s.state ?? "(not made by this tool)",
        known ? `${on}/${listing.vms.length}` : "?",
      ],
    };
  });
  return renderCompactTable(["set", "created", "state", "on VMs"], rows, {
    width,
    shrinkable: [
      { column: 2, min: 8 },
      { column: 0, min: 16 },
    ],
  });
}

const presenceWord = (present: boolean | undefined) =>
  present === undefined ? "?" : present ? "present" : "missing";

/**
 * Per VM its power and, per set, present or missing: one column a set while they fit the width;
 * otherwise (many sets, long names) one line a VM with its sets listed, wrapped.
 */
function renderPresenceTable(
  listing: SnapshotListing,
  missing: ReadonlySet<string>,
  width: number | undefined,
): string {
  const power = (vm: SnapshotListing["vms"][number]) => (missing.has(vm.vm) ? "not built" : vm.power);
  const head = ["VM", "power", ...listing.sets.map((s) => s.name)];
  const matrix = listing.vms.map((vm) => ({
    cells: [vm.vm, power(vm), ...listing.sets.map((s) => presenceWord(s.presence[vm.vm]))],
  }));
  if (width === undefined || compactTableWidth(head, matrix) <= width)
    return renderCompactTable(head, matrix);
  const byWord = (vm: string) =>
    (["present", "missing", "?"] as const)
      .map((word) => [word, listing.sets.filter((s) => presenceWord(s.presence[vm]) === word)] as const)
      .filter(([, sets]) => sets.length > 0)
      .map(([word, sets]) => `${word}: ${sets.map((s) => s.name).join(", ")}`)
      .join("; ");
  const rows = listing.vms.map((vm) => ({ cells: [vm.vm, power(vm), byWord(vm.vm)] }));
  return renderCompactTable(["VM", "power", "sets"], rows, {
    width,
    shrinkable: [
      { column: 2, min: 20 },
      { column: 0, min: 8 },
    ],
  });
}

/**
 * vm-ips.env after a rollback: the APT cache's fixed address, then per cluster VM the address the
 * rollback found or else its existing line (VMs not rolled back, or one that reported no address).
 */
export function inventoryAfterRollback(
  ctx: CliContext,
  ips: Readonly<Record<string, string>>,
  existing: string,
): string {
  const old = parseInventory(existing);
  const entries: [string, string][] = [
    [inventoryVariable(ctx.model.aptCache.vm), ctx.model.aptCache.address],
  ];
  for (const vm of ctx.model.vms) {
    const key = inventoryVariable(vm);
    const value = ips[vm.name] || old.get(key);
    if (value !== undefined) entries.push([key, value]);
  }
  return formatInventory(entries);
}

export async function snapshotRollback(
  ctx: CliContext,
  name: string,
  opts: { vms?: string[] },
): Promise<void> {
  validateSetName(name);
  await requireSomeBuilt(ctx, "snapshot rollback", ctx.targets);
  const chosen = selectTargets(ctx.targets, opts.vms);
  const missing = await unbuilt(ctx, chosen);
  if (missing.length > 0)
    throw new Error(
      `snapshot rollback: ${missing.map((t) => t.name).join(", ")} ${NOT_BUILT}; nothing was changed`,
    );
  const m = ctx.model;
  await withOperationLock(ensureGeneratedDir(ctx), "snapshot rollback", async () => {
    const result = await rollbackSnapshotSet(ctx.driver, ctx.targets, name, {
      vms: chosen.map((t) => t.name),
      timeoutMs: ctx.timeoutMs,
      manifestDir: manifestDirOf(ctx),
      onProgress: progressLine("snapshot rollback"),
      ipWaitMs: m.timeouts.ipWaitSeconds * 1000,
      networks: [parseCidr(m.network.nat.subnet), parseCidr(m.network.lan.subnet)],
      exclude: [m.network.externalVip, m.network.internalVip],
    });
    const existing = fs.existsSync(ctx.inventoryFile) ? fs.readFileSync(ctx.inventoryFile, "utf8") : "";
    await writeFileAtomic(ctx.inventoryFile, inventoryAfterRollback(ctx, result.ips, existing));
    process.stderr.write(`snapshot rollback: wrote ${path.relative(ctx.projectRoot, ctx.inventoryFile)}\n`);
    printSetResult("snapshot rollback", result, false);
  });
}

export async function snapshotDelete(ctx: CliContext, name: string, opts: { vms?: string[] }): Promise<void> {
  validateSetName(name);
  await requireSomeBuilt(ctx, "snapshot delete", ctx.targets);
  const chosen = selectTargets(ctx.targets, opts.vms);
  // A VM that is not built holds no set: skipped, as a VM without the set is.
  const missing = new Set((await unbuilt(ctx, chosen)).map((t) => t.name));
  const built = chosen.filter((t) => !missing.has(t.name));
  // Never an empty --vm list: deleteSnapshotSet reads that as every VM.
  const deleted =
    built.length === 0
      ? { set: name, ok: true, results: [] }
      : await withOperationLock(ensureGeneratedDir(ctx), "snapshot delete", () =>
          deleteSnapshotSet(ctx.driver, ctx.targets, name, {
            vms: built.map((t) => t.name),
            timeoutMs: ctx.timeoutMs,
            manifestDir: manifestDirOf(ctx),
            onProgress: progressLine("snapshot delete"),
          }),
        );
  const skipped = chosen
    .filter((t) => missing.has(t.name))
    .map((t) => ({ vm: t.name, outcome: "skipped" as const, detail: NOT_BUILT }));
  const result = { ...deleted, results: [...deleted.results, ...skipped] };
  printSetResult("snapshot delete", result, false);
}

/** The `snapshot` command tree; the root program of scripts/snapshot.ts and a subcommand of the manager. */
export function buildSnapshotCommand(
  load: ContextLoader,
  name = "snapshot",
  usage = "npm run snapshot --",
): Command {
  const cmd = new Command(name).description(
    "snapshot sets of the cluster VMs (the APT cache is not included)",
  );
  cmd
    .command("create")
    .description("take a snapshot of every cluster VM (all or nothing)")
    .argument("[name]", "set name (letters, digits, '.', '_', '-'); default snap-YYYYMMDD-HHMM")
    .option("--consistent", "suspend the running VMs while the set is taken, then resume them")
    .option("--keep <n>", "keep at most N sets per VM, deleting older sets this tool made", parseKeep)
    .option("--timeout <seconds>", "deadline of each vmrun call", timeoutOption)
    .option("--json", "print the result as JSON")
    .action(
      (
        setName: string | undefined,
        o: { consistent?: boolean; keep?: number; timeout?: number; json?: boolean },
      ) =>
        snapshotCreate(load(o.timeout), {
          name: setName,
          consistent: o.consistent,
          keep: o.keep,
          json: o.json,
        }),
    );
  cmd
    .command("list")
    .description("the snapshot sets and which VMs have them")
    .option("--timeout <seconds>", "deadline of each vmrun call", timeoutOption)
    .option("--json", "print the listing as JSON")
    .action((o: { timeout?: number; json?: boolean }) => snapshotList(load(o.timeout), { json: o.json }));
  cmd
    .command("rollback")
    .description("revert VMs to a set, start them and rewrite vm-ips.env")
    .argument("<name>", "set name")
    .option("--vm <name>", "only these VMs (repeat or separate with commas); default all", collect)
    .option("--timeout <seconds>", "deadline of each vmrun call", timeoutOption)
    .action((setName: string, o: { vm?: string[]; timeout?: number }) =>
      snapshotRollback(load(o.timeout), setName, { vms: o.vm }),
    );
  cmd
    .command("delete")
    .description("delete a set's snapshots (a VM without it is skipped)")
    .argument("<name>", "set name")
    .option("--vm <name>", "only these VMs (repeat or separate with commas); default all", collect)
    .option("--timeout <seconds>", "deadline of each vmrun call", timeoutOption)
    .action((setName: string, o: { vm?: string[]; timeout?: number }) =>
      snapshotDelete(load(o.timeout), setName, { vms: o.vm }),
    );
  return explainSubcommands(cmd, usage);
}

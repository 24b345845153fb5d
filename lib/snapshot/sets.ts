/**
 * Snapshot sets: one snapshot of the same name on every cluster VM, taken, rolled back and deleted
 * together. Creation is all-or-nothing (a partial set is deleted again), every vmrun call has a deadline,
 * and a call cut off by its deadline is judged by what `listSnapshots` shows afterwards, not assumed.
 */
import { startOrder } from "../config/build-model";
import { Cidr } from "../net/ipv4";
import { lookupGuestIp } from "../vm/guest-ip";
import { VmrunDriver } from "../vmrun/driver";
import { isSnapshotNotFound, VmrunError } from "../vmrun/errors";
import { listManifests, readManifest, removeManifest, writeManifest } from "./manifest";
import { validateSetName } from "./names";
import { SetManifest, SetResult, SnapshotTarget, VmResult } from "./types";

export interface SnapshotOptions {
  /** Deadline of each vmrun call, in ms. */
  readonly timeoutMs: number;
  /** Directory of the set manifests (`<generated>/snapshots`). */
  readonly manifestDir: string;
  readonly onProgress?: (vm: string, message: string) => void;
}

export interface CreateSetOptions extends SnapshotOptions {
  readonly name: string;
  /** Suspend every running VM first, so all snapshots show the same moment; resumed afterwards. */
  readonly consistent?: boolean;
  /** Sets made by this tool to keep per VM, the new one included. @default 1 */
  readonly keep?: number;
}

export interface RollbackSetOptions extends SnapshotOptions {
  /** VM names to roll back. @default all targets */
  readonly vms?: readonly string[];
  /** Time to wait for each VM's IP after the rollback, in ms. */
  readonly ipWaitMs: number;
  readonly networks: readonly Cidr[];
  /** Addresses never taken as a guest's own (the VIPs). */
  readonly exclude: readonly string[];
}

export interface DeleteSetOptions extends SnapshotOptions {
  /** VM names to delete the set from. @default all targets */
  readonly vms?: readonly string[];
}

export interface ListSetsOptions {
  readonly manifestDir: string;
  readonly timeoutMs: number;
}

export interface VmSnapshots {
  vm: string;
  power: "on" | "off" | "unknown";
  /** Empty too when they could not be listed (then the VM is absent from every set's presence). */
  snapshots: string[];
}

export interface SetListing {
  name: string;
  createdAt?: string;
  result?: string;
  /** VM name -> whether the VM holds the snapshot; VMs whose snapshots could not be listed are left out. */
  presence: Record<string, boolean>;
}

export interface SnapshotListing {
  vms: VmSnapshots[];
  sets: SetListing[];
}

// ------------------------------------------------------------------ small helpers

const done = (vm: string, detail: string): VmResult => ({ vm, outcome: "done", detail });
const failed = (vm: string, detail: string): VmResult => ({ vm, outcome: "failed", detail });
const unknown = (vm: string, detail: string): VmResult => ({ vm, outcome: "unknown", detail });
const skipped = (vm: string, detail: string): VmResult => ({ vm, outcome: "skipped", detail });

const isBad = (r: VmResult) => r.outcome === "failed" || r.outcome === "unknown";
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
const isTimeout = (err: unknown) => err instanceof VmrunError && err.kind === "timeout";

/** What to tell the user about a VM whose vmrun call hung (the usual cause is a dialog in Fusion). */
const dialogHint = (vm: string) => `open VMware Fusion, close any dialog or window of ${vm}`;
const cutOffText = (command: string, vm: string, timeoutMs: number) =>
  `vmrun ${command} ${vm} did not answer within ${seconds(timeoutMs)} and was stopped`;

function checkTargets(targets: readonly SnapshotTarget[]): void {
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.name))
      throw new Error(`VM ${t.name} is listed twice among the snapshot targets: each VM may appear once`);
    seen.add(t.name);
  }
}

/** The targets named in `vms` (all when undefined); an unknown name is an error before anything is done. */
function choose(targets: readonly SnapshotTarget[], vms: readonly string[] | undefined): SnapshotTarget[] {
  if (vms === undefined || vms.length === 0) return [...targets];
  const known = new Set(targets.map((t) => t.name));
  const missing = vms.filter((v) => !known.has(v));
  if (missing.length > 0) {
    throw new Error(
      `unknown VM ${missing.join(", ")}: choose among ${targets.map((t) => t.name).join(", ")}`,
    );
  }
  const wanted = new Set(vms);
  return targets.filter((t) => wanted.has(t.name));
}

/** Cache, masters, workers, gateways. */
function inStartOrder(targets: readonly SnapshotTarget[]): SnapshotTarget[] {
  return startOrder(targets);
}

/** Snapshot names of every target, or the first listing error (thrown) with `doing` in its message. */
async function listAll(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  timeoutMs: number,
  doing: string,
): Promise<string[][]> {
  const settled = await Promise.allSettled(targets.map((t) => driver.listSnapshots(t.vmx, { timeoutMs })));
  return settled.map((s, i) => {
    if (s.status === "fulfilled") return s.value;
    throw new Error(
      `cannot list the snapshots of ${targets[i].name} ${doing}: ${message(s.reason)}; nothing was changed`,
    );
  });
}

async function runningVmxs(driver: VmrunDriver, timeoutMs: number): Promise<Set<string>> {
  return new Set((await driver.list({ timeoutMs })).map((p) => p.toLowerCase()));
}

const isIn = (running: Set<string>, t: SnapshotTarget) => running.has(t.vmx.toLowerCase());

/** Drops `vms` from the manifest of `name` (they no longer hold it); removes the manifest when none is left. */
async function forgetVms(manifestDir: string, name: string, vms: ReadonlySet<string>): Promise<void> {
  if (vms.size === 0) return;
  const manifest = await readManifest(manifestDir, name);
  if (manifest === undefined) return;
  const remaining = manifest.vms.filter((v) => !vms.has(v));
  if (remaining.length === 0) await removeManifest(manifestDir, name);
  else if (remaining.length !== manifest.vms.length)
    await writeManifest(manifestDir, { ...manifest, vms: remaining });
}

// ------------------------------------------------------------------ create

/**
 * Takes snapshot `opts.name` on every target at once. All-or-nothing: if any VM fails (or cannot be
 * checked), the snapshots this run made are deleted again and ok is false. A name that exists on any
 * VM is refused before anything is done. After a complete set, older sets of this tool beyond `keep`
 * are deleted, oldest first; snapshots this tool did not make are never touched.
 */
export async function createSnapshotSet(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  opts: CreateSetOptions,
): Promise<SetResult> {
  const name = validateSetName(opts.name);
  const keep = opts.keep ?? 1;
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`keep must be a whole number of at least 1, not ${keep}: pass --keep 1 or more`);
  checkTargets(targets);
  const timeoutMs = opts.timeoutMs;
  const progress = (vm: string, msg: string) => opts.onProgress?.(vm, msg);

  const before = await listAll(driver, targets, timeoutMs, `before taking set ${name}`);
  const holders = targets.filter((_, i) => before[i].includes(name)).map((t) => t.name);
  if (holders.length > 0) {
    throw new Error(
      `snapshot set ${name} already exists on ${holders.join(", ")}: choose another name, or delete it first (snapshot delete ${name}); nothing was changed`,
    );
  }
  const running = opts.consistent ? await runningVmxs(driver, timeoutMs) : new Set<string>();

  const createdAt = new Date().toISOString();
  const manifest = (result: SetManifest["result"], results: VmResult[]): SetManifest => ({
    name,
    createdAt,
    vms: targets.map((t) => t.name),
    consistent: opts.consistent ?? false,
    result,
    results,
  });
  // Written first, so that snapshots left by an interrupted run are still known to be this tool's.
  await writeManifest(
    opts.manifestDir,
    manifest(
      "failed",
      targets.map((t) =>
        unknown(t.name, `the run was interrupted; run snapshot list, then snapshot delete ${name}`),
      ),
    ),
  );

  const results = new Map<string, VmResult>();
  const frozen: SnapshotTarget[] = [];
  const resumeProblems = new Map<string, string>();
  try {
    if (opts.consistent) {
      await Promise.all(
        targets
          .filter((t) => isIn(running, t))
          .map(async (t) => {
            progress(t.name, "suspending");
            try {
              await driver.suspend(t.vmx, "hard", { timeoutMs });
              frozen.push(t);
            } catch (err) {
              // Whatever happened, a VM that is down now was running before and must come back.
              const down = await driver.isRunning(t.vmx, { timeoutMs }).then(
                (on) => !on,
                () => false,
              );
              if (down) frozen.push(t);
              const hint = isTimeout(err)
                ? `${dialogHint(t.name)}, then retry`
                : "retry without --consistent, or fix the VM first";
              results.set(
                t.name,
                failed(t.name, `could not suspend ${t.name} for a consistent set: ${message(err)}; ${hint}`),
              );
            }
          }),
      );
    }
    if (results.size > 0) {
      const culprits = [...results.keys()].join(", ");
      for (const t of targets)
        if (!results.has(t.name))
          results.set(t.name, skipped(t.name, `no snapshot taken: ${culprits} could not be suspended`));
    } else {
      await Promise.all(
        targets.map(async (t) =>
          results.set(t.name, await snapshotOne(driver, t, name, timeoutMs, progress)),
        ),
      );
    }
  } finally {
    for (const t of inStartOrder(frozen)) {
      progress(t.name, "resuming");
      try {
        await driver.start(t.vmx, { timeoutMs });
      } catch (err) {
        resumeProblems.set(
          t.name,
          `${t.name} could not be resumed after the snapshot: ${message(err)}; start it by hand (vmrun start ${t.vmx} nogui)`,
        );
      }
    }
  }

  const complete = targets.every((t) => results.get(t.name)?.outcome === "done");
  if (!complete) await undoPartialSet(driver, targets, name, timeoutMs, results, progress);
  for (const [vm, problem] of resumeProblems) {
    const r = results.get(vm)!;
    results.set(vm, failed(vm, `${r.detail}; but ${problem}`));
  }
  if (complete)
    await pruneOlderSets(driver, targets, name, before, keep, opts.manifestDir, timeoutMs, results, progress);

  const ordered = targets.map((t) => results.get(t.name)!);
  await writeManifest(opts.manifestDir, manifest(complete ? "complete" : "failed", ordered));
  return { set: name, ok: !ordered.some(isBad), results: ordered };
}

async function snapshotOne(
  driver: VmrunDriver,
  t: SnapshotTarget,
  name: string,
  timeoutMs: number,
  progress: (vm: string, msg: string) => void,
): Promise<VmResult> {
  progress(t.name, `taking snapshot ${name}`);
  try {
    await driver.snapshot(t.vmx, name, { timeoutMs });
    progress(t.name, "snapshot taken");
    return done(t.name, "snapshot taken");
  } catch (err) {
    if (!isTimeout(err)) return failed(t.name, `${message(err)}; nothing was kept, fix ${t.name} and retry`);
  }
  // vmrun was killed at the deadline: whether the snapshot exists is for listSnapshots to say.
  const cutOff = cutOffText("snapshot", t.name, timeoutMs);
  let names: string[];
  try {
    names = await driver.listSnapshots(t.vmx, { timeoutMs });
  } catch (err) {
    return unknown(
      t.name,
      `${cutOff}, and its snapshots cannot be listed (${message(err)}); ${dialogHint(t.name)}, then run snapshot list and delete ${name} where it is present`,
    );
  }
  if (names.includes(name)) return done(t.name, `${cutOff}, but the snapshot exists`);
  return failed(t.name, `${cutOff}; no snapshot was taken: ${dialogHint(t.name)}, then retry`);
}

/** Deletes snapshot `name` wherever this failed run left it, so no partial set remains. */
async function undoPartialSet(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  name: string,
  timeoutMs: number,
  results: Map<string, VmResult>,
  progress: (vm: string, msg: string) => void,
): Promise<void> {
  const culprits = targets.filter((t) => isBad(results.get(t.name)!)).map((t) => t.name);
  const why = `the set is incomplete (${culprits.join(", ")} failed)`;
  await Promise.all(
    targets.map(async (t) => {
      const prior = results.get(t.name)!;
      let names: string[];
      try {
        names = await driver.listSnapshots(t.vmx, { timeoutMs });
      } catch (err) {
        if (prior.outcome === "done") {
          results.set(
            t.name,
            unknown(
              t.name,
              `snapshot taken, but ${why} and ${t.name}'s snapshots cannot be listed to remove it (${message(err)}); run snapshot delete ${name}`,
            ),
          );
        }
        return;
      }
      if (!names.includes(name)) {
        if (prior.outcome === "done")
          results.set(t.name, skipped(t.name, `snapshot no longer present; ${why}`));
        // "unknown" only comes from a snapshot call cut off at its deadline; now it is known to have left nothing.
        else if (prior.outcome === "unknown")
          results.set(
            t.name,
            failed(
              t.name,
              `${cutOffText("snapshot", t.name, timeoutMs)}; no snapshot was taken: ${dialogHint(t.name)}, then retry`,
            ),
          );
        return;
      }
      progress(t.name, `deleting ${name} again: ${why}`);
      try {
        await driver.deleteSnapshot(t.vmx, name, { timeoutMs });
        if (prior.outcome === "done")
          results.set(t.name, skipped(t.name, `snapshot taken, then deleted again: ${why}`));
        else results.set(t.name, failed(t.name, `${prior.detail}; the snapshot it left was deleted again`));
      } catch (err) {
        results.set(
          t.name,
          failed(
            t.name,
            `snapshot ${name} was left on ${t.name} and could not be deleted again (${message(err)}); run snapshot delete ${name}`,
          ),
        );
      }
    }),
  );
}

/** After a complete set: per VM, deletes this tool's older sets (oldest first) beyond `keep`. */
async function pruneOlderSets(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  name: string,
  before: readonly string[][],
  keep: number,
  manifestDir: string,
  timeoutMs: number,
  results: Map<string, VmResult>,
  progress: (vm: string, msg: string) => void,
): Promise<void> {
  let older: SetManifest[];
  try {
    older = (await listManifests(manifestDir)).filter((m) => m.name !== name);
  } catch (err) {
    // The new set is complete; an unreadable manifest only means older sets cannot be told apart.
    for (const [vm, r] of results)
      results.set(vm, done(vm, `${r.detail}; older sets were not pruned: ${message(err)}`));
    return;
  }
  const gone = new Map<string, Set<string>>(); // set name -> VMs it was deleted from
  await Promise.all(
    targets.map(async (t, i) => {
      const owned = older.filter((m) => before[i].includes(m.name)); // oldest first
      const excess = owned.slice(0, Math.max(0, owned.length + 1 - keep));
      const problems: string[] = [];
      for (const m of excess) {
        progress(t.name, `deleting older set ${m.name}`);
        try {
          await driver.deleteSnapshot(t.vmx, m.name, { timeoutMs });
        } catch (err) {
          if (!isSnapshotNotFound(err)) {
            problems.push(
              `could not delete older set ${m.name} (${message(err)}; run snapshot delete ${m.name} --vm ${t.name})`,
            );
            continue;
          }
        }
        if (!gone.has(m.name)) gone.set(m.name, new Set());
        gone.get(m.name)!.add(t.name);
      }
      const pruned = excess.length - problems.length;
      const r = results.get(t.name)!;
      // The new set stays complete: a failed prune costs disk space, not the snapshot just taken.
      if (problems.length > 0) results.set(t.name, done(t.name, `${r.detail}; but ${problems.join("; ")}`));
      else if (pruned > 0)
        results.set(
          t.name,
          done(t.name, `${r.detail}; deleted older ${excess.map((m) => m.name).join(", ")}`),
        );
    }),
  );
  for (const [set, vms] of gone) await forgetVms(manifestDir, set, vms);
}

// ------------------------------------------------------------------ list

/** Every set known from a manifest or found on a VM, with which VM holds it, and each VM's snapshots and power. */
export async function listSnapshotSets(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  opts: ListSetsOptions,
): Promise<SnapshotListing> {
  checkTargets(targets);
  const [running, lists, manifests] = await Promise.all([
    runningVmxs(driver, opts.timeoutMs).catch(() => undefined),
    Promise.allSettled(targets.map((t) => driver.listSnapshots(t.vmx, { timeoutMs: opts.timeoutMs }))),
    listManifests(opts.manifestDir),
  ]);
  const vms: VmSnapshots[] = targets.map((t, i) => {
    const l = lists[i];
    return {
      vm: t.name,
      power: running === undefined ? "unknown" : isIn(running, t) ? "on" : "off",
      snapshots: l.status === "fulfilled" ? l.value : [],
    };
  });
  const presence = (set: string): Record<string, boolean> => {
    const p: Record<string, boolean> = {};
    targets.forEach((t, i) => {
      const l = lists[i];
      if (l.status === "fulfilled") p[t.name] = l.value.includes(set);
    });
    return p;
  };
  const sets: SetListing[] = manifests.map((m) => ({
    name: m.name,
    createdAt: m.createdAt,
    result: m.result,
    presence: presence(m.name),
  }));
  const known = new Set(sets.map((s) => s.name));
  for (const v of vms) {
    for (const s of v.snapshots) {
      if (known.has(s)) continue;
      known.add(s);
      sets.push({ name: s, presence: presence(s) });
    }
  }
  return { vms, sets };
}

// ------------------------------------------------------------------ rollback

/**
 * Reverts the chosen VMs (all by default) to set `name` at once, then starts those left off (cache,
 * masters, workers, gateways, one after the other) and waits for every VM's IP. Refused before any
 * revert when a chosen VM lacks the snapshot, so the cluster is never rolled back half-way.
 */
export async function rollbackSnapshotSet(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  name: string,
  opts: RollbackSetOptions,
): Promise<SetResult & { ips: Record<string, string> }> {
  validateSetName(name);
  checkTargets(targets);
  const chosen = choose(targets, opts.vms);
  const timeoutMs = opts.timeoutMs;
  const progress = (vm: string, msg: string) => opts.onProgress?.(vm, msg);

  const lists = await listAll(driver, chosen, timeoutMs, `before rolling back to ${name}`);
  const lacking = chosen.filter((_, i) => !lists[i].includes(name)).map((t) => t.name);
  if (lacking.length > 0) {
    throw new Error(
      `snapshot set ${name} is missing on ${lacking.join(", ")}: nothing was reverted; choose another set (snapshot list) or roll back only the VMs that have it with --vm`,
    );
  }

  const results = new Map<string, VmResult>();
  await Promise.all(
    chosen.map(async (t) => {
      progress(t.name, `reverting to ${name}`);
      try {
        await driver.revertToSnapshot(t.vmx, name, { timeoutMs });
        results.set(t.name, done(t.name, `reverted to ${name}`));
      } catch (err) {
        if (isTimeout(err)) {
          results.set(
            t.name,
            unknown(
              t.name,
              `${cutOffText("revertToSnapshot", t.name, timeoutMs)}; ${dialogHint(t.name)}, then roll back ${t.name} again (--vm ${t.name})`,
            ),
          );
        } else {
          results.set(
            t.name,
            failed(t.name, `${message(err)}; roll back ${t.name} again (--vm ${t.name}) once fixed`),
          );
        }
      }
    }),
  );

  const reverted = chosen.filter((t) => results.get(t.name)!.outcome === "done");
  let running: Set<string> | undefined;
  try {
    running = await runningVmxs(driver, timeoutMs);
  } catch (err) {
    for (const t of reverted)
      results.set(
        t.name,
        unknown(
          t.name,
          `reverted to ${name}, but whether it runs cannot be told (${message(err)}); check with snapshot list and start it`,
        ),
      );
  }
  const started: SnapshotTarget[] = [];
  if (running !== undefined) {
    for (const t of inStartOrder(reverted)) {
      if (isIn(running, t)) {
        started.push(t);
        continue;
      }
      progress(t.name, "starting");
      try {
        await driver.start(t.vmx, { timeoutMs });
        started.push(t);
      } catch (err) {
        results.set(
          t.name,
          failed(
            t.name,
            `reverted to ${name}, but it could not be started: ${message(err)}; start it by hand`,
          ),
        );
      }
    }
  }

  const ips: Record<string, string> = {};
  await Promise.all(
    started.map(async (t) => {
      progress(t.name, "waiting for its IP address");
      try {
        const answer = await lookupGuestIp(driver, {
          vmx: t.vmx,
          networks: opts.networks,
          exclude: opts.exclude,
          budgetMs: opts.ipWaitMs,
          perCallMs: Math.min(timeoutMs, 10_000),
        });
        if (answer.ip !== "") {
          ips[t.name] = answer.ip;
          results.set(t.name, done(t.name, `reverted to ${name}, running at ${answer.ip}`));
          progress(t.name, `up at ${answer.ip}`);
        } else {
          results.set(
            t.name,
            unknown(
              t.name,
              `reverted to ${name} and started, but no IP within ${seconds(opts.ipWaitMs)} (${answer.detail}); check its console, then run the status command`,
            ),
          );
        }
      } catch (err) {
        results.set(
          t.name,
          unknown(t.name, `reverted to ${name} and started, but its IP cannot be read: ${message(err)}`),
        );
      }
    }),
  );

  const ordered = chosen.map((t) => results.get(t.name)!);
  return { set: name, ok: !ordered.some(isBad), results: ordered, ips };
}

// ------------------------------------------------------------------ delete

/**
 * Deletes snapshot `name` from the chosen VMs (all by default) at once. A VM without it is skipped, not
 * an error. The manifest forgets the VMs it was deleted from and goes away with the last one.
 */
export async function deleteSnapshotSet(
  driver: VmrunDriver,
  targets: readonly SnapshotTarget[],
  name: string,
  opts: DeleteSetOptions,
): Promise<SetResult> {
  validateSetName(name);
  checkTargets(targets);
  const chosen = choose(targets, opts.vms);
  const timeoutMs = opts.timeoutMs;
  const progress = (vm: string, msg: string) => opts.onProgress?.(vm, msg);

  const results = await Promise.all(
    chosen.map(async (t): Promise<VmResult> => {
      const present = await driver.listSnapshots(t.vmx, { timeoutMs }).then(
        (l) => l.includes(name),
        () => undefined,
      );
      if (present === false) return skipped(t.name, `${name} is not present`);
      progress(t.name, `deleting ${name}`);
      try {
        await driver.deleteSnapshot(t.vmx, name, { timeoutMs });
        return done(t.name, `deleted ${name}`);
      } catch (err) {
        if (isSnapshotNotFound(err)) return skipped(t.name, `${name} is not present`);
        if (!isTimeout(err))
          return failed(t.name, `${message(err)}; retry snapshot delete ${name} --vm ${t.name} once fixed`);
      }
      const cutOff = cutOffText("deleteSnapshot", t.name, timeoutMs);
      try {
        const after = await driver.listSnapshots(t.vmx, { timeoutMs });
        if (!after.includes(name)) return done(t.name, `${cutOff}, but ${name} is gone`);
        return failed(t.name, `${cutOff}; ${name} is still there: ${dialogHint(t.name)}, then retry`);
      } catch (err) {
        return unknown(
          t.name,
          `${cutOff}, and its snapshots cannot be listed (${message(err)}); ${dialogHint(t.name)}, then run snapshot list`,
        );
      }
    }),
  );
  await forgetVms(
    opts.manifestDir,
    name,
    new Set(results.filter((r) => r.outcome === "done" || r.outcome === "skipped").map((r) => r.vm)),
  );
  return { set: name, ok: !results.some(isBad), results };
}

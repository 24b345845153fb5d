/** Taking a snapshot set: all or nothing, then pruning older sets beyond `keep`. */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { isSnapshotNotFound } from "../../runtime/hypervisor/errors";
import { listManifests, writeManifest } from "./manifest";
import { validateSetName } from "./names";
import { SetManifest, SetResult, SnapshotTarget, VmResult } from "./types";
import {
  SnapshotOptions,
  done,
  failed,
  unknown,
  skipped,
  isBad,
  message,
  isTimeout,
  dialogHint,
  cutOffText,
  checkTargets,
  inStartOrder,
  listAll,
  runningVmxs,
  isIn,
  forgetVms,
} from "./set-common";

export interface CreateSetOptions extends SnapshotOptions {
  readonly name: string;
  /** Suspend every running VM first, so all snapshots show the same moment; resumed afterwards. */
  readonly consistent?: boolean;
  /** Sets made by this tool to keep per VM, the new one included. @default 1 */
  readonly keep?: number;
}

/**
 * Takes snapshot `opts.name` on every target at once. All-or-nothing: if any VM fails (or cannot be
 * checked), the snapshots this run made are deleted again and ok is false. A name that exists on any
 * VM is refused before anything is done. After a complete set, older sets of this tool beyond `keep`
 * are deleted, oldest first; snapshots this tool did not make are never touched.
 */
export async function createSnapshotSet(
  driver: Hypervisor,
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
              await driver.suspend(t.vmx, { timeoutMs });
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
          `${t.name} could not be resumed after the snapshot: ${message(err)}; start it with npm run manager -- start-all (it starts every VM that is not running)`,
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
  driver: Hypervisor,
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
  driver: Hypervisor,
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
  driver: Hypervisor,
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

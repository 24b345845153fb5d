/** Taking a snapshot set: all or nothing, then pruning older sets beyond `keep`. */
import { writeManifest } from "./manifest";
import { SetManifest, SetRecordState, SetResult, SnapshotTarget, VmResult } from "./types";
import {
  SnapshotOptions,
  done,
  failed,
  unknown,
  skipped,
  message,
  isTimeout,
  dialogHint,
  cutOffText,
  inStartOrder,
  runningVmxs,
  isIn,
  snapshotCli,
  START_ALL,
} from "./set-common";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { holdsAfterCutOff, eachVm, SetRun, setResult, startSetRun } from "./set-run";
import { pruneOlderSets, undoPartialSet } from "./settle-set";

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
 * are deleted, oldest first; snapshots this tool did not make are never touched. The record is written
 * before each step it announces (pending, complete, deleting), so a run killed anywhere is finished or
 * undone by the next command (records.ts).
 */
export async function createSnapshotSet(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  opts: CreateSetOptions,
): Promise<SetResult> {
  const keep = opts.keep ?? 1;
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`keep must be a whole number of at least 1, not ${keep}: pass --keep 1 or more`);
  const run = await startSetRun(driver, targets, opts.name, opts, {
    doing: `before taking set ${opts.name}`,
    strict: true,
    repair: true,
  });
  refuseTakenName(run);
  const running = opts.consistent ? await runningVmxs(driver, run.timeoutMs) : undefined;
  const record = recordOf(run, opts.consistent ?? false);
  await writeManifest(run.manifestDir, record("pending"));

  const resumeProblems = await takeSet(run, running);
  const complete = run.chosen.every((t) => run.results.get(t.name)?.outcome === "done");
  if (complete) await writeManifest(run.manifestDir, record("complete"));
  else await undoPartialSet(run, record);
  for (const [vm, problem] of resumeProblems)
    run.results.set(vm, failed(vm, `${run.results.get(vm)!.detail}; but ${problem}`));
  if (complete) {
    await pruneOlderSets(run, keep);
    await writeManifest(run.manifestDir, record("complete"));
  }
  return setResult(run);
}

function refuseTakenName(run: SetRun): void {
  const holders = run.targets.filter((t) => run.lists.get(t.name)?.includes(run.name)).map((t) => t.name);
  if (holders.length > 0) {
    throw new Error(
      `snapshot set ${run.name} already exists on ${holders.join(", ")}: choose another name, or delete it first (${snapshotCli(`delete ${run.name}`)}); no snapshot was taken`,
    );
  }
}

/** The set's record in a given state, with the results so far. */
function recordOf(run: SetRun, consistent: boolean): (result: SetRecordState) => SetManifest {
  const createdAt = new Date().toISOString();
  return (result) => ({
    name: run.name,
    createdAt,
    vms: run.targets.map((t) => t.name),
    consistent,
    result,
    results: run.targets.flatMap((t) => run.results.get(t.name) ?? []),
  });
}

/**
 * The snapshots, on every VM at once; with `running` (a consistent set) those VMs are suspended first and
 * resumed afterwards, also when a snapshot failed. Returns the VMs that could not be resumed, and why.
 */
async function takeSet(run: SetRun, running: Set<string> | undefined): Promise<Map<string, string>> {
  let frozen: SnapshotTarget[] = [];
  try {
    if (running !== undefined) frozen = await freezeRunning(run, running);
    const culprits = [...run.results.keys()];
    if (culprits.length === 0) await eachVm(run, run.chosen, (t) => snapshotOne(run, t));
    else
      for (const t of run.chosen)
        if (!run.results.has(t.name))
          run.results.set(
            t.name,
            skipped(t.name, `no snapshot taken: ${culprits.join(", ")} could not be suspended`),
          );
  } catch (err) {
    await thaw(run, frozen);
    throw err;
  }
  return thaw(run, frozen);
}

/** Suspends every running target; a VM that cannot be gets a failed result. Returns the VMs now down. */
async function freezeRunning(run: SetRun, running: Set<string>): Promise<SnapshotTarget[]> {
  const frozen: SnapshotTarget[] = [];
  const opts = { timeoutMs: run.timeoutMs };
  await Promise.all(
    run.chosen
      .filter((t) => isIn(running, t))
      .map(async (t) => {
        run.progress(t.name, "suspending");
        try {
          await run.driver.suspend(t.vmx, opts);
          frozen.push(t);
        } catch (err) {
          // Whatever happened, a VM that is down now was running before and must come back.
          const down = await run.driver.isRunning(t.vmx, opts).then(
            (on) => !on,
            () => false,
          );
          if (down) frozen.push(t);
          const hint = isTimeout(err)
            ? `${dialogHint(t.name)}, then run ${snapshotCli(`create ${run.name} --consistent`)} again`
            : `run ${snapshotCli(`create ${run.name}`)} (without --consistent), or fix the VM first`;
          run.results.set(
            t.name,
            failed(t.name, `could not suspend ${t.name} for a consistent set: ${message(err)}; ${hint}`),
          );
        }
      }),
  );
  return frozen;
}

/** Resumes the frozen VMs in start order; returns those that could not be, and why. */
async function thaw(run: SetRun, frozen: readonly SnapshotTarget[]): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  for (const t of inStartOrder(frozen)) {
    run.progress(t.name, "resuming");
    try {
      await run.driver.start(t.vmx, { timeoutMs: run.timeoutMs });
    } catch (err) {
      problems.set(
        t.name,
        `${t.name} could not be resumed after the snapshot: ${message(err)}; start it with ${START_ALL}`,
      );
    }
  }
  return problems;
}

async function snapshotOne(run: SetRun, t: SnapshotTarget): Promise<VmResult> {
  const name = run.name;
  run.progress(t.name, `taking snapshot ${name}`);
  try {
    await run.driver.snapshot(t.vmx, name, { timeoutMs: run.timeoutMs });
    run.progress(t.name, "snapshot taken");
    return done(t.name, "snapshot taken");
  } catch (err) {
    if (!isTimeout(err))
      return failed(
        t.name,
        `${message(err)}; nothing was kept: fix ${t.name}, then run ${snapshotCli(`create ${name}`)} again`,
      );
  }
  // vmrun was killed at the deadline: whether the snapshot exists is for listSnapshots to say.
  const cutOff = cutOffText("snapshot", t.name, run.timeoutMs);
  const holds = await holdsAfterCutOff(run, t, name);
  if (holds instanceof Error)
    return unknown(
      t.name,
      `${cutOff}, and its snapshots cannot be listed (${holds.message}); ${dialogHint(t.name)}, then run ${snapshotCli(`delete ${name}`)} (the next create or delete also removes it)`,
    );
  if (holds) return done(t.name, `${cutOff}, but the snapshot exists`);
  return failed(
    t.name,
    `${cutOff}; no snapshot was taken: ${dialogHint(t.name)}, then run ${snapshotCli(`create ${name}`)} again`,
  );
}

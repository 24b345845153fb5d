/**
 * How a create ends: a set that is not complete is deleted again wherever it was taken; a complete one
 * prunes this tool's older sets beyond `keep`. Each writes the records first, so a kill in between is
 * finished by the next command (records.ts).
 */
import { isSnapshotNotFound } from "../../runtime/hypervisor/errors";
import { removeManifest, writeManifest } from "./manifest";
import { SetManifest, SetRecordState, SnapshotTarget, VmResult } from "./types";
import { failed, skipped, unknown, isBad, message, dialogHint, cutOffText, snapshotCli } from "./set-common";
import { eachVm, holdsAfterCutOff, SetRun } from "./set-run";

/**
 * Deletes the new set wherever this failed run left it, so no partial set remains. Its record goes when
 * nothing is left; else it stays as failed, naming the VMs that may still hold it.
 */
export async function undoPartialSet(
  run: SetRun,
  record: (result: SetRecordState) => SetManifest,
): Promise<void> {
  const culprits = run.chosen.filter((t) => isBad(run.results.get(t.name)!)).map((t) => t.name);
  const why = `the set is incomplete (${culprits.join(", ")} failed)`;
  const left: string[] = [];
  await eachVm(run, run.chosen, async (t) => {
    const r = await undoOne(run, t, run.results.get(t.name)!, why);
    if (r.left) left.push(t.name);
    return r.result;
  });
  if (left.length === 0) await removeManifest(run.manifestDir, run.name);
  else await writeManifest(run.manifestDir, { ...record("failed"), vms: left });
}

async function undoOne(
  run: SetRun,
  t: SnapshotTarget,
  prior: VmResult,
  why: string,
): Promise<{ result: VmResult; left: boolean }> {
  const name = run.name;
  const holds = await holdsAfterCutOff(run, t, name);
  if (holds instanceof Error) {
    if (prior.outcome !== "done") return { result: prior, left: prior.outcome === "unknown" };
    const detail = `snapshot taken, but ${why} and ${t.name}'s snapshots cannot be listed to remove it (${holds.message}); run ${snapshotCli(`delete ${name}`)} (the next create or delete also removes it)`;
    return { result: unknown(t.name, detail), left: true };
  }
  if (!holds) {
    if (prior.outcome === "done")
      return { result: skipped(t.name, `snapshot no longer present; ${why}`), left: false };
    // "unknown" only comes from a snapshot call cut off at its deadline; now it is known to have left nothing.
    if (prior.outcome === "unknown") {
      const cutOff = cutOffText("snapshot", t.name, run.timeoutMs);
      const detail = `${cutOff}; no snapshot was taken: ${dialogHint(t.name)}, then run ${snapshotCli(`create ${name}`)} again`;
      return { result: failed(t.name, detail), left: false };
    }
    return { result: prior, left: false };
  }
  run.progress(t.name, `deleting ${name} again: ${why}`);
  try {
    await run.driver.deleteSnapshot(t.vmx, name, { timeoutMs: run.timeoutMs });
  } catch (err) {
    const detail = `snapshot ${name} was left on ${t.name} and could not be deleted again (${message(err)}); run ${snapshotCli(`delete ${name}`)} (the next create or delete also removes it)`;
    return { result: failed(t.name, detail), left: true };
  }
  if (prior.outcome === "done")
    return { result: skipped(t.name, `snapshot taken, then deleted again: ${why}`), left: false };
  return { result: failed(t.name, `${prior.detail}; the snapshot it left was deleted again`), left: false };
}

/** `r` with `note` added to its detail; its outcome stays (a VM that could not be resumed stays failed). */
const noted = (r: VmResult, note: string): VmResult => ({ ...r, detail: `${r.detail}; ${note}` });

/**
 * After a complete set: deletes this tool's older sets beyond `keep` (oldest first) from every VM that
 * holds them. Each is marked deleting before the first deletion, and its record goes with the last one.
 * A failed prune costs disk space, never the set just taken, which stays complete.
 */
export async function pruneOlderSets(run: SetRun, keep: number): Promise<void> {
  if (run.recordProblems.length > 0) {
    // An unreadable record could be an older set's: nothing is pruned rather than the wrong thing.
    const why = `older sets were not pruned: ${run.recordProblems[0]}`;
    for (const [vm, r] of run.results) run.results.set(vm, noted(r, why));
    return;
  }
  const older = run.records.filter((m) => m.name !== run.name && m.result === "complete");
  const doomed = older.slice(0, Math.max(0, older.length + 1 - keep));
  if (doomed.length === 0) return;
  for (const m of doomed) await writeManifest(run.manifestDir, { ...m, result: "deleting" });
  const kept = new Map<string, string[]>(doomed.map((m) => [m.name, []])); // set -> VMs still holding it
  await eachVm(run, run.chosen, async (t) => {
    const held = doomed.filter((m) => run.lists.get(t.name)?.includes(m.name));
    const problems: string[] = [];
    for (const m of held) {
      run.progress(t.name, `deleting older set ${m.name}`);
      try {
        await run.driver.deleteSnapshot(t.vmx, m.name, { timeoutMs: run.timeoutMs });
      } catch (err) {
        if (isSnapshotNotFound(err)) continue;
        kept.get(m.name)!.push(t.name);
        problems.push(
          `could not delete older set ${m.name} (${message(err)}; run ${snapshotCli(`delete ${m.name} --vm ${t.name}`)}, or the next create or delete finishes it)`,
        );
      }
    }
    const r = run.results.get(t.name)!;
    if (problems.length > 0) return noted(r, `but ${problems.join("; ")}`);
    if (held.length === 0) return r;
    return noted(r, `deleted older ${held.map((m) => m.name).join(", ")}`);
  });
  for (const m of doomed) {
    const holders = kept.get(m.name)!;
    if (holders.length === 0) await removeManifest(run.manifestDir, m.name);
    else await writeManifest(run.manifestDir, { ...m, result: "deleting", vms: holders });
  }
}

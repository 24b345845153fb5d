/** Deleting a snapshot set from the VMs that hold it. */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { isSnapshotNotFound } from "../../runtime/hypervisor/errors";
import { writeManifest } from "./manifest";
import { SetResult, SnapshotTarget, VmResult } from "./types";
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
  forgetVms,
  snapshotCli,
} from "./set-common";
import { eachVm, holdsAfterCutOff, SetRun, setResult, startSetRun } from "./set-run";

export interface DeleteSetOptions extends SnapshotOptions {
  /** VM names to delete the set from. @default all targets */
  readonly vms?: readonly string[];
}

/**
 * Deletes snapshot `name` from the chosen VMs (all by default) at once. A VM without it is skipped, not
 * an error. The manifest forgets the VMs it was deleted from and goes away with the last one; deleting
 * from every VM marks it as deleting first, so a delete killed half-way is finished by the next create
 * or delete. What other killed runs left half-done is finished first (records.ts).
 */
export async function deleteSnapshotSet(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  name: string,
  opts: DeleteSetOptions,
): Promise<SetResult> {
  const run = await startSetRun(driver, targets, name, opts, {
    vms: opts.vms,
    doing: `before deleting set ${name}`,
    strict: false,
    repair: true,
    except: name,
  });
  const record = run.records.find((m) => m.name === name);
  if (record !== undefined && run.chosen.length === run.targets.length)
    await writeManifest(run.manifestDir, { ...record, result: "deleting" });
  await eachVm(run, run.chosen, (t) => deleteOne(run, t));
  const gone = [...run.results.values()].filter((r) => r.outcome === "done" || r.outcome === "skipped");
  await forgetVms(run.manifestDir, name, new Set(gone.map((r) => r.vm)));
  return setResult(run);
}

async function deleteOne(run: SetRun, t: SnapshotTarget): Promise<VmResult> {
  const name = run.name;
  const listed = run.lists.get(t.name);
  if (listed !== undefined && !listed.includes(name)) return skipped(t.name, `${name} is not present`);
  run.progress(t.name, `deleting ${name}`);
  try {
    await run.driver.deleteSnapshot(t.vmx, name, { timeoutMs: run.timeoutMs });
    return done(t.name, `deleted ${name}`);
  } catch (err) {
    if (isSnapshotNotFound(err)) return skipped(t.name, `${name} is not present`);
    if (!isTimeout(err))
      return failed(
        t.name,
        `${message(err)}; once fixed, run ${snapshotCli(`delete ${name} --vm ${t.name}`)}`,
      );
  }
  const cutOff = cutOffText("deleteSnapshot", t.name, run.timeoutMs);
  const holds = await holdsAfterCutOff(run, t, name);
  if (holds instanceof Error)
    return unknown(
      t.name,
      `${cutOff}, and its snapshots cannot be listed (${holds.message}); ${dialogHint(t.name)}, then run ${snapshotCli(`delete ${name} --vm ${t.name}`)}`,
    );
  if (!holds) return done(t.name, `${cutOff}, but ${name} is gone`);
  return failed(
    t.name,
    `${cutOff}; ${name} is still there: ${dialogHint(t.name)}, then run ${snapshotCli(`delete ${name} --vm ${t.name}`)}`,
  );
}

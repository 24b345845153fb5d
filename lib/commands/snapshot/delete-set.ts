/** Deleting a snapshot set from the VMs that hold it. */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { isSnapshotNotFound } from "../../runtime/hypervisor/errors";
import { validateSetName } from "./names";
import { SetResult, SnapshotTarget, VmResult } from "./types";
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
  choose,
  forgetVms,
} from "./set-common";

export interface DeleteSetOptions extends SnapshotOptions {
  /** VM names to delete the set from. @default all targets */
  readonly vms?: readonly string[];
}

/**
 * Deletes snapshot `name` from the chosen VMs (all by default) at once. A VM without it is skipped, not
 * an error. The manifest forgets the VMs it was deleted from and goes away with the last one.
 */
export async function deleteSnapshotSet(
  driver: Hypervisor,
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

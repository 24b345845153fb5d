import { Role } from "../../model/config/model";

/** One VM a snapshot set covers. */
export interface SnapshotTarget {
  readonly name: string;
  /** Absolute path of the .vmx. */
  readonly vmx: string;
  readonly role: Role;
}

/** done: it happened; failed: it did not; unknown: it could not be checked; skipped: nothing to do (or undone). */
export type VmOutcome = "done" | "failed" | "unknown" | "skipped";

export interface VmResult {
  readonly vm: string;
  readonly outcome: VmOutcome;
  /** One line: what happened and, when it went wrong, what to do. */
  readonly detail: string;
}

export interface SetResult {
  readonly set: string;
  /** False whenever any VM is failed or unknown (callers exit non-zero then). */
  readonly ok: boolean;
  readonly results: readonly VmResult[];
}

/**
 * Where a set's record stands. Every state is written (atomically) before the step it announces, so a
 * run killed anywhere leaves a record the next command can finish or undo (records.ts):
 * pending: being taken (written before the first snapshot); complete: taken on every VM;
 * failed: a create that failed and could not delete all it took; deleting: being deleted (a prune or a
 * delete), so the next create or delete finishes it.
 */
export type SetRecordState = "pending" | "complete" | "failed" | "deleting";

/** `<generated>/snapshots/<name>.json`: which VMs a set was taken on, when, and where it stands. */
export interface SetManifest {
  name: string;
  createdAt: string;
  vms: string[];
  consistent: boolean;
  result: SetRecordState;
  results: VmResult[];
}

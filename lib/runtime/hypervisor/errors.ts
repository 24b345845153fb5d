/**
 * What went wrong with one hypervisor call, in words every driver shares, so that the runtime and the
 * commands decide without knowing which hypervisor answered:
 * timeout: no answer before the deadline (the call's processes were killed);
 * failed: the hypervisor refused or reported an error; spawn: its tool could not be started;
 * bad-output: it "succeeded" but its answer could not be understood.
 */
export type HypervisorErrorKind = "timeout" | "failed" | "spawn" | "bad-output";

/**
 * Why a failed call failed, where the driver could tell: the VM is not there, not powered on, already
 * running, has no such snapshot, or its guest tools do not run. Undefined for anything else.
 */
export type FailureReason =
  "vm-not-found" | "not-powered-on" | "already-running" | "snapshot-not-found" | "tools-not-running";

/** One hypervisor call that went wrong; each driver's own error class extends it with its details. */
export class HypervisorError extends Error {
  readonly operation: string;
  readonly kind: HypervisorErrorKind;
  readonly reason: FailureReason | undefined;

  constructor(
    message: string,
    init: { operation: string; kind: HypervisorErrorKind; reason?: FailureReason },
  ) {
    super(message);
    this.name = "HypervisorError";
    this.operation = init.operation;
    this.kind = init.kind;
    this.reason = init.kind === "failed" ? init.reason : undefined;
  }
}

const failedFor = (reason: FailureReason) => (err: unknown) =>
  err instanceof HypervisorError && err.kind === "failed" && err.reason === reason;

export const isNotPoweredOn = failedFor("not-powered-on");
export const isVmNotFound = failedFor("vm-not-found");
export const isSnapshotNotFound = failedFor("snapshot-not-found");
export const isAlreadyRunning = failedFor("already-running");

/** The call ran out of time (the VM may be waiting on a dialog, or the server is slow). */
export const isTimeout = (err: unknown): boolean => err instanceof HypervisorError && err.kind === "timeout";

/** The hypervisor answered (it is there), whatever it said; false when its tool could not even be started. */
export const hypervisorAnswered = (err: unknown): boolean =>
  err instanceof HypervisorError && err.kind !== "spawn";

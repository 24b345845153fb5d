import * as path from "node:path";
import { FailureReason, HypervisorError } from "../lib/runtime/hypervisor/errors";
import { CallOptions, Hypervisor, StopOutcome, ToolsState } from "../lib/runtime/hypervisor/hypervisor";

/**
 * An in-memory hypervisor for the lib tests (as packer-plugin-vmware's DriverMock): VMs, their power,
 * snapshots and guest addresses live in a map, every call is recorded, and any operation can be told
 * to fail, time out or hang once. It keeps the rules the real drivers keep, so a test that passes here
 * asks nothing the hypervisor would refuse: a VM must be registered to be started or snapshotted, a
 * snapshot name must exist to be reverted or deleted and may exist only once, a revert brings the VM
 * back in the power state its snapshot was taken in, a stopped VM reports no address.
 * The vmrun process simulator (test-support/vmrun-sim) stays for the driver's own tests, the scripts
 * and the e2e.
 */
export interface FakeVm {
  running: boolean;
  snapshots: string[];
  /** What the guest tools report; undefined: no address yet. */
  ip?: string;
  tools: ToolsState;
}

export interface FakeCall {
  readonly op: string;
  readonly vm?: string;
  readonly args: readonly string[];
}

/**
 * failed: the hypervisor refuses; spawn: its tool cannot be started; timeout: no answer by the deadline,
 * before anything was done, or (`acted`) after the work was done, as a vmrun killed just before it
 * printed its answer.
 */
export type Fault =
  | { readonly kind: "failed"; readonly reason?: FailureReason; readonly message?: string }
  | { readonly kind: "timeout"; readonly acted?: boolean }
  | { readonly kind: "spawn" };

/** Calls of one operation held at their start until released (see FakeHypervisor.hold). */
export interface HeldCalls {
  /** How many calls are waiting at the gate now. */
  readonly waiting: number;
  /** Resolves once `n` calls wait at the gate at the same time; rejects after `withinMs` (a liveness bound, not a timing check). */
  untilWaiting(n: number, withinMs?: number): Promise<void>;
  /** Lets every waiting call (and every later one) through. */
  release(): void;
  /**
   * Leaves the waiting calls waiting for ever, as if their process had been killed there, and lets later
   * calls through: the state is what a run killed at that point leaves for the next one.
   */
  abandon(): void;
}

export class FakeHypervisor implements Hypervisor {
  readonly timeoutMs: number;
  readonly calls: FakeCall[] = [];
  private readonly vms = new Map<string, FakeVm>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly hooks = new Map<string, (() => void)[]>();
  private readonly gates = new Map<string, { waiting: (() => void)[]; open: boolean; pass: number }>();
  /** `<vm>\0<snapshot>` -> whether the VM ran when the snapshot was taken. */
  private readonly takenRunning = new Map<string, boolean>();
  private readonly cwd: string;

  constructor(opts: { timeoutMs?: number; cwd?: string } = {}) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.cwd = opts.cwd ?? "/";
  }

  // ------------------------------------------------------------ test controls

  /** Registers a VM (as a built .vmx is, for vmrun). Snapshots given here count as taken while off. */
  addVm(vm: string, state: Partial<FakeVm> = {}): FakeVm {
    const entry: FakeVm = { running: false, snapshots: [], tools: "running", ...state };
    this.vms.set(this.resolveVm(vm), entry);
    return entry;
  }

  vm(vm: string): FakeVm | undefined {
    return this.vms.get(this.resolveVm(vm));
  }

  /** The next call of `op` (optionally on `vm` only) fails as given instead of acting. */
  failNext(op: string, fault: Fault, vm?: string): void {
    const key = this.key(op, vm);
    this.faults.set(key, [...(this.faults.get(key) ?? []), fault]);
  }

  /** Runs `fn` when the next call of `op` (on `vm`) starts, before it acts: state that changes under a caller's feet. */
  beforeNext(op: string, fn: () => void, vm?: string): void {
    const key = this.key(op, vm);
    this.hooks.set(key, [...(this.hooks.get(key) ?? []), fn]);
  }

  /**
   * Holds calls of `op` at their start until released (after letting the first `pass` through): lets a
   * test see which calls are in flight together, or stop a run at that point (abandon).
   */
  hold(op: string, opts: { pass?: number } = {}): HeldCalls {
    const gate = { waiting: [] as (() => void)[], open: false, pass: opts.pass ?? 0 };
    this.gates.set(op, gate);
    return {
      get waiting() {
        return gate.waiting.length;
      },
      async untilWaiting(n, withinMs = 10_000) {
        const giveUp = Date.now() + withinMs;
        while (gate.waiting.length < n) {
          if (Date.now() > giveUp)
            throw new Error(`only ${gate.waiting.length} of ${n} ${op} calls were ever in flight together`);
          await new Promise((r) => setTimeout(r, 5));
        }
      },
      release() {
        gate.open = true;
        for (const go of gate.waiting.splice(0)) go();
      },
      abandon: () => {
        gate.waiting.splice(0);
        if (this.gates.get(op) === gate) this.gates.delete(op);
      },
    };
  }

  /** The operations called, as `op name` strings (the VM's basename), for order assertions. */
  log(): string[] {
    return this.calls.map((c) =>
      [c.op, ...(c.vm ? [path.basename(c.vm).replace(/\.vmx$/, "")] : []), ...c.args].join(" "),
    );
  }

  // ------------------------------------------------------------ the seam

  resolveVm(vm: string): string {
    return path.resolve(this.cwd, vm);
  }

  async listRunning(opts: CallOptions = {}): Promise<string[]> {
    return this.call("listRunning", undefined, [], opts, () =>
      [...this.vms].filter(([, v]) => v.running).map(([k]) => k),
    );
  }

  async runningVms(opts: CallOptions = {}): Promise<(vm: string) => boolean> {
    const running = new Set(await this.listRunning(opts));
    return (vm) => running.has(this.resolveVm(vm));
  }

  async isRunning(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return (await this.runningVms(opts))(vm);
  }

  async start(vm: string, opts: CallOptions = {}): Promise<void> {
    return this.call("start", vm, [], opts, (v) => {
      if (v.running) throw this.failure("start", vm, "already-running");
      v.running = true;
    });
  }

  async stopIfRunning(vm: string, opts: CallOptions & { softTimeoutMs?: number } = {}): Promise<StopOutcome> {
    return this.callOptional("stopIfRunning", vm, [], opts, (v) => {
      if (v === undefined || !v.running) return "not-running";
      v.running = false;
      return opts.softTimeoutMs !== undefined && v.tools === "running" ? "soft" : "hard";
    });
  }

  async suspend(vm: string, opts: CallOptions = {}): Promise<void> {
    return this.call("suspend", vm, [], opts, (v) => {
      if (!v.running) throw this.failure("suspend", vm, "not-powered-on");
      v.running = false;
    });
  }

  async isBuilt(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return this.callOptional("isBuilt", vm, [], opts, (v) => v !== undefined);
  }

  async deleteVmIfPresent(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return this.callOptional("deleteVmIfPresent", vm, [], opts, (v) => {
      if (v === undefined) return false;
      if (v.running)
        throw new HypervisorError(`${vm} is running: stop it first`, {
          operation: "deleteVM",
          kind: "failed",
        });
      this.vms.delete(this.resolveVm(vm));
      return true;
    });
  }

  async snapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    return this.call("snapshot", vm, [name], opts, (v) => {
      if (v.snapshots.includes(name))
        throw this.failure("snapshot", vm, undefined, `a snapshot named ${name} already exists`);
      v.snapshots.push(name);
      this.takenRunning.set(`${this.resolveVm(vm)}\0${name}`, v.running);
    });
  }

  async listSnapshots(vm: string, opts: CallOptions = {}): Promise<string[]> {
    return this.call("listSnapshots", vm, [], opts, (v) => [...v.snapshots]);
  }

  async revertToSnapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    return this.call("revertToSnapshot", vm, [name], opts, (v) => {
      if (!v.snapshots.includes(name)) throw this.failure("revertToSnapshot", vm, "snapshot-not-found");
      v.running = this.takenRunning.get(`${this.resolveVm(vm)}\0${name}`) ?? false;
    });
  }

  async deleteSnapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    return this.call("deleteSnapshot", vm, [name], opts, (v) => {
      const at = v.snapshots.indexOf(name);
      if (at < 0) throw this.failure("deleteSnapshot", vm, "snapshot-not-found");
      v.snapshots.splice(at, 1);
    });
  }

  async getGuestIPAddress(vm: string, opts: CallOptions & { wait?: boolean } = {}): Promise<string> {
    return this.call("getGuestIPAddress", vm, opts.wait ? ["-wait"] : [], opts, (v) => {
      if (!v.running) throw this.failure("getGuestIPAddress", vm, "not-powered-on");
      if (v.ip !== undefined) return v.ip;
      if (opts.wait) throw this.timeout("getGuestIPAddress", opts);
      throw this.failure("getGuestIPAddress", vm, "tools-not-running");
    });
  }

  async checkToolsState(vm: string, opts: CallOptions = {}): Promise<ToolsState> {
    return this.call("checkToolsState", vm, [], opts, (v) => (v.running ? v.tools : "unknown"));
  }

  // ------------------------------------------------------------ plumbing

  private key(op: string, vm: string | undefined): string {
    return vm === undefined ? op : `${op} ${this.resolveVm(vm)}`;
  }

  /** A call on a VM that must be registered (vm-not-found otherwise). */
  private call<T>(
    op: string,
    vm: string | undefined,
    args: string[],
    opts: CallOptions,
    work: (v: FakeVm) => T,
  ): Promise<T> {
    return this.callOptional(op, vm, args, opts, (v) => {
      if (vm !== undefined && v === undefined) throw this.failure(op, vm, "vm-not-found");
      return work(v!);
    });
  }

  /** Records the call, holds it at a gate, runs a hook, raises a queued fault, then does the work. */
  private async callOptional<T>(
    op: string,
    vm: string | undefined,
    args: string[],
    opts: CallOptions,
    work: (v: FakeVm | undefined) => T,
  ): Promise<T> {
    const abs = vm === undefined ? undefined : this.resolveVm(vm);
    this.calls.push({ op, ...(abs !== undefined ? { vm: abs } : {}), args });
    const gate = this.gates.get(op);
    if (gate !== undefined && !gate.open) {
      if (gate.pass > 0) gate.pass--;
      else await new Promise<void>((go) => gate.waiting.push(go));
    }
    this.take(this.hooks, op, abs)?.();
    const fault = this.take(this.faults, op, abs);
    if (fault?.kind === "timeout" && !fault.acted) throw this.timeout(op, opts);
    if (fault?.kind === "spawn")
      throw new HypervisorError("cannot start the hypervisor's tool", { operation: op, kind: "spawn" });
    if (fault?.kind === "failed") throw this.failure(op, vm ?? "", fault.reason, fault.message);
    const result = work(abs === undefined ? undefined : this.vms.get(abs));
    if (fault?.kind === "timeout") throw this.timeout(op, opts);
    return result;
  }

  private take<T>(queues: Map<string, T[]>, op: string, vm: string | undefined): T | undefined {
    for (const key of [...(vm !== undefined ? [`${op} ${vm}`] : []), op]) {
      const queue = queues.get(key);
      if (queue !== undefined && queue.length > 0) return queue.shift();
    }
    return undefined;
  }

  private failure(op: string, vm: string, reason?: FailureReason, message?: string): HypervisorError {
    return new HypervisorError(message ?? `${op} ${path.basename(vm)} failed${reason ? `: ${reason}` : ""}`, {
      operation: op,
      kind: "failed",
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  private timeout(op: string, opts: CallOptions): HypervisorError {
    const ms = opts.timeoutMs ?? this.timeoutMs;
    return new HypervisorError(`${op} did not answer within ${ms} ms and was stopped`, {
      operation: op,
      kind: "timeout",
    });
  }
}

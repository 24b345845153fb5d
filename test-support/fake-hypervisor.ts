import * as path from "node:path";
import { FailureReason, HypervisorError } from "../lib/runtime/hypervisor/errors";
import { CallOptions, Hypervisor, StopOutcome, ToolsState } from "../lib/runtime/hypervisor/hypervisor";

/**
 * An in-memory hypervisor for the lib tests (as packer-plugin-vmware's DriverMock): VMs, their power,
 * snapshots and guest addresses live in a map, every call is recorded, and any operation can be told
 * to fail, time out or hang once. It keeps the rules the real drivers keep, so a test that passes here
 * asks nothing the hypervisor would refuse: a VM must be registered to be started or snapshotted, a
 * snapshot name must exist to be reverted or deleted, a stopped VM reports no address.
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

type Fault =
  | { readonly kind: "failed"; readonly reason?: FailureReason; readonly message?: string }
  | { readonly kind: "timeout" }
  | { readonly kind: "spawn" };

export class FakeHypervisor implements Hypervisor {
  readonly timeoutMs: number;
  readonly calls: FakeCall[] = [];
  private readonly vms = new Map<string, FakeVm>();
  private readonly faults = new Map<string, Fault[]>();

  constructor(opts: { timeoutMs?: number; cwd?: string } = {}) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.cwd = opts.cwd ?? "/";
  }

  private readonly cwd: string;

  // ------------------------------------------------------------ test controls

  /** Registers a VM (as a built .vmx is, for vmrun). */
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
    const key = vm === undefined ? op : `${op} ${this.resolveVm(vm)}`;
    this.faults.set(key, [...(this.faults.get(key) ?? []), fault]);
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
    this.enter("listRunning", undefined, [], opts);
    return [...this.vms].filter(([, v]) => v.running).map(([k]) => k);
  }

  async runningVms(opts: CallOptions = {}): Promise<(vm: string) => boolean> {
    const running = new Set(await this.listRunning(opts));
    return (vm) => running.has(this.resolveVm(vm));
  }

  async isRunning(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return (await this.runningVms(opts))(vm);
  }

  async start(vm: string, opts: CallOptions = {}): Promise<void> {
    const v = this.enter("start", vm, [], opts, true);
    if (v.running) throw this.failure("start", vm, "already-running");
    v.running = true;
  }

  async stopIfRunning(vm: string, opts: CallOptions & { softTimeoutMs?: number } = {}): Promise<StopOutcome> {
    this.enter("stopIfRunning", vm, [], opts);
    const v = this.vm(vm);
    if (v === undefined || !v.running) return "not-running";
    v.running = false;
    return opts.softTimeoutMs !== undefined && v.tools === "running" ? "soft" : "hard";
  }

  async suspend(vm: string, opts: CallOptions = {}): Promise<void> {
    const v = this.enter("suspend", vm, [], opts, true);
    if (!v.running) throw this.failure("suspend", vm, "not-powered-on");
    v.running = false;
  }

  async isBuilt(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return this.enter("isBuilt", vm, [], opts) !== undefined;
  }

  async deleteVmIfPresent(vm: string, opts: CallOptions = {}): Promise<boolean> {
    this.enter("deleteVmIfPresent", vm, [], opts);
    const v = this.vm(vm);
    if (v === undefined) return false;
    if (v.running)
      throw new HypervisorError(`${vm} is running: stop it first`, { operation: "deleteVM", kind: "failed" });
    this.vms.delete(this.resolveVm(vm));
    return true;
  }

  async snapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    this.enter("snapshot", vm, [name], opts, true).snapshots.push(name);
  }

  async listSnapshots(vm: string, opts: CallOptions = {}): Promise<string[]> {
    return [...this.enter("listSnapshots", vm, [], opts, true).snapshots];
  }

  async revertToSnapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    const v = this.enter("revertToSnapshot", vm, [name], opts, true);
    if (!v.snapshots.includes(name)) throw this.failure("revertToSnapshot", vm, "snapshot-not-found");
    v.running = false;
  }

  async deleteSnapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    const v = this.enter("deleteSnapshot", vm, [name], opts, true);
    const at = v.snapshots.indexOf(name);
    if (at < 0) throw this.failure("deleteSnapshot", vm, "snapshot-not-found");
    v.snapshots.splice(at, 1);
  }

  async getGuestIPAddress(vm: string, opts: CallOptions & { wait?: boolean } = {}): Promise<string> {
    const v = this.enter("getGuestIPAddress", vm, opts.wait ? ["-wait"] : [], opts, true);
    if (!v.running) throw this.failure("getGuestIPAddress", vm, "not-powered-on");
    if (v.ip !== undefined) return v.ip;
    if (opts.wait) throw this.timeout("getGuestIPAddress", opts);
    throw this.failure("getGuestIPAddress", vm, "tools-not-running");
  }

  async checkToolsState(vm: string, opts: CallOptions = {}): Promise<ToolsState> {
    const v = this.enter("checkToolsState", vm, [], opts, true);
    return v.running ? v.tools : "unknown";
  }

  // ------------------------------------------------------------ plumbing

  /** Records the call, raises a queued fault, and (when required) returns the registered VM. */
  private enter(
    op: string,
    vm: string | undefined,
    args: string[],
    opts: CallOptions,
    required: true,
  ): FakeVm;
  private enter(op: string, vm: string | undefined, args: string[], opts: CallOptions): FakeVm | undefined;
  private enter(
    op: string,
    vm: string | undefined,
    args: string[],
    opts: CallOptions,
    required = false,
  ): FakeVm | undefined {
    const abs = vm === undefined ? undefined : this.resolveVm(vm);
    this.calls.push({ op, ...(abs !== undefined ? { vm: abs } : {}), args });
    const fault = this.takeFault(op, abs);
    if (fault?.kind === "timeout") throw this.timeout(op, opts);
    if (fault?.kind === "spawn")
      throw new HypervisorError("cannot start the hypervisor's tool", { operation: op, kind: "spawn" });
    if (fault?.kind === "failed") throw this.failure(op, vm ?? "", fault.reason, fault.message);
    const v = abs === undefined ? undefined : this.vms.get(abs);
    if (required && v === undefined) throw this.failure(op, vm ?? "", "vm-not-found");
    return v;
  }

  private takeFault(op: string, vm: string | undefined): Fault | undefined {
    for (const key of [...(vm !== undefined ? [`${op} ${vm}`] : []), op]) {
      const queue = this.faults.get(key);
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

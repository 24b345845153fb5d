import * as fs from "node:fs";
import { isIPv4 } from "node:net";
import * as path from "node:path";
import { parseIntInRange } from "../../../model/entry/contract";
import { DEFAULT_VMRUN_TIMEOUT_SECONDS, VMRUN_TIMEOUT } from "../../../model/entry/contracts";
import { RunResult, runWithDeadline, SpawnError } from "../../process/run-with-deadline";
import { hypervisorAnswered, isNotPoweredOn, isVmNotFound } from "../errors";
import { retryRead } from "../read-retry";
import { CallOptions, Hypervisor, StopOutcome, ToolsState } from "../hypervisor";
import { VmrunError } from "./errors";
import { isExecutable as defaultIsExecutable, locateVmrun, VmrunHostType } from "./locate";

export type PowerMode = "hard" | "soft";
export type VariableType = "runtimeConfig" | "guestEnv" | "guestVar";

/** Default deadline per vmrun call; aquarium-fish uses 120 s for start and clone on Fusion. */
const DEFAULT_VMRUN_TIMEOUT_MS = DEFAULT_VMRUN_TIMEOUT_SECONDS * 1000;

export interface VmrunDriverOptions {
  readonly binary: string;
  readonly hostType: VmrunHostType;
  /** Deadline for each call unless the call overrides it. @default 120000 */
  readonly timeoutMs?: number;
  /** Directory that relative .vmx paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
  /** Environment for vmrun. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Pause between retries of read-only calls. @default 2000 (as Vagrant) */
  readonly retryPauseMs?: number;
  /** Extra attempts for read-only calls (list, listSnapshots, checkToolsState). @default 2 */
  readonly readRetries?: number;
}

export interface FromEnvironmentOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly isExecutable?: (p: string) => boolean;
  readonly cwd?: string;
  readonly retryPauseMs?: number;
}

/**
 * The one place the product calls vmrun. Every call is `vmrun -T <hostType> <command> <absolute vmx> ...`,
 * argv only (never a shell), with a deadline that kills vmrun's whole process group. State-changing calls
 * are never retried (a retried start or revert can do the work twice); read-only ones are.
 */
export class VmrunDriver implements Hypervisor {
  readonly binary: string;
  readonly hostType: VmrunHostType;
  readonly timeoutMs: number;
  private readonly cwd: string;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly retryPauseMs: number;
  private readonly readRetries: number;

  constructor(opts: VmrunDriverOptions) {
    this.binary = opts.binary;
    this.hostType = opts.hostType;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_VMRUN_TIMEOUT_MS;
    this.cwd = opts.cwd ?? process.cwd();
    this.env = opts.env;
    this.retryPauseMs = opts.retryPauseMs ?? 2000;
    this.readRetries = opts.readRetries ?? 2;
  }

  /** Locates vmrun (VMRUN, PATH, Fusion, Workstation) and reads VMRUN_TIMEOUT_SECONDS. */
  static fromEnvironment(opts: FromEnvironmentOptions = {}): VmrunDriver {
    const env = opts.env ?? process.env;
    const found = locateVmrun({
      env,
      platform: opts.platform ?? process.platform,
      isExecutable: opts.isExecutable ?? defaultIsExecutable,
    });
    const raw = env.VMRUN_TIMEOUT_SECONDS;
    const timeoutSeconds =
      raw === undefined || raw === ""
        ? VMRUN_TIMEOUT.default
        : parseIntInRange("VMRUN_TIMEOUT_SECONDS", raw, VMRUN_TIMEOUT.min, VMRUN_TIMEOUT.max);
    return new VmrunDriver({
      binary: found.binary,
      hostType: found.hostType,
      timeoutMs: timeoutSeconds * 1000,
      cwd: opts.cwd,
      env,
      retryPauseMs: opts.retryPauseMs,
    });
  }

  /** Absolute form of a .vmx path; vmrun misreads relative ones. */
  resolveVmx(vmx: string): string {
    return path.resolve(this.cwd, vmx);
  }

  /** A VM's locator is its absolute .vmx path. */
  resolveVm(vm: string): string {
    return this.resolveVmx(vm);
  }

  // ------------------------------------------------------------ power

  /** Paths of the running VMs, as vmrun prints them. */
  async listRunning(opts: CallOptions = {}): Promise<string[]> {
    return this.readOnly(async () => {
      const out = await this.run("list", undefined, [], opts);
      const lines = out
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "");
      const header = /^Total running VMs:\s*(\d+)$/i.exec(lines[0] ?? "");
      if (!header) throw this.badOutput("list", undefined, out, 'expected "Total running VMs: N" first');
      const paths = lines.slice(1);
      if (paths.length !== Number(header[1])) {
        throw this.badOutput(
          "list",
          undefined,
          out,
          `header says ${header[1]} running VMs but ${paths.length} paths follow`,
        );
      }
      return paths;
    });
  }

  /** Whether vmrun lists this VM; paths compare case-insensitively (macOS file systems are, Vagrant does the same). */
  async isRunning(vmx: string, opts: CallOptions = {}): Promise<boolean> {
    return (await this.runningVms(opts))(vmx);
  }

  /** One `list`, as a question to ask of any number of VMs: is this .vmx running? (compared as isRunning does) */
  async runningVms(opts: CallOptions = {}): Promise<(vmx: string) => boolean> {
    const key = (p: string) => path.normalize(p).toLowerCase();
    const running = new Set((await this.listRunning(opts)).map(key));
    return (vmx) => running.has(key(this.resolveVmx(vmx)));
  }

  /** Powers the VM on; returns when vmrun does (after power-on, long before the guest has booted). */
  async start(vmx: string, opts: CallOptions & { gui?: boolean } = {}): Promise<void> {
    await this.run("start", vmx, [opts.gui ? "gui" : "nogui"], opts);
  }

  async stop(vmx: string, mode: PowerMode, opts: CallOptions = {}): Promise<void> {
    await this.run("stop", vmx, [mode], opts);
  }

  /**
   * Brings the VM down if it runs. With softTimeoutMs a guest shutdown is tried first (it needs VMware
   * Tools), then a hard stop. "Not powered on" counts as success, so calling it twice is safe.
   */
  async stopIfRunning(
    vmx: string,
    opts: CallOptions & { softTimeoutMs?: number } = {},
  ): Promise<StopOutcome> {
    if (!(await this.isRunning(vmx, opts))) return "not-running";
    if (opts.softTimeoutMs !== undefined) {
      try {
        await this.stop(vmx, "soft", { timeoutMs: opts.softTimeoutMs });
        return "soft";
      } catch (err) {
        if (isNotPoweredOn(err)) return "soft";
        if (!hypervisorAnswered(err)) throw err;
        // Tools not running or the guest ignored the request: fall through to a hard stop.
      }
    }
    try {
      await this.stop(vmx, "hard", opts);
    } catch (err) {
      if (isNotPoweredOn(err)) return "hard";
      // As Packer does: an error is harmless if the VM is no longer running.
      if (hypervisorAnswered(err) && !(await this.isRunning(vmx, opts))) return "hard";
      throw err;
    }
    return "hard";
  }

  async reset(vmx: string, mode: PowerMode = "hard", opts: CallOptions = {}): Promise<void> {
    await this.run("reset", vmx, [mode], opts);
  }

  /** Suspends the VM; hard (the default) skips the guest's suspend scripts. */
  async suspend(vmx: string, opts: CallOptions & { mode?: PowerMode } = {}): Promise<void> {
    await this.run("suspend", vmx, [opts.mode ?? "hard"], opts);
  }

  async pause(vmx: string, opts: CallOptions = {}): Promise<void> {
    await this.run("pause", vmx, [], opts);
  }

  async unpause(vmx: string, opts: CallOptions = {}): Promise<void> {
    await this.run("unpause", vmx, [], opts);
  }

  // ------------------------------------------------------------ delete

  /** A VM is built when its .vmx exists (vmrun has no registry of its own; Fusion opens any .vmx). */
  async isBuilt(vmx: string): Promise<boolean> {
    return fs.existsSync(this.resolveVmx(vmx));
  }

  async deleteVM(vmx: string, opts: CallOptions = {}): Promise<void> {
    await this.run("deleteVM", vmx, [], opts);
  }

  /** Deletes the VM's files through vmrun; false when there was nothing to delete. */
  async deleteVmIfPresent(vmx: string, opts: CallOptions = {}): Promise<boolean> {
    if (!fs.existsSync(this.resolveVmx(vmx))) return false;
    try {
      await this.deleteVM(vmx, opts);
      return true;
    } catch (err) {
      if (isVmNotFound(err)) return false;
      throw err;
    }
  }

  // ------------------------------------------------------------ snapshots

  async snapshot(vmx: string, name: string, opts: CallOptions = {}): Promise<void> {
    await this.run("snapshot", vmx, [name], opts);
  }

  /** Snapshot names in vmrun's order; showTree's TAB indentation is stripped if present. */
  async listSnapshots(vmx: string, opts: CallOptions = {}): Promise<string[]> {
    return this.readOnly(async () => {
      const out = await this.run("listSnapshots", vmx, [], opts);
      const lines = out.split(/\r?\n/).filter((l) => l.trim() !== "");
      const header = /^Total snapshots:\s*(\d+)\s*$/i.exec(lines[0] ?? "");
      if (!header) throw this.badOutput("listSnapshots", vmx, out, 'expected "Total snapshots: N" first');
      const names = lines.slice(1).map((l) => l.replace(/^\t+/, "").trimEnd());
      if (names.length !== Number(header[1])) {
        throw this.badOutput(
          "listSnapshots",
          vmx,
          out,
          `header says ${header[1]} snapshots but ${names.length} names follow`,
        );
      }
      return names;
    });
  }

  async revertToSnapshot(vmx: string, name: string, opts: CallOptions = {}): Promise<void> {
    await this.run("revertToSnapshot", vmx, [name], opts);
  }

  async deleteSnapshot(
    vmx: string,
    name: string,
    opts: CallOptions & { andDeleteChildren?: boolean } = {},
  ): Promise<void> {
    await this.run(
      "deleteSnapshot",
      vmx,
      opts.andDeleteChildren ? [name, "andDeleteChildren"] : [name],
      opts,
    );
  }

  // ------------------------------------------------------------ guest

  /**
   * The guest's IPv4 address as VMware Tools reports it. With wait, vmrun blocks until there is one and
   * has no timeout of its own, so the deadline (timeoutMs) is what ends a wait for a guest that never answers.
   */
  async getGuestIPAddress(vmx: string, opts: CallOptions & { wait?: boolean } = {}): Promise<string> {
    const out = await this.run("getGuestIPAddress", vmx, opts.wait ? ["-wait"] : [], opts);
    const ip = out.trim();
    if (!isIPv4(ip)) throw this.badOutput("getGuestIPAddress", vmx, out, "expected an IPv4 address");
    return ip;
  }

  async checkToolsState(vmx: string, opts: CallOptions = {}): Promise<ToolsState> {
    return this.readOnly(async () => {
      const out = await this.run("checkToolsState", vmx, [], opts);
      const word = out.trim();
      if (word === "" || /\s/.test(word))
        throw this.badOutput("checkToolsState", vmx, out, "expected one word such as running");
      return word;
    });
  }

  /** Reads a variable; an unset one comes back as "". */
  async readVariable(vmx: string, type: VariableType, name: string, opts: CallOptions = {}): Promise<string> {
    const out = await this.run("readVariable", vmx, [type, name], opts);
    return out.trim();
  }

  // ------------------------------------------------------------ plumbing

  private async run(
    operation: string,
    vmx: string | undefined,
    rest: readonly string[],
    opts: CallOptions,
  ): Promise<string> {
    const absVmx = vmx === undefined ? undefined : this.resolveVmx(vmx);
    const argv = ["-T", this.hostType, operation, ...(absVmx === undefined ? [] : [absVmx]), ...rest];
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let result: RunResult;
    try {
      result = await runWithDeadline(this.binary, argv, { timeoutMs, env: this.env });
    } catch (err) {
      if (err instanceof SpawnError)
        throw new VmrunError({
          operation,
          vmx: absVmx,
          kind: "spawn",
          detail: err.message,
          hostType: this.hostType,
        });
      throw err;
    }
    const output = `${result.stdout}${result.stderr}`;
    if (result.timedOut) {
      throw new VmrunError({
        operation,
        vmx: absVmx,
        kind: "timeout",
        timeoutMs,
        exitCode: result.code,
        output,
      });
    }
    // vmrun reports errors on stdout with exit 255, but some versions are said to exit 0: check both.
    const saysError = /^\s*Error:/m.test(result.stdout) || /^\s*Error:/m.test(result.stderr);
    if (result.code !== 0 || saysError) {
      throw new VmrunError({ operation, vmx: absVmx, kind: "failed", exitCode: result.code, output });
    }
    return result.stdout;
  }

  private badOutput(operation: string, vmx: string | undefined, output: string, detail: string): VmrunError {
    return new VmrunError({
      operation,
      vmx: vmx === undefined ? undefined : this.resolveVmx(vmx),
      kind: "bad-output",
      exitCode: 0,
      output,
      detail,
    });
  }

  /** A read-only call, retried (see retryRead). */
  private readOnly<T>(call: () => Promise<T>): Promise<T> {
    return retryRead(call, this.readRetries, this.retryPauseMs);
  }
}

import { isIPv4 } from "node:net";
import * as path from "node:path";
import type { VsphereSpec } from "../../../model/config/model";
import { vsphereFolderPath } from "../../../model/config/vsphere-paths";
import { RunResult, runWithDeadline, SpawnError } from "../../process/run-with-deadline";
import { FailureReason, hypervisorAnswered, isNotPoweredOn, isVmNotFound } from "../errors";
import { retryRead } from "../read-retry";
import { CallOptions, Hypervisor, StopOutcome, ToolsState, VmInventory } from "../hypervisor";
import { isExecutable as defaultIsExecutable } from "../vmrun/locate";
import { govcEnvironment, secretsOf } from "./environment";
import { GovcError } from "./errors";
import { locateGovc } from "./locate";
import { parseSnapshotTree, snapshotPowerStates } from "./snapshot-tree";
import { parseVmInfo, toolsStateOf, VmInfo } from "./vm-info";

export interface GovcDriverOptions {
  readonly binary: string;
  /** govc's whole environment (govcEnvironment builds it): GOVC_URL, the credentials, TLS. */
  readonly env: NodeJS.ProcessEnv;
  /** Inventory path of the lab's VM folder: what listRunning and listVms look in, and where bare VM names resolve. */
  readonly folder: string;
  /** Deadline for each call unless the call overrides it. @default 120000 */
  readonly timeoutMs?: number;
  /** Pause between retries of read-only calls. @default 2000 (as the vmrun driver) */
  readonly retryPauseMs?: number;
  /** Extra attempts for read-only calls (find, vm.info, snapshot.tree). @default 2 */
  readonly readRetries?: number;
  /** How often stopIfRunning asks whether a guest shutdown has finished. @default 1000 */
  readonly pollMs?: number;
}

export interface GovcFromModelOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly isExecutable?: (p: string) => boolean;
  readonly timeoutMs?: number;
  readonly retryPauseMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What vm.ip's own -wait leaves of the call's deadline, so govc ends by itself before it is killed. */
const IP_WAIT_MARGIN_MS = 1000;

/**
 * The one place the product calls govc (vSphere). Every call is `govc <command> <flags> <inventory path>`,
 * argv only (never a shell), with a deadline that kills govc's whole process group; the server and the
 * credentials reach it only through its environment. A VM's locator is its inventory path
 * (`/<datacenter>/vm/<folder>/<name>`). State-changing calls are never retried; read-only ones are.
 */
export class GovcDriver implements Hypervisor, VmInventory {
  readonly binary: string;
  readonly timeoutMs: number;
  readonly folder: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly secrets: readonly string[];
  private readonly retryPauseMs: number;
  private readonly readRetries: number;
  private readonly pollMs: number;

  constructor(opts: GovcDriverOptions) {
    this.binary = opts.binary;
    this.env = opts.env;
    this.folder = opts.folder.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.retryPauseMs = opts.retryPauseMs ?? 2000;
    this.readRetries = opts.readRetries ?? 2;
    this.pollMs = opts.pollMs ?? 1000;
    this.secrets = secretsOf(opts.env);
  }

  /** Locates govc ($GOVC, PATH) and builds its environment for the config's site. */
  static forSite(site: VsphereSpec, opts: GovcFromModelOptions = {}): GovcDriver {
    const env = opts.env ?? process.env;
    const found = locateGovc({ env, isExecutable: opts.isExecutable ?? defaultIsExecutable });
    return new GovcDriver({
      binary: found.binary,
      env: govcEnvironment(site, env),
      folder: vsphereFolderPath(site),
      timeoutMs: opts.timeoutMs,
      retryPauseMs: opts.retryPauseMs,
    });
  }

  /** An inventory path stays as it is; a bare VM name is taken to be in the lab's folder. */
  resolveVm(vm: string): string {
    return vm.startsWith("/") ? vm : `${this.folder}/${vm}`;
  }

  // ------------------------------------------------------------ power and inventory

  /** Inventory paths of the powered-on VMs in the lab's folder (not its subfolders). */
  async listRunning(opts: CallOptions = {}): Promise<string[]> {
    return this.findVms(["-runtime.powerState", "poweredOn"], opts);
  }

  /** Inventory paths of every VM in the lab's folder, whatever its power state (not its subfolders). */
  async listVms(opts: CallOptions = {}): Promise<string[]> {
    return this.findVms([], opts);
  }

  async runningVms(opts: CallOptions = {}): Promise<(vm: string) => boolean> {
    const running = new Set(await this.listRunning(opts));
    return (vm) => running.has(this.resolveVm(vm));
  }

  async isRunning(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return (await this.runningVms(opts))(vm);
  }

  async start(vm: string, opts: CallOptions = {}): Promise<void> {
    await this.run("vm.power -on", vm, ["vm.power", "-on"], opts);
  }

  /**
   * Brings the VM down if it runs. With softTimeoutMs a guest shutdown is asked for first (vSphere returns
   * at once and the guest powers off in its own time, so the power state is polled until then), then the
   * VM is powered off. "Not powered on" counts as success, so calling it twice is safe.
   */
  async stopIfRunning(vm: string, opts: CallOptions & { softTimeoutMs?: number } = {}): Promise<StopOutcome> {
    if (!(await this.isRunning(vm, opts))) return "not-running";
    if (opts.softTimeoutMs !== undefined) {
      const soft = await this.shutdownGuest(vm, opts.softTimeoutMs);
      if (soft) return "soft";
    }
    try {
      await this.run("vm.power -off", vm, ["vm.power", "-off"], opts);
    } catch (err) {
      if (isNotPoweredOn(err)) return "hard";
      if (hypervisorAnswered(err) && !(await this.isRunning(vm, opts))) return "hard";
      throw err;
    }
    return "hard";
  }

  async suspend(vm: string, opts: CallOptions = {}): Promise<void> {
    await this.run("vm.power -suspend", vm, ["vm.power", "-suspend"], opts);
  }

  // ------------------------------------------------------------ lifecycle

  /** The inventory holds a VM at this path. */
  async isBuilt(vm: string, opts: CallOptions = {}): Promise<boolean> {
    return (await this.vmInfo(vm, opts)) !== undefined;
  }

  /** Destroys the VM (vm.destroy powers it off first and deletes its disks); false when there was none. */
  async deleteVmIfPresent(vm: string, opts: CallOptions = {}): Promise<boolean> {
    try {
      await this.run("vm.destroy", vm, ["vm.destroy"], opts);
      return true;
    } catch (err) {
      if (isVmNotFound(err)) return false;
      throw err;
    }
  }

  // ------------------------------------------------------------ snapshots

  /**
   * A snapshot with the guest's memory (govc's default), as vmrun takes them. vSphere allows two of one
   * name, which no set could then tell apart: a name the VM has is refused, as vmrun refuses it.
   */
  async snapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    if ((await this.listSnapshots(vm, opts)).includes(name))
      throw this.failed("snapshot.create", vm, undefined, `the VM already has a snapshot named ${name}`);
    await this.run("snapshot.create", vm, ["snapshot.create", "-vm"], opts, [name]);
  }

  /** Snapshot names, oldest first. */
  async listSnapshots(vm: string, opts: CallOptions = {}): Promise<string[]> {
    return this.readOnly(async () => {
      const out = await this.run("snapshot.tree", vm, ["snapshot.tree", "-json", "-D", "-vm"], opts);
      try {
        return parseSnapshotTree(out);
      } catch (err) {
        throw this.badOutput("snapshot.tree", vm, out, (err as Error).message);
      }
    });
  }

  /**
   * Reverts, and leaves the VM in the power state its snapshot was taken in, as vCenter does (a memory
   * snapshot comes back running, another one off); where it did not (vcsim keeps the power as it was),
   * the driver powers the VM on or off to match what vSphere recorded with the snapshot.
   */
  async revertToSnapshot(vm: string, name: string, opts: CallOptions = {}): Promise<void> {
    const taken = await this.snapshotPowerState(vm, name, opts);
    await this.run("snapshot.revert", vm, ["snapshot.revert", "-vm"], opts, [name]);
    if (taken === undefined) return;
    const running = await this.isRunning(vm, opts);
    if (taken === "poweredOn" && !running) await this.start(vm, opts);
    else if (taken !== "poweredOn" && running)
      await this.run("vm.power -off", vm, ["vm.power", "-off"], opts);
  }

  /** The power state vSphere recorded with the snapshot `name`; undefined when the VM has none of that name. */
  private async snapshotPowerState(vm: string, name: string, opts: CallOptions): Promise<string | undefined> {
    return this.readOnly(async () => {
      const out = await this.run("object.collect", vm, ["object.collect", "-json"], opts, ["snapshot"]);
      try {
        return snapshotPowerStates(out).get(name);
      } catch (err) {
        throw this.badOutput("object.collect", vm, out, (err as Error).message);
      }
    });
  }

  async deleteSnapshot(
    vm: string,
    name: string,
    opts: CallOptions & { andDeleteChildren?: boolean } = {},
  ): Promise<void> {
    const flags = opts.andDeleteChildren ? ["snapshot.remove", "-r", "-vm"] : ["snapshot.remove", "-vm"];
    await this.run("snapshot.remove", vm, flags, opts, [name]);
  }

  // ------------------------------------------------------------ guest

  /**
   * The guest's IPv4 address as VMware Tools report it. A VM that is off fails as not powered on at once
   * (vm.ip would wait for it); with wait, `vm.ip -wait` polls within the call's deadline, and a deadline
   * that passes without an address is a timeout, as vmrun's -wait killed at its deadline.
   */
  async getGuestIPAddress(vm: string, opts: CallOptions & { wait?: boolean } = {}): Promise<string> {
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    // Not retried (as vmrun's getGuestIPAddress): retries would each get the whole deadline and overrun it.
    const info = await this.requireVm("vm.ip", vm, { timeoutMs }, { retry: false });
    if (info.powerState !== "poweredOn")
      throw this.failed("vm.ip", vm, "not-powered-on", `the VM is ${info.powerState}`);
    if (!opts.wait) {
      if (isIPv4(info.ipAddress)) return info.ipAddress;
      throw this.failed("vm.ip", vm, "tools-not-running", "VMware Tools report no IPv4 address");
    }
    const left = timeoutMs - (Date.now() - started);
    const waitMs = Math.max(1, left - Math.min(IP_WAIT_MARGIN_MS, Math.floor(left / 4)));
    const out = await this.run("vm.ip", vm, ["vm.ip", "-v4", "-wait", `${waitMs}ms`], {
      timeoutMs: Math.max(1, left),
    });
    const ip = out.trim().split(/\r?\n/)[0] ?? "";
    if (ip === "")
      throw new GovcError({ operation: "vm.ip", vm: this.resolveVm(vm), kind: "timeout", timeoutMs });
    if (!isIPv4(ip)) throw this.badOutput("vm.ip", vm, out, "expected an IPv4 address");
    return ip;
  }

  async checkToolsState(vm: string, opts: CallOptions = {}): Promise<ToolsState> {
    return toolsStateOf(await this.requireVm("vm.info", vm, opts));
  }

  // ------------------------------------------------------------ the site (the doctor's questions)

  /** `govc version`'s answer, e.g. "govc 0.38.0" (no connection needed). */
  async version(opts: CallOptions = {}): Promise<string> {
    return (await this.exec("version", undefined, ["version"], opts)).trim().split(/\r?\n/)[0] ?? "";
  }

  /** Who answers at the server (its FullName), after a login: an error says why it cannot be reached or logged in to. */
  async about(opts: CallOptions = {}): Promise<string> {
    const out = await this.exec("about", undefined, ["about"], opts);
    const full = /^FullName:\s*(.+)$/m.exec(out);
    if (full === null) throw this.badOutputOf("about", out, "expected a FullName: line");
    return full[1].trim();
  }

  /**
   * Inventory paths of the objects of `type` (govc's find alias: d, c, h, p, s, n, f, m) named `name` anywhere
   * below `root`, as Terraform's data sources look names up. The name is matched literally (its pattern
   * characters escaped); a root that does not exist holds nothing.
   */
  async findByName(root: string, type: string, name: string, opts: CallOptions = {}): Promise<string[]> {
    const literal = name.replace(/[*?[\\]/g, "\\$&");
    return this.readOnly(async () => {
      try {
        const out = await this.exec("find", undefined, ["find", "-type", type, root, "-name", literal], opts);
        return out.split(/\r?\n/).filter((l) => l.trim() !== "");
      } catch (err) {
        if (isVmNotFound(err)) return [];
        throw err;
      }
    });
  }

  /** Capacities of the VM's virtual disks in bytes, in device order; undefined when there is no VM there. */
  async diskBytes(vm: string, opts: CallOptions = {}): Promise<readonly number[] | undefined> {
    return (await this.vmInfo(vm, opts))?.diskBytes;
  }

  // ------------------------------------------------------------ plumbing

  private async findVms(filter: readonly string[], opts: CallOptions): Promise<string[]> {
    return this.readOnly(async () => {
      // Flags before ROOT (Go's flag package stops at the first argument); property filters after it.
      const argv = ["find", "-maxdepth", "1", "-type", "m", this.folder, ...filter];
      let out: string;
      try {
        out = await this.exec("find", undefined, argv, opts);
      } catch (err) {
        // "<folder> not found": a folder that is not there holds no VM (never deployed, or removed by hand).
        if (isVmNotFound(err)) return [];
        throw err;
      }
      return out
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "");
    });
  }

  /** vm.info of the VM; undefined when the inventory has no VM there. Retried as a read unless `retry` is false. */
  private async vmInfo(vm: string, opts: CallOptions, retry = true): Promise<VmInfo | undefined> {
    const call = async () => {
      const out = await this.run("vm.info", vm, ["vm.info", "-json"], opts);
      try {
        return parseVmInfo(out);
      } catch (err) {
        throw this.badOutput("vm.info", vm, out, (err as Error).message);
      }
    };
    return retry ? this.readOnly(call) : call();
  }

  private async requireVm(
    operation: string,
    vm: string,
    opts: CallOptions,
    how: { readonly retry: boolean } = { retry: true },
  ): Promise<VmInfo> {
    const info = await this.vmInfo(vm, opts, how.retry);
    if (info === undefined)
      throw this.failed(operation, vm, "vm-not-found", "vm.info -json lists no VM there");
    return info;
  }

  /** govc <command...> [<vm>] [trailing]: the VM's inventory path goes last unless arguments follow it. */
  private run(
    operation: string,
    vm: string,
    command: readonly string[],
    opts: CallOptions,
    trailing: readonly string[] = [],
  ): Promise<string> {
    return this.exec(operation, vm, [...command, this.resolveVm(vm), ...trailing], opts);
  }

  private async exec(
    operation: string,
    vm: string | undefined,
    argv: readonly string[],
    opts: CallOptions,
  ): Promise<string> {
    const at = vm === undefined ? undefined : this.resolveVm(vm);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let result: RunResult;
    try {
      result = await runWithDeadline(this.binary, argv, { timeoutMs, env: this.env });
    } catch (err) {
      if (err instanceof SpawnError)
        throw new GovcError({ operation, vm: at, kind: "spawn", detail: err.message, secrets: this.secrets });
      throw err;
    }
    const output = this.withoutPrefix(`${result.stdout}${result.stderr}`);
    if (result.timedOut)
      throw new GovcError({ operation, vm: at, kind: "timeout", timeoutMs, output, secrets: this.secrets });
    if (result.code !== 0)
      throw new GovcError({
        operation,
        vm: at,
        kind: "failed",
        exitCode: result.code,
        output,
        secrets: this.secrets,
      });
    return result.stdout;
  }

  /** govc starts each error line with its argv[0] (as given, or made absolute) and ": ". */
  private withoutPrefix(output: string): string {
    const prefixes = [`${this.binary}: `, `${path.resolve(this.binary)}: `];
    return output
      .split("\n")
      .map((line) => {
        const prefix = prefixes.find((p) => line.includes(p));
        if (prefix === undefined) return line;
        const at = line.indexOf(prefix);
        return line.slice(0, at) + line.slice(at + prefix.length);
      })
      .join("\n");
  }

  private async shutdownGuest(vm: string, softTimeoutMs: number): Promise<boolean> {
    const giveUp = Date.now() + softTimeoutMs;
    try {
      await this.run("vm.power -s", vm, ["vm.power", "-s"], { timeoutMs: softTimeoutMs });
    } catch (err) {
      if (isNotPoweredOn(err)) return true;
      if (!hypervisorAnswered(err)) throw err;
      return false; // tools not running, or the guest refused: a hard stop follows
    }
    for (;;) {
      const left = giveUp - Date.now();
      if (left <= 0) return false;
      const running = await this.isRunning(vm, { timeoutMs: Math.max(left, 1000) }).catch(() => true);
      if (!running) return true;
      await sleep(Math.min(this.pollMs, Math.max(0, giveUp - Date.now())));
    }
  }

  /** A failure the driver found out from vm.info itself; `said` is what vSphere answered. */
  private failed(operation: string, vm: string, reason: FailureReason | undefined, said: string): GovcError {
    return new GovcError({
      operation,
      vm: this.resolveVm(vm),
      kind: "failed",
      output: said,
      reason,
      secrets: this.secrets,
    });
  }

  private badOutputOf(operation: string, output: string, detail: string): GovcError {
    return new GovcError({
      operation,
      kind: "bad-output",
      exitCode: 0,
      output,
      detail,
      secrets: this.secrets,
    });
  }

  private badOutput(operation: string, vm: string, output: string, detail: string): GovcError {
    return new GovcError({
      operation,
      vm: this.resolveVm(vm),
      kind: "bad-output",
      exitCode: 0,
      output,
      detail,
      secrets: this.secrets,
    });
  }

  /** A read-only call, retried (see retryRead). */
  private readOnly<T>(call: () => Promise<T>): Promise<T> {
    return retryRead(call, this.readRetries, this.retryPauseMs);
  }
}

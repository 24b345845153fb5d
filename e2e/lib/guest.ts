/**
 * One guest in the run. QEMU boots the VM folder's .vmx (disk, seed ISO, NICs with their MACs) when the
 * deploy powers the VM on; once ssh answers, the guest counts as reporting its IP. After the deploy the
 * run waits for cloud-init, collects the facts, runs the checks for the VM's role and powers the guest
 * off; QEMU is always ended by its PID. A failed guest's console log is kept and its tail printed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterModel, VmSpec } from "../../lib/model/config/model";
import { parseVmx } from "../../lib/model/render/vmx";
import { checksFor } from "../checks";
import { factCommands, factScript, parseFacts } from "../checks/facts";
import type { CheckSelection } from "../checks";
import type { GuestContext, GuestShell, RunServices, SeedFiles } from "../checks/types";
import { BackgroundProcess, startBackground } from "./background";
import { inNetns } from "./netns";
import {
  firmwareBootFailure,
  firmwareDescription,
  kernelStarted,
  prepareFirmware,
  qemuCommand,
  VmxHardware,
  vmxHardware,
} from "./qemu";
import { ResultRow } from "./results";
import { ssh, SshTarget, waitForSsh } from "./ssh";

export interface GuestOptions {
  readonly vm: VmSpec;
  readonly model: ClusterModel;
  readonly projectDir: string;
  readonly namespace: string;
  /** Tap per NIC, in ethernetN order. */
  readonly taps: readonly string[];
  readonly keyFile: string;
  readonly publicKey: string;
  readonly lifetimeSeconds: number;
  /** From QEMU's start. */
  readonly sshBudgetMs: number;
  readonly cloudInitBudgetMs: number;
  /** From QEMU's start until the console shows a kernel: past it, the disk did not boot with the .vmx's firmware. */
  readonly kernelBudgetSeconds: number;
  readonly log: (line: string) => void;
  /** Called with the QEMU process as soon as it runs, so the run can end it whatever happens. */
  readonly started: (proc: BackgroundProcess) => void;
}

/** cloud-init's last line on the console, at the end of its final stage. */
const CLOUD_INIT_FINISHED = /Cloud-init v\. \S+ finished at/;
const FINISHED_GRACE_S = 60;

/** cloud-init's warnings and errors on the serial console (why a guest never came up), last 8. */
export function consoleProblems(consoleLog: string): string {
  if (!fs.existsSync(consoleLog)) return "";
  return fs
    .readFileSync(consoleLog, "utf8")
    .split("\n")
    .filter((l) => /cloud-init\[\d+\]:.*(WARNING|ERROR|Error:|RuntimeError)/.test(l))
    .slice(-8)
    .map((l) => l.trim())
    .join("\n");
}

function readSeed(projectDir: string, vm: VmSpec): SeedFiles {
  const dir = path.join(projectDir, vm.generatedDir, "seed");
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  return { userData: read("user-data"), metaData: read("meta-data"), networkConfig: read("network-config") };
}

export class Guest {
  readonly rows: ResultRow[] = [];
  readonly timings: Record<string, number> = {};
  readonly target: SshTarget;
  private qemu?: BackgroundProcess;
  private bootedAt = 0;
  private hardware?: VmxHardware;
  private consoleLog = "";
  private reachable?: Promise<boolean>;
  private cloudInit?: Promise<string>;
  private shutDown = false;
  private finishedSeenAt?: number;
  private kernelSeen = false;
  private bootFailure?: string;

  constructor(private readonly o: GuestOptions) {
    const nat = o.vm.nics.find((n) => n.network === "nat");
    if (!nat?.address)
      throw new Error(
        `${o.vm.name} has no static address on the vmnet; the e2e run needs addressing: static`,
      );
    this.target = {
      namespace: o.namespace,
      address: nat.address,
      user: o.model.ssh.user,
      keyFile: o.keyFile,
    };
  }

  get name(): string {
    return this.o.vm.name;
  }

  /** The row that says why the guest never answered: `boot` when its firmware could not boot the disk, else `ssh`. */
  get unreachableCheck(): "boot" | "ssh" {
    return this.bootFailure ? "boot" : "ssh";
  }

  private row(id: string, ok: boolean, seen: string, detail?: string): void {
    this.rows.push({ vm: this.name, id, ok, seen, ...(detail ? { detail } : {}) });
  }

  private since(): number {
    return (Date.now() - this.bootedAt) / 1000;
  }

  /** Starts QEMU on the installed .vmx (what vm-start put in the VM folder); resolves when ssh answers or never will. */
  boot(): Promise<boolean> {
    if (this.reachable) return this.reachable;
    try {
      return this.startQemu();
    } catch (err) {
      this.row("boot", false, "QEMU could not be started for this VM", (err as Error).message);
      this.reachable = Promise.resolve(false);
      return this.reachable;
    }
  }

  private startQemu(): Promise<boolean> {
    const { vm, projectDir } = this.o;
    const vmDir = path.join(projectDir, vm.vmDir);
    const hardware = vmxHardware(parseVmx(fs.readFileSync(path.join(projectDir, vm.vmxPath), "utf8")));
    this.hardware = hardware;
    this.consoleLog = path.join(vmDir, hardware.serialFile ?? "console.log");
    const plan = {
      name: vm.name,
      vmDir,
      hardware,
      taps: this.o.taps,
      consoleLog: this.consoleLog,
      pidFile: path.join(vmDir, "qemu.pid"),
    };
    prepareFirmware(plan);
    const { binary, args } = qemuCommand(plan);
    fs.rmSync(this.consoleLog, { force: true });
    this.o.log(
      `${vm.name}: powered on by the deploy; ${binary} boots ${vm.vmxPath} (${hardware.arch}, firmware ${firmwareDescription(hardware)}, ${hardware.cpus} vCPU, ${hardware.memoryMb} MiB, ${hardware.nics.map((n) => `ethernet${n.index} ${n.model} ${n.mac}`).join(", ")})`,
    );
    const prefix = inNetns(this.o.namespace);
    this.bootedAt = Date.now();
    const qemu = startBackground({
      argv: [...prefix, binary, ...args],
      timeoutAfter: prefix.length,
      lifetimeSeconds: this.o.lifetimeSeconds,
      logFile: path.join(vmDir, "qemu.log"),
    });
    this.qemu = qemu;
    this.o.started(qemu);
    const gaveUp = () => qemu.hasExited() || this.firmwareFailed() || this.cloudInitFinishedLongAgo();
    this.reachable = waitForSsh(this.target, this.o.sshBudgetMs, gaveUp).then((reach) => {
      if (!reach.ok) {
        this.recordUnreachable(hardware, qemu.hasExited(), reach.lastError);
        return false;
      }
      this.timings.bootToSsh = this.since();
      this.row(
        "ssh",
        true,
        `${this.target.user}@${this.target.address} with the run's key after ${this.timings.bootToSsh.toFixed(0)} s`,
      );
      this.o.log(`${vm.name}: ssh answers after ${this.timings.bootToSsh.toFixed(0)} s`);
      // Timed from here, while the deploy goes on, so the time is cloud-init's and not the deploy's.
      this.cloudInit = this.waitForCloudInit().then((state) => {
        if (state === "done" || state === "error" || state === "degraded")
          this.timings.bootToCloudInitDone = this.since();
        this.o.log(`${vm.name}: cloud-init ${state} ${this.since().toFixed(0)} s after boot`);
        return state;
      });
      return true;
    });
    return this.reachable;
  }

  /** Why the guest never answered: the firmware could not boot its disk (row `boot`), or no ssh (row `ssh`). */
  private recordUnreachable(hardware: VmxHardware, qemuEnded: boolean, lastError: string): void {
    if (this.bootFailure) {
      // The firmware's screen, without its colour and cursor escapes.
      const text = fs.existsSync(this.consoleLog)
        ? // eslint-disable-next-line no-control-regex -- ESC starts the escapes being removed
          fs.readFileSync(this.consoleLog, "utf8").replace(/\x1b\[[0-9;=?]*[A-Za-z]/g, "")
        : "";
      const tail = text.trim() ? text.trimEnd().split("\n").slice(-6).join("\n") : "(no console output)";
      this.row(
        "boot",
        false,
        `${this.name}'s disk did not boot with the .vmx's firmware ${firmwareDescription(hardware)}: ${this.bootFailure}`,
        `console:\n${tail}`,
      );
      return;
    }
    const why = qemuEnded
      ? "QEMU ended"
      : this.cloudInitFinishedLongAgo()
        ? `cloud-init finished ${FINISHED_GRACE_S} s ago`
        : "budget spent";
    const excerpt = consoleProblems(this.consoleLog);
    this.row(
      "ssh",
      false,
      `no ssh to ${this.target.user}@${this.target.address} after ${this.since().toFixed(0)} s (${why})`,
      [lastError, excerpt ? `console:\n${excerpt}` : ""].filter(Boolean).join("\n"),
    );
  }

  /** True once the console shows the firmware could not boot the disk (see firmwareBootFailure). */
  private firmwareFailed(): boolean {
    if (this.bootFailure) return true;
    if (this.kernelSeen) return false;
    const text = fs.existsSync(this.consoleLog) ? fs.readFileSync(this.consoleLog, "utf8") : "";
    // Once a kernel runs, the firmware did its part: the console need not be read again.
    this.kernelSeen = kernelStarted(text);
    this.bootFailure = firmwareBootFailure(text, this.since(), this.o.kernelBudgetSeconds);
    return this.bootFailure !== undefined;
  }

  /** Waits for cloud-init, then runs the role's checks; records a failure when the guest never came up. */
  async check(services: RunServices, selection: CheckSelection): Promise<void> {
    if (!this.reachable) {
      this.row("boot", false, "the deploy never powered this VM on", "see the apply step above");
      return;
    }
    if (!(await this.reachable) || !this.hardware) return;
    const { vm, model } = this.o;
    await this.cloudInit;

    const ctx: GuestContext = {
      vm,
      model,
      hardware: this.hardware,
      address: this.target.address,
      publicKey: this.o.publicKey,
      seed: readSeed(this.o.projectDir, vm),
      guestConfigDir: path.join(this.o.projectDir, vm.generatedDir, "guest"),
    };
    const checks = checksFor(vm.role, selection);
    const started = Date.now();
    const collected = await ssh(this.target, factScript(factCommands(checks.facts)), 120_000);
    if (collected.timedOut || collected.code === 255) {
      this.row(
        "facts",
        false,
        "collecting the guest's facts over ssh failed",
        collected.stderr.trim() || "timed out",
      );
    } else {
      const facts = parseFacts(collected.stdout);
      for (const c of checks.facts) {
        try {
          for (const r of c.evaluate(ctx, facts)) this.row(r.id, r.ok, r.seen, r.detail);
        } catch (err) {
          this.row(c.name.replace(/\s+/g, "-"), false, "the check itself failed", (err as Error).message);
        }
      }
    }
    const shell = this.shell();
    for (const c of checks.active) {
      try {
        for (const r of await c.run(ctx, shell, services)) this.row(r.id, r.ok, r.seen, r.detail);
      } catch (err) {
        this.row(c.name.replace(/\s+/g, "-"), false, "the check itself failed", (err as Error).message);
      }
    }
    this.timings.checks = (Date.now() - started) / 1000;
  }

  /** Commands over ssh as the guest's user; undefined unless the guest answered ssh and is still running. */
  async reachableShell(): Promise<GuestShell | undefined> {
    if (!this.reachable || !(await this.reachable) || this.shutDown || this.qemu?.hasExited())
      return undefined;
    return this.shell();
  }

  private shell(): GuestShell {
    return {
      run: async (command: string, timeoutMs?: number) => {
        const r = await ssh(this.target, command, timeoutMs);
        return { rc: r.code ?? -1, out: `${r.stdout}${r.stderr}` };
      },
    };
  }

  /** Records a result of a check over several guests as this guest's. */
  record(id: string, ok: boolean, seen: string, detail?: string): void {
    this.row(id, ok, seen, detail);
  }

  /**
   * True once the console shows cloud-init's final message and FINISHED_GRACE_S more seconds have
   * passed: a guest whose network came up answers ssh by then, so waiting longer only delays the failure.
   */
  private cloudInitFinishedLongAgo(): boolean {
    if (this.finishedSeenAt === undefined) {
      if (
        !fs.existsSync(this.consoleLog) ||
        !CLOUD_INIT_FINISHED.test(fs.readFileSync(this.consoleLog, "utf8"))
      )
        return false;
      this.finishedSeenAt = Date.now();
    }
    return Date.now() - this.finishedSeenAt > FINISHED_GRACE_S * 1000;
  }

  /**
   * `cloud-init status --wait` within the budget. ssh may be refused for a moment after it first
   * answered: cloud-init's set_passwords module restarts sshd during the config stage.
   */
  private async waitForCloudInit(): Promise<string> {
    const deadline = this.bootedAt + this.o.cloudInitBudgetMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return "still running";
      const wait = await ssh(
        this.target,
        "cloud-init status --wait >/dev/null 2>&1; cloud-init status",
        left,
      );
      const state = /status:\s*(\S+)/.exec(wait.stdout)?.[1];
      if (state) return state;
      if (wait.timedOut) return "still running";
      if (wait.code !== 255)
        return `unknown (exit ${wait.code}: ${wait.stderr.trim() || wait.stdout.trim()})`;
      this.o.log(`${this.name}: ssh failed while waiting for cloud-init (${wait.stderr.trim()}); retrying`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  /** A clean shutdown first (as Fusion's soft stop), then QEMU is ended by its PID in any case. */
  async shutdown(): Promise<void> {
    const qemu = this.qemu;
    if (!qemu || this.shutDown) return;
    this.shutDown = true;
    if (!qemu.hasExited() && (await this.reachable)) {
      await ssh(this.target, "sudo -n systemctl poweroff", 15_000);
      await Promise.race([qemu.exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    await qemu.stop(5000);
    if (this.rows.some((r) => !r.ok)) {
      const text = fs.existsSync(this.consoleLog)
        ? fs.readFileSync(this.consoleLog, "utf8")
        : "(no console log)";
      const tail = text
        .trimEnd()
        .split("\n")
        .slice(-40)
        .map((l) => `  | ${l}`)
        .join("\n");
      this.o.log(`${this.name}: console log kept at ${this.consoleLog}; last lines:\n${tail}`);
    }
  }
}

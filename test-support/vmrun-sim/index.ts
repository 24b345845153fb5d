/**
 * Jest helpers around the vmrun simulator (./vmrun): a private state directory, a bin directory to put first
 * on PATH, fault injection, the call log, and .vmx fixtures the simulator accepts.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SIM_BINARY = path.join(__dirname, "vmrun");

/** Misbehaviour for one command; see the header of ./vmrun. */
export interface CommandFault {
  readonly delayMs?: number;
  readonly hang?: boolean | "with-child";
  readonly fail?: string;
  readonly exitZeroWithError?: string;
  /** Printed verbatim with exit 0 instead of doing the work. */
  readonly answer?: string;
  readonly times?: number;
}

/** Guest behaviour for one VM; see the header of ./vmrun. */
export interface VmFault {
  readonly ip?: string;
  readonly toolsDelaySeconds?: number;
  readonly ipDelaySeconds?: number;
  readonly guestVars?: Record<string, string>;
  readonly guestEnv?: Record<string, string>;
}

/** Keys: command name (case-insensitive), then VM name (vmx basename without .vmx) or "*". */
export interface SimFaults {
  readonly commands?: Record<string, Record<string, CommandFault>>;
  readonly vms?: Record<string, VmFault>;
}

export interface SimCall {
  readonly pid: number;
  readonly argv: string[];
  /** The command as vmrun spells it (e.g. "getGuestIPAddress"), or the unknown word given. */
  readonly command: string | null;
  /** The first parameter of a VM command, as passed. */
  readonly vmx: string | null;
  readonly startedAt: string;
  /** When it answered; null while running, or when the process was killed. */
  readonly endedAt: string | null;
  /** null while running, or when the process was killed. */
  readonly exitCode: number | null;
  readonly stdout: string | null;
  /** Helper processes a "with-child" hang started. */
  readonly childPids: number[];
}

export type SimPower = "off" | "on" | "suspended" | "paused";

export interface SimVmState {
  readonly vmxPath: string;
  readonly power: SimPower;
  readonly snapshots: Array<{ name: string; parent: string | null; power: SimPower; takenAt: number }>;
  readonly current: string | null;
  /** ms since epoch of the last power-on; Tools and IP delays (faults.json) count from here. */
  readonly bootedAt: number | null;
}

export interface VmrunSim {
  readonly stateDir: string;
  /** Holds only `vmrun` (a link to the simulator). */
  readonly binDir: string;
  /** `<binDir>/vmrun`. */
  readonly binary: string;
  /** process.env with binDir first on PATH, VMRUN_SIM_STATE and VMRUN set, NODE_EXTRA_CA_CERTS removed. */
  readonly env: NodeJS.ProcessEnv;
  setFaults(faults: SimFaults): void;
  calls(): SimCall[];
  /** Polls the call log until a call matches (it may still be running); throws after `timeoutMs`. */
  waitForCall(match: (call: SimCall) => boolean, timeoutMs?: number): Promise<SimCall>;
  /**
   * Starts the VM with the simulator directly, bypassing the code under test (as an earlier deploy would
   * have); throws when the simulator refuses. Adds one call to the log.
   */
  powerOn(vmxAbs: string): void;
  /** Hard-stops the VM with the simulator directly (as a user in Fusion would); adds one call to the log. */
  powerOff(vmxAbs: string): void;
  vmState(vmxAbs: string): SimVmState | undefined;
  cleanup(): void;
}

export function createVmrunSim(baseEnv: NodeJS.ProcessEnv = process.env): VmrunSim {
  try {
    fs.accessSync(SIM_BINARY, fs.constants.X_OK);
  } catch {
    throw new Error(`${SIM_BINARY} is not executable: run chmod 755 on it`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "vmrun-sim-"));
  const stateDir = path.join(root, "state");
  const binDir = path.join(root, "bin");
  fs.mkdirSync(stateDir);
  fs.mkdirSync(binDir);
  const binary = path.join(binDir, "vmrun");
  fs.symlinkSync(SIM_BINARY, binary);
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    PATH: [binDir, baseEnv.PATH ?? ""].filter((p) => p !== "").join(path.delimiter),
    VMRUN_SIM_STATE: stateDir,
    VMRUN: binary,
  };
  // Node parses this CA bundle at every start (~50 ms here); the simulator makes no TLS connections.
  delete env.NODE_EXTRA_CA_CERTS;

  return {
    stateDir,
    binDir,
    binary,
    env,
    setFaults(faults) {
      const file = path.join(stateDir, "faults.json");
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(faults, null, 2));
      fs.renameSync(`${file}.tmp`, file);
    },
    calls: () => readCalls(stateDir),
    async waitForCall(match, timeoutMs = 20_000) {
      const giveUp = Date.now() + timeoutMs;
      for (;;) {
        const hit = readCalls(stateDir).find(match);
        if (hit) return hit;
        if (Date.now() >= giveUp)
          throw new Error(`the expected vmrun call never happened within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    powerOn(vmxAbs) {
      const r = spawnSync(binary, ["-T", "ws", "start", vmxAbs, "nogui"], {
        env,
        encoding: "utf8",
        timeout: 15_000,
      });
      if (r.status !== 0)
        throw new Error(`the simulator did not start ${vmxAbs} (exit ${r.status}): ${r.stdout}${r.stderr}`);
    },
    powerOff(vmxAbs) {
      const r = spawnSync(binary, ["-T", "ws", "stop", vmxAbs, "hard"], {
        env,
        encoding: "utf8",
        timeout: 15_000,
      });
      if (r.status !== 0)
        throw new Error(`the simulator did not stop ${vmxAbs} (exit ${r.status}): ${r.stdout}${r.stderr}`);
    },
    vmState(vmxAbs) {
      const dir = path.join(stateDir, "vms");
      if (!fs.existsSync(dir)) return undefined;
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
        const st = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as SimVmState;
        if (st.vmxPath === path.normalize(vmxAbs)) return st;
      }
      return undefined;
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The pids of `calls` and of the helper processes their hangs started: everything that must be gone afterwards. */
export function pidsOf(calls: readonly SimCall[]): number[] {
  return calls.flatMap((c) => [c.pid, ...c.childPids]);
}

interface LogLine {
  phase: "start" | "end" | "hang";
  pid: number;
  time: string;
  argv?: string[];
  command?: string | null;
  vmx?: string | null;
  exit?: number;
  stdout?: string;
  childPids?: number[];
}

/** Merges the simulator's start/end/hang lines into one record per invocation. */
function readCalls(stateDir: string): SimCall[] {
  const file = path.join(stateDir, "calls.log");
  if (!fs.existsSync(file)) return [];
  const calls: Array<{ -readonly [K in keyof SimCall]: SimCall[K] }> = [];
  const open = new Map<number, (typeof calls)[number]>();
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let entry: LogLine;
    try {
      entry = JSON.parse(line) as LogLine;
    } catch (err) {
      if (i === lines.length - 1) break; // a simulator is appending this line right now
      throw err;
    }
    if (entry.phase === "start") {
      const call = {
        pid: entry.pid,
        argv: entry.argv ?? [],
        command: entry.command ?? null,
        vmx: entry.vmx ?? null,
        startedAt: entry.time,
        endedAt: null,
        exitCode: null,
        stdout: null,
        childPids: [],
      };
      calls.push(call);
      open.set(entry.pid, call);
      continue;
    }
    const call = open.get(entry.pid);
    if (!call) continue;
    if (entry.phase === "hang") call.childPids = entry.childPids ?? [];
    if (entry.phase === "end") {
      call.endedAt = entry.time;
      call.exitCode = entry.exit ?? null;
      call.stdout = entry.stdout ?? null;
    }
  }
  return calls;
}

export interface TestVmxOptions {
  /** Write a disk (scsi0:0) and the file it names. @default true */
  readonly disk?: boolean;
  /** Write a seed CD-ROM (sata0:1) and the file it names. @default false */
  readonly iso?: boolean;
  /** Keys to add or override; a null value removes the key. */
  readonly extraKeys?: Record<string, string | null>;
}

export interface TestVmx {
  readonly vmxPath: string;
  readonly diskPath?: string;
  readonly isoPath?: string;
  /** Static MAC of ethernet0 (custom, vmnet2). */
  readonly mac: string;
}

/** A static MAC in VMware's manual range 00:50:56:00-3F:xx:xx, derived from the name. */
function testMac(name: string): string {
  const h = crypto.createHash("sha256").update(name).digest();
  const hex = (b: number) => b.toString(16).padStart(2, "0");
  return `00:50:56:${hex(h[0] & 0x3f)}:${hex(h[1])}:${hex(h[2])}`;
}

/** Writes `<dir>/<name>.vmx` (a minimal VM the simulator will start) and the files it references. */
export function writeTestVmx(dir: string, name: string, opts: TestVmxOptions = {}): TestVmx {
  fs.mkdirSync(dir, { recursive: true });
  const mac = testMac(name);
  const keys = new Map<string, string>([
    [".encoding", "UTF-8"],
    ["config.version", "8"],
    ["virtualHW.version", "21"],
    ["displayName", name],
    ["guestOS", "ubuntu-64"],
    ["firmware", "efi"],
    ["memsize", "2048"],
    ["numvcpus", "2"],
    ["uuid.action", "create"],
    ["msg.autoanswer", "true"],
    ["ethernet0.present", "TRUE"],
    ["ethernet0.connectionType", "custom"],
    ["ethernet0.vnet", "vmnet2"],
    ["ethernet0.virtualDev", "vmxnet3"],
    ["ethernet0.addressType", "static"],
    ["ethernet0.address", mac],
  ]);
  let diskPath: string | undefined;
  let isoPath: string | undefined;
  if (opts.disk ?? true) {
    diskPath = path.join(dir, `${name}.vmdk`);
    fs.writeFileSync(diskPath, "# placeholder disk for the vmrun simulator\n");
    keys.set("scsi0.present", "TRUE").set("scsi0.virtualDev", "lsilogic");
    keys.set("scsi0:0.present", "TRUE").set("scsi0:0.fileName", path.basename(diskPath));
  }
  if (opts.iso) {
    isoPath = path.join(dir, `${name}-seed.iso`);
    fs.writeFileSync(isoPath, "placeholder seed ISO for the vmrun simulator\n");
    keys.set("sata0.present", "TRUE").set("sata0:1.present", "TRUE");
    keys.set("sata0:1.deviceType", "cdrom-image").set("sata0:1.fileName", isoPath);
  }
  for (const [k, v] of Object.entries(opts.extraKeys ?? {})) {
    if (v === null) keys.delete(k);
    else keys.set(k, v);
  }
  const vmxPath = path.join(dir, `${name}.vmx`);
  fs.writeFileSync(vmxPath, [...keys].map(([k, v]) => `${k} = "${v}"\n`).join(""));
  return { vmxPath, diskPath, isoPath, mac };
}

/**
 * Where a user's kill can land in a deploy, and what must hold afterwards: each scenario holds the deploy
 * at one point (a gate before an entry point, a gate inside a tool, a vmrun or ssh call that hangs, a
 * guest that has no address yet), kills the deploy's whole process group (SIGKILL, or SIGHUP as a closed
 * terminal sends it), and lets the deploy run again. `runScenario` reports what happened, so the tests can
 * ask for convergence (one plain deploy, a clean plan after, disks that were complete kept) and compare
 * the interpreter with the real Terraform (recorded traces). (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Engine, Rig, RigTemplate } from "./deploy-rig";

export interface KillScenario {
  /** `<vms>/<where>/<signal>`. */
  readonly name: string;
  readonly vms: readonly string[];
  readonly signal: "SIGKILL" | "SIGHUP";
  /** Sets the holds and faults before the deploy starts. */
  arm(rig: Rig): void;
  /** Resolves once the deploy is where the kill must land. */
  reached(rig: Rig): Promise<void>;
  /** Leftovers a kill at a finer point would leave, added after the kill. */
  leave?(rig: Rig): void;
  /** VMs running at the kill that the next deploy must not restart (their first boot goes on). */
  readonly keepsRunning?: readonly string[];
  /** The kill point is exact (holds only): the real Terraform's run is recorded and the interpreter held to it. */
  readonly traced: boolean;
  /**
   * Resources created at the kill whose recording depends on timing: written only if another operation
   * completed after their creation (as in Terraform), which at this point races. Left out of the trace.
   */
  readonly inFlight?: readonly string[];
}

/** One warmed rig template per VM list, shared by the scenarios of a test file; `cleanup()` after them. */
export class RigTemplates {
  private readonly made = new Map<string, Promise<RigTemplate>>();

  for(vms: readonly string[]): Promise<RigTemplate> {
    const key = vms.join(",");
    let t = this.made.get(key);
    if (!t) {
      t = RigTemplate.create(vms).then(async (created) => (await created.warm(), created));
      this.made.set(key, t);
    }
    return t;
  }

  async cleanup(): Promise<void> {
    for (const t of this.made.values()) (await t).cleanup();
  }
}

/** What a scenario did; the tests judge it. */
export interface ScenarioOutcome {
  readonly killedBy: string | null;
  /** Entry points started before the kill (`<entry> <vm>`, sorted), and those that had ended. */
  readonly startedBeforeKill: readonly string[];
  readonly endedBeforeKill: readonly string[];
  /** The state as the kill left it (`<type>.<name>`, `(tainted)`). */
  readonly recordedAfterKill: readonly string[];
  /** The plan after the kill, as `<address> <create|replace|update|delete>`. */
  readonly plannedAfterKill: readonly string[];
  /** The next deploy: its exit code, output when it failed, and the entry points it started. */
  readonly redeploy: { readonly code: number | null; readonly output: string };
  readonly startedByRedeploy: readonly string[];
  /** The plan after that deploy (empty when it converged). */
  readonly plannedAfter: readonly string[];
  /** Disks present before the kill whose inode or mtime changed. */
  readonly disksRemade: readonly string[];
  /** VMs in `keepsRunning` that were powered on again. */
  readonly restarted: readonly string[];
  /** Cluster VMs not running after the deploy, or without a recorded address. */
  readonly notUp: readonly string[];
}

const ONE = ["k8s-master1"];
const TWO = ["k8s-master1", "k8s-worker1"];
const THREE = ["k8s-master1", "k8s-master2", "k8s-worker1"];

const vmxOf = (rig: Rig, vm: string) => rig.abs(`VMs/k8s_cluster/${vm}.vmwarevm/${vm}.vmx`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > giveUp) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const ended = (rig: Rig, entry: string, vm = "") =>
  rig.trace().some((l) => l.phase === "end" && l.entry === entry && l.vm === vm);

/** Held at the launcher, before `entry` (of `vm`, or every VM) runs at all. */
function atEntry(
  name: string,
  vms: readonly string[],
  entry: string,
  vm?: string,
  signal: KillScenario["signal"] = "SIGKILL",
): KillScenario {
  const gate = vm ? `${entry}.${vm}` : entry;
  return {
    name,
    vms,
    signal,
    traced: true,
    arm: (rig) => rig.gates.hold(gate),
    reached: (rig) => rig.gates.waitAt(gate),
  };
}

/** Held inside a tool call of a step: `tool` with `pattern` in its arguments. */
function inTool(
  name: string,
  vms: readonly string[],
  tool: string,
  pattern: string,
  signal: KillScenario["signal"],
): KillScenario {
  return {
    name,
    vms,
    signal,
    traced: true,
    arm: (rig) => rig.gates.hold(tool, pattern),
    reached: (rig) => rig.gates.waitAt(tool),
  };
}

/**
 * vm-start of `vm` inside a vmrun call: `getGuestIPAddress` waiting for an address the guest never
 * reports (the VM running, its first boot going on), or `start` hanging (the .vmx installed, the
 * power-on not answered).
 */
function inVmrun(
  name: string,
  vms: readonly string[],
  vm: string,
  call: "getGuestIPAddress" | "start",
  signal: KillScenario["signal"],
): KillScenario {
  return {
    name,
    vms,
    signal,
    traced: true,
    ...(call === "getGuestIPAddress" ? { keepsRunning: [vm] } : {}),
    arm: (rig) =>
      rig.sim.setFaults(
        call === "getGuestIPAddress"
          ? { vms: { [vm]: { ip: "" } } }
          : { commands: { start: { [vm]: { hang: true } } } },
      ),
    reached: async (rig) => {
      await rig.sim.waitForCall((c) => c.command === call && c.vmx === vmxOf(rig, vm), 60_000);
    },
  };
}

/** The role-file step of a single VM races the inventory's completion: see KillScenario.inFlight. */
const CONFIG_IN_FLIGHT = ["null_resource.k8s-master1_config_apply"];

/** guest-config of every VM waiting on an SSH that never answers. */
function inSsh(name: string, vms: readonly string[], signal: KillScenario["signal"]): KillScenario {
  return {
    name,
    vms,
    signal,
    traced: true,
    inFlight: CONFIG_IN_FLIGHT,
    arm: (rig) => fs.writeFileSync(path.join(rig.sshSimDir, "config.json"), JSON.stringify({ hang: true })),
    reached: (rig) => until("an ssh call", () => fs.existsSync(path.join(rig.sshSimDir, "calls.log"))),
  };
}

/**
 * The issue's state: k8s-master1's power recorded, untainted, while its start is held before anything
 * (another VM's step completing writes the state meanwhile); then the partial .vmx that a kill inside
 * the atomic write leaves, and no .vmx.
 */
const issueState: KillScenario = {
  name: "2 VMs/power recorded, .vmx missing, partial .vmx/SIGKILL",
  vms: TWO,
  signal: "SIGKILL",
  traced: true,
  arm: (rig) => {
    rig.gates.hold("vm-start");
    rig.gates.hold("seed-iso.k8s-worker1");
  },
  reached: async (rig) => {
    await rig.gates.waitAt("vm-start.k8s-master1");
    rig.gates.release("seed-iso.k8s-worker1");
    await rig.gates.waitAt("vm-start.k8s-worker1");
    await until("the state written after k8s-worker1's seed", () =>
      rig.recorded().includes("null_resource.k8s-master1_power"),
    );
  },
  leave: (rig) => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    fs.writeFileSync(
      rig.abs(`VMs/k8s_cluster/k8s-master1.vmwarevm/.k8s-master1.vmx.partial-${dead}`),
      "half",
    );
  },
};

/** Three VMs in different steps at the kill: one waiting for its address, one cloning, one done up to its start. */
function mixed(signal: KillScenario["signal"]): KillScenario {
  return {
    name: `3 VMs/IP wait + disk clone + started/${signal}`,
    vms: THREE,
    signal,
    traced: false,
    keepsRunning: ["k8s-master1"],
    arm: (rig) => {
      rig.sim.setFaults({ vms: { "k8s-master1": { ip: "" } } });
      rig.gates.hold("qemu-img", "k8s-worker1.vmwarevm/.k8s-worker1.vmdk.partial-");
    },
    reached: async (rig) => {
      await rig.gates.waitAt("qemu-img");
      await rig.sim.waitForCall(
        (c) => c.command === "getGuestIPAddress" && c.vmx === vmxOf(rig, "k8s-master1"),
        60_000,
      );
      await until("k8s-master2 started", () => ended(rig, "vm-start", "k8s-master2"));
    },
  };
}

/** Every kill point: each step's start, inside each step, its end, for one VM; and several VMs at once. */
export const KILL_SCENARIOS: readonly KillScenario[] = [
  atEntry("1 VM/before the disk clone/SIGKILL", ONE, "disk-clone"),
  inTool("1 VM/inside the disk clone/SIGKILL", ONE, "qemu-img", ".k8s-master1.vmdk.partial-", "SIGKILL"),
  inTool("1 VM/inside the disk clone/SIGHUP", ONE, "qemu-img", ".k8s-master1.vmdk.partial-", "SIGHUP"),
  atEntry("1 VM/disk done, before the seed ISO/SIGKILL", ONE, "seed-iso"),
  inTool("1 VM/inside the seed ISO/SIGKILL", ONE, "xorriso", "k8s-master1.vmwarevm", "SIGKILL"),
  inTool("1 VM/inside the seed ISO/SIGHUP", ONE, "xorriso", "k8s-master1.vmwarevm", "SIGHUP"),
  atEntry("1 VM/seed done, before the .vmx install and start/SIGKILL", ONE, "vm-start"),
  inVmrun("1 VM/vmrun start hanging/SIGKILL", ONE, "k8s-master1", "start", "SIGKILL"),
  inVmrun("1 VM/vmrun start hanging/SIGHUP", ONE, "k8s-master1", "start", "SIGHUP"),
  inVmrun("1 VM/waiting for the IP/SIGKILL", ONE, "k8s-master1", "getGuestIPAddress", "SIGKILL"),
  inVmrun("1 VM/waiting for the IP/SIGHUP", ONE, "k8s-master1", "getGuestIPAddress", "SIGHUP"),
  atEntry("1 VM/started, before the IP lookup/SIGKILL", ONE, "guest-ip"),
  { ...atEntry("1 VM/before the role files/SIGKILL", ONE, "guest-config"), inFlight: CONFIG_IN_FLIGHT },
  inSsh("1 VM/inside the role files (SSH)/SIGKILL", ONE, "SIGKILL"),
  inSsh("1 VM/inside the role files (SSH)/SIGHUP", ONE, "SIGHUP"),
  issueState,
  mixed("SIGKILL"),
  mixed("SIGHUP"),
];

const entryNames = (rig: Rig, phase: "start" | "end") =>
  rig
    .trace()
    .filter((l) => l.phase === phase)
    .map((l) => `${l.entry}${l.vm ? ` ${l.vm}` : ""}`)
    .sort();

function diskStats(rig: Rig, vms: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const vm of vms) {
    const st = fs.statSync(rig.abs(`VMs/k8s_cluster/${vm}.vmwarevm/${vm}.vmdk`), { throwIfNoEntry: false });
    if (st) out.set(vm, `${st.ino}@${st.mtimeMs}`);
  }
  return out;
}

/** Runs one scenario on a fresh copy of `template` with `engine`, and cleans up. */
export async function runScenario(
  template: RigTemplate,
  s: KillScenario,
  engine: Engine,
): Promise<ScenarioOutcome> {
  const rig = await template.fresh(engine);
  try {
    s.arm(rig);
    const deploy = rig.startApply();
    await s.reached(rig);
    const disks = diskStats(rig, s.vms);
    const booted = new Map(
      (s.keepsRunning ?? []).map((vm) => [vm, rig.sim.vmState(vmxOf(rig, vm))?.bootedAt]),
    );
    deploy.kill(s.signal);
    const end = await deploy.done;
    await rig.settle();
    s.leave?.(rig);
    const startedBeforeKill = entryNames(rig, "start");
    const endedBeforeKill = entryNames(rig, "end");
    const recordedAfterKill = rig.recorded();
    const plannedAfterKill = await rig.planChanges();
    rig.resetTrace();
    const redeploy = await rig.apply();
    const startedByRedeploy = entryNames(rig, "start");
    const plannedAfter = redeploy.code === 0 ? await rig.planChanges() : ["(the deploy failed)"];
    const after = diskStats(rig, s.vms);
    return {
      killedBy: end.signal,
      startedBeforeKill,
      endedBeforeKill,
      recordedAfterKill,
      plannedAfterKill,
      redeploy,
      startedByRedeploy,
      plannedAfter,
      disksRemade: [...disks].filter(([vm, stat]) => after.get(vm) !== stat).map(([vm]) => vm),
      restarted: [...booted]
        .filter(([vm, at]) => rig.sim.vmState(vmxOf(rig, vm))?.bootedAt !== at)
        .map(([vm]) => vm),
      notUp: s.vms.filter(
        (vm) =>
          rig.sim.vmState(vmxOf(rig, vm))?.power !== "on" ||
          !fs.existsSync(rig.abs(`generated/${vm}/last-ip`)),
      ),
    };
  } finally {
    rig.cleanup();
  }
}

/** The recorded trace of a scenario (data, committed): what the real Terraform did, step by step. */
export interface ScenarioTrace {
  readonly scenario: string;
  readonly terraform: string;
  readonly startedBeforeKill: readonly string[];
  readonly endedBeforeKill: readonly string[];
  readonly recordedAfterKill: readonly string[];
  readonly plannedAfterKill: readonly string[];
  readonly startedByRedeploy: readonly string[];
  readonly plannedAfter: readonly string[];
}

const TRACES_DIR = path.resolve(__dirname, "..", "..", "__tests__", "faults", "traces");

export function traceFile(s: KillScenario): string {
  const slug = s.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return path.join(TRACES_DIR, `${slug}.json`);
}

export function traceOf(s: KillScenario, o: ScenarioOutcome, terraform: string): ScenarioTrace {
  const settled = (entry: string) =>
    !(s.inFlight ?? []).some((r) => entry.startsWith(`${r} `) || entry === r);
  return {
    scenario: s.name,
    terraform,
    startedBeforeKill: o.startedBeforeKill,
    endedBeforeKill: o.endedBeforeKill,
    recordedAfterKill: o.recordedAfterKill.filter(settled),
    plannedAfterKill: o.plannedAfterKill.filter(settled),
    startedByRedeploy: o.startedByRedeploy,
    plannedAfter: o.plannedAfter,
  };
}

/** One plain deploy converged: the plan after is clean, complete disks kept, booting VMs not restarted, every VM up. */
export function expectConverged(s: KillScenario, o: ScenarioOutcome): void {
  expect({
    killedBy: o.killedBy,
    redeploy: o.redeploy,
    plannedAfter: o.plannedAfter,
    disksRemade: o.disksRemade,
    restarted: o.restarted,
    notUp: o.notUp,
  }).toEqual({
    killedBy: s.signal,
    redeploy: { code: 0, output: "" },
    plannedAfter: [],
    disksRemade: [],
    restarted: [],
    notUp: [],
  });
}

/**
 * A small cluster project for deploys killed as a user's kill lands, run by the interpreter as a process
 * of its own or by the real Terraform (the real-Terraform tier): the synthesized k8s-cluster stack with
 * the real entry points behind a gated launcher, gated qemu-img and xorriso, the vmrun simulator and the
 * ssh test double first on PATH. Each `fresh()` copy starts from nothing but the verified base image and
 * its converted disk, so a matrix of kills does not pay for them again. (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256File } from "../../lib/runtime/image/checksums";
import { FakeGuest } from "../fake-guest";
import { makeQcow2, makeTempDir } from "../fixtures";
import {
  startTerraform,
  terraformEnv,
  terraformInit,
  terraformPlanActions,
  type TerraformRun,
} from "../real-terraform";
import { applyStack, planStack } from "../terraform-apply";
import { createDeployProject, DeployProject } from "../terraform-apply/project";
import { startStackProcess } from "../terraform-apply/process";
import { createVmrunSim, VmrunSim } from "../vmrun-sim";
import { pidsWithEnv } from "./process-table";
import { Gates, gatedToolsDir, gateLauncher } from "./gates";

export type Engine = "interpreter" | "terraform";

/** A deploy that runs in a process group of its own (as real-terraform.ts runs Terraform). */
export type RunningDeploy = Omit<TerraformRun, "pid">;

/** One line of the gated launcher's trace. */
export interface TraceLine {
  readonly phase: "start" | "end";
  readonly entry: string;
  readonly vm: string;
  readonly pid: number;
  readonly code?: number;
}

const SSH_SIM = path.resolve(__dirname, "..", "ssh-sim");

/** Terraform's plan actions in the interpreter's words: ["delete", "create"] is a replace. */
function actionWord(actions: readonly string[]): string {
  if (actions.length === 2 && actions.includes("delete") && actions.includes("create")) return "replace";
  return actions.join("+");
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** A process's argv joined by NUL (Linux /proc), or "" once it is gone. */
function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

function configYaml(vms: readonly string[], image: string, sha: string): string {
  return [
    "arch: amd64",
    "vms:",
    ...vms.map((name) => `  - {name: ${name}, role: ${name.includes("worker") ? "worker" : "master"}}`),
    "roleDefaults:",
    "  gateway: {cpus: 2, memoryMb: 2048, diskGb: 4}",
    "  master: {cpus: 2, memoryMb: 2048, diskGb: 4}",
    "  worker: {cpus: 2, memoryMb: 2048, diskGb: 4}",
    "aptCache: {diskGb: 4}",
    "baseImage:",
    `  url: ${image}`,
    `  sha256: ${sha}`,
    "  virtualSizeGb: 1",
    "timeouts: {vmrunSeconds: 20, ipWaitSeconds: 60, ipLookupSeconds: 5, diskSeconds: 60, downloadSeconds: 60, guestConfigSeconds: 60}",
    "",
  ].join("\n");
}

/** The template every cell is copied from: synthesized once, with the base image fetched and converted once. */
export class RigTemplate {
  private constructor(
    readonly project: DeployProject,
    private readonly fixtures: string,
  ) {}

  static async create(vms: readonly string[]): Promise<RigTemplate> {
    const fixtures = makeTempDir("fusion-lab-rig-image-");
    const image = await makeQcow2(path.join(fixtures, "noble-test.img"), {
      virtualSize: 1024 ** 3,
      dataMiB: 2,
    });
    const project = createDeployProject(configYaml(vms, image, await sha256File(image)));
    gateLauncher(project.root);
    return new RigTemplate(project, fixtures);
  }

  /** Deploys once (interpreter) and keeps only base_images/: the image and its sized VMDK. */
  async warm(): Promise<void> {
    const rig = await this.fresh("interpreter");
    try {
      const r = await rig.apply();
      if (r.code !== 0) throw new Error(`the warm-up deploy failed: ${r.output}`);
      fs.cpSync(rig.abs("base_images"), this.project.abs("base_images"), { recursive: true });
    } finally {
      rig.cleanup();
    }
  }

  /** A copy of the project with nothing deployed, its own simulator, guest and gates. */
  async fresh(engine: Engine): Promise<Rig> {
    const root = fs.realpathSync(makeTempDir("fusion-lab-rig-"));
    fs.rmSync(root, { recursive: true });
    fs.cpSync(this.project.root, root, { recursive: true, verbatimSymlinks: true });
    for (const dir of [".terraform", ".terraform.lock.hcl"])
      fs.rmSync(path.join(root, "cdktf.out", "stacks", "k8s-cluster", dir), { recursive: true, force: true });
    return Rig.create(root, this.project, engine);
  }

  cleanup(): void {
    this.project.cleanup();
    fs.rmSync(this.fixtures, { recursive: true, force: true });
  }
}

export class Rig {
  readonly stackDir: string;
  readonly gates: Gates;
  readonly traceFile: string;

  private constructor(
    readonly root: string,
    readonly model: DeployProject["model"],
    readonly engine: Engine,
    readonly sim: VmrunSim,
    readonly guest: FakeGuest,
    readonly sshSimDir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.stackDir = path.join(root, "cdktf.out", "stacks", "k8s-cluster");
    this.gates = new Gates(String(env.LAB_GATE_DIR));
    this.traceFile = String(env.LAB_TRACE_FILE);
  }

  static create(root: string, template: DeployProject, engine: Engine): Rig {
    const sim = createVmrunSim();
    const guest = new FakeGuest();
    const sshSimDir = makeTempDir("fusion-lab-rig-ssh-");
    fs.writeFileSync(path.join(sshSimDir, "config.json"), JSON.stringify({ applier: guest.applierArgv }));
    const tools = gatedToolsDir(path.join(root, ".rig", "tools"), ["qemu-img", "xorriso"]);
    let env: NodeJS.ProcessEnv = {
      ...sim.env,
      PATH: [tools, SSH_SIM, sim.env.PATH].join(path.delimiter),
      SSH_SIM_DIR: sshSimDir,
      LAB_GATE_DIR: path.join(root, ".rig", "gates"),
      LAB_TRACE_FILE: path.join(root, ".rig", "trace.log"),
    };
    const rig = () => new Rig(root, template.model, engine, sim, guest, sshSimDir, env);
    if (engine === "terraform") {
      env = terraformEnv(env, path.join(root, ".rig"));
      terraformInit(path.join(root, "cdktf.out", "stacks", "k8s-cluster"), env);
    }
    return rig();
  }

  abs(rel: string): string {
    return path.join(this.root, rel);
  }

  /** `apply` (auto-approved) of the cluster stack, in a process group of its own. */
  startApply(): RunningDeploy {
    if (this.engine === "terraform")
      return startTerraform(this.stackDir, ["apply", "-auto-approve", "-input=false", "-no-color"], this.env);
    const run = startStackProcess("apply", this.stackDir, this.env);
    return {
      done: run.done.then((end) => ({
        code: end.code,
        signal: end.signal,
        output: `${end.stderr}${JSON.stringify(end.result?.failed ?? [])}`,
      })),
      kill: (signal) => run.kill(signal),
    };
  }

  /** A whole apply; the interpreter runs in this process (faster), killing nothing. */
  async apply(): Promise<{ code: number | null; output: string }> {
    if (this.engine === "terraform") {
      const r = await this.startApply().done;
      return { code: r.code, output: r.code === 0 ? "" : r.output };
    }
    const r = await applyStack({ stackDir: this.stackDir, env: this.env, commandTimeoutMs: 120_000 });
    const failed = [...r.failed, ...r.skipped.map((address) => ({ address, error: "skipped" }))];
    const output = failed.map((f) => `${f.address}: ${f.error}`).join("\n");
    return { code: failed.length === 0 ? 0 : 1, output };
  }

  /** The changes a plan would make, other than reads: `<address without hash> <action>`. */
  async planChanges(): Promise<string[]> {
    const short = (address: string) => address.replace(/_[0-9A-F]{8}$/, "");
    if (this.engine === "terraform")
      return (await terraformPlanActions(this.stackDir, this.env))
        .filter((c) => !c.actions.every((a) => a === "no-op" || a === "read"))
        .map((c) => `${short(c.address)} ${actionWord(c.actions)}`)
        .sort();
    const p = await planStack({ stackDir: this.stackDir, env: this.env });
    if (p.failed.length > 0) throw new Error(`the plan failed: ${JSON.stringify(p.failed)}`);
    return p.changes
      .filter((c) => c.action !== "keep" && c.action !== "read")
      .map((c) => `${short(c.address)} ${c.action}`)
      .sort();
  }

  /** The state file as written: managed resources, `<type>.<name without hash>` and whether tainted. */
  recorded(): string[] {
    const file = this.abs("terraform.k8s-cluster.tfstate");
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) return [];
    const state = JSON.parse(fs.readFileSync(file, "utf8")) as {
      resources: { mode: string; type: string; name: string; instances: { status?: string }[] }[];
    };
    return state.resources
      .filter((r) => r.mode === "managed")
      .map(
        (r) =>
          `${r.type}.${r.name.replace(/_[0-9A-F]{8}$/, "")}${r.instances[0]?.status ? " (tainted)" : ""}`,
      )
      .sort();
  }

  trace(): TraceLine[] {
    if (!fs.existsSync(this.traceFile)) return [];
    return fs
      .readFileSync(this.traceFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        // `vm` is empty for the data sources: "start step-check  123".
        const [phase, entry, vm, pid, code] = line.split(" ");
        return {
          phase: phase as "start" | "end",
          entry,
          vm,
          pid: Number(pid),
          ...(code !== undefined ? { code: Number(code) } : {}),
        };
      });
  }

  /** Forgets the trace so far (between a kill and the next run). */
  resetTrace(): void {
    fs.rmSync(this.traceFile, { force: true });
  }

  /**
   * After a kill: tools outside the deploy's group run on, as they would on the user's Mac. Those held at
   * a gate are released and finish their work; a vmrun or ssh call told to hang never would, so it is
   * killed at once, and whatever still runs after a while too, so the next run starts on a quiet machine.
   */
  async settle(): Promise<void> {
    this.gates.releaseAll();
    this.sim.setFaults({});
    fs.writeFileSync(
      path.join(this.sshSimDir, "config.json"),
      JSON.stringify({ applier: this.guest.applierArgv }),
    );
    const stragglers = () => [
      ...new Set([
        ...pidsWithEnv("VMRUN_SIM_STATE", this.sim.stateDir),
        ...pidsWithEnv("LAB_GATE_DIR", String(this.env.LAB_GATE_DIR)),
      ]),
    ];
    const hung = (pid: number) => /\/(vmrun|ssh-sim\/ssh)\0/.test(commandLine(pid));
    for (const pid of stragglers().filter(hung)) kill(pid);
    for (let i = 0; i < 100 && stragglers().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    for (const pid of stragglers()) kill(pid);
    this.gates.clearArrivals();
  }

  cleanup(): void {
    this.gates.releaseAll();
    for (const pid of pidsWithEnv("LAB_GATE_DIR", String(this.env.LAB_GATE_DIR))) kill(pid);
    this.sim.cleanup();
    this.guest.cleanup();
    fs.rmSync(this.sshSimDir, { recursive: true, force: true });
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A temporary lab project for the CLI tests: cluster.yaml (three cluster VMs and the APT cache), an SSH
 * key file, the VM folders at the model's vmx paths, the repository's code symlinked in, and a vmrun
 * simulator of its own. (Not a test file: jest only runs *.test.ts.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CliContext, loadCliContext } from "../lib/commands/common/context";
import { FakeHypervisor } from "./fake-hypervisor";
import { EntryResult, makeTempProjectRoot, startEntry } from "./run-entry";
import { FIXTURE_SSH_PUBLIC_KEY } from "./model-fixture";
import { createVmrunSim, VmrunSim, writeTestVmx } from "./vmrun-sim";

export const APT_CACHE = "apt-cache-server";
export const CLUSTER_VMS = ["gateway1", "k8s-master1", "k8s-worker1"] as const;
const ALL_VMS = [APT_CACHE, ...CLUSTER_VMS] as const;

export interface CliProject {
  readonly sim: VmrunSim;
  readonly root: string;
  /** Variables a child needs to use the simulator. */
  readonly env: Record<string, string>;
  vmxOf(name: string): string;
  cleanup(): void;
}

const SSH_SIM_DIR = path.resolve(__dirname, "ssh-sim");

export function createCliProject(
  opts: { absent?: readonly string[]; vmrunSeconds?: number } = {},
): CliProject {
  const sim = createVmrunSim();
  const root = fs.realpathSync(makeTempProjectRoot());
  const sshSimState = path.join(root, ".ssh-sim");
  fs.mkdirSync(sshSimState);
  fs.writeFileSync(path.join(root, "id_test.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
  fs.writeFileSync(
    path.join(root, "cluster.yaml"),
    [
      "arch: amd64",
      "sshPublicKeyFile: id_test.pub",
      `timeouts: {vmrunSeconds: ${opts.vmrunSeconds ?? 20}, ipWaitSeconds: 30}`,
      "vms:",
      "  - {name: gateway1, role: gateway}",
      "  - {name: k8s-master1, role: master}",
      "  - {name: k8s-worker1, role: worker}",
      "",
    ].join("\n"),
  );
  const vmxOf = (name: string) => path.join(root, "VMs/k8s_cluster", `${name}.vmwarevm`, `${name}.vmx`);
  for (const name of ALL_VMS) if (!opts.absent?.includes(name)) writeTestVmx(path.dirname(vmxOf(name)), name);
  return {
    sim,
    root,
    // ssh is the test double too: status asks running guests over SSH (see test-support/ssh-sim).
    env: {
      PATH: `${SSH_SIM_DIR}:${sim.env.PATH!}`,
      VMRUN: sim.binary,
      VMRUN_SIM_STATE: sim.stateDir,
      SSH_SIM_DIR: sshSimState,
    },
    vmxOf,
    cleanup() {
      sim.cleanup();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The project's CLI context with an in-memory FakeHypervisor in place of vmrun (for the lib tests): every
 * VM whose .vmx is there is registered, off.
 */
export function fakeCliContext(p: CliProject): { ctx: CliContext; hv: FakeHypervisor } {
  const base = loadCliContext(p.root, { env: p.env });
  const hv = new FakeHypervisor({ timeoutMs: base.timeoutMs, cwd: p.root });
  for (const name of ALL_VMS) if (fs.existsSync(p.vmxOf(name))) hv.addVm(p.vmxOf(name));
  return { ctx: { ...base, driver: hv }, hv };
}

/** The FakeHypervisor's calls of one operation, in call order, as VM names. */
export function vmsCalledOn(hv: FakeHypervisor, op: string): string[] {
  return hv.calls.filter((c) => c.op === op && c.vm).map((c) => path.basename(c.vm!).replace(/\.vmx$/, ""));
}

/** The simulator's calls of one command, in the order they started, as VM names. */
export function vmsCalled(sim: VmrunSim, command: string): string[] {
  return sim
    .calls()
    .filter((c) => c.command?.toLowerCase() === command.toLowerCase() && c.vmx)
    .map((c) => path.basename(c.vmx!).replace(/\.vmx$/, ""));
}

export interface CliRun {
  readonly done: Promise<EntryResult>;
  readonly pid: number;
}

/** Starts `scripts/<entry>.ts <args>` with cwd = the project root, as `npm run <entry> -- <args>` does; stdin gets `input`. */
export function startCli(
  p: CliProject,
  entry: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): CliRun {
  const started = startEntry(entry, {
    projectRoot: p.root,
    env: { ...p.env, ...opts.env },
    args,
    input: opts.input ?? "",
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  return { done: started.done, pid: started.child.pid! };
}

export function runCli(
  p: CliProject,
  entry: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<EntryResult> {
  return startCli(p, entry, args, opts).done;
}

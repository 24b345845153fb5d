/**
 * A temporary project with one VM, for the tests of the VM entry points and of lib/runtime/vm: the VM folder
 * `VMs/k8s_cluster/<name>.vmwarevm` holding a .vmx the simulator accepts with its disk and seed ISO,
 * optionally the rendered .vmx that a start installs, and a vmrun simulator of its own.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "./fixtures";
import { makeTempProjectRoot } from "./run-entry";
import { createVmrunSim, VmrunSim, writeTestVmx } from "./vmrun-sim";

export const VMS_DIR = "VMs/k8s_cluster";

export interface VmProjectOptions {
  /** Symlink the repository's code in, so entry points can run with cwd = root. @default true */
  readonly withCode?: boolean;
  /**
   * Also write the rendered .vmx `generated/<name>/<name>.vmx`; it differs from the installed one
   * (memsize 4096), as after a settings change. @default false
   */
  readonly renderedVmx?: boolean;
}

export interface VmProject {
  readonly sim: VmrunSim;
  /** Real path of the root, so it compares equal to the paths the code resolves. */
  readonly root: string;
  readonly name: string;
  /** Project-relative, as Terraform passes them. */
  readonly vmsDir: string;
  readonly vmDir: string;
  readonly vmx: string;
  /** `generated/<name>/<name>.vmx`; present only with `renderedVmx`. */
  readonly vmxSource: string;
  readonly vmxAbs: string;
  /** The variables a child started with a minimal environment needs to use the simulator. */
  readonly vmrunEnv: Record<string, string>;
  /** `path.join(root, rel)`. */
  abs(rel: string): string;
  /** vmrunEnv plus VM_NAME, VMS_DIR and VMX_PATH, then `over` (an undefined value removes the variable). */
  entryEnv(over?: Record<string, string | undefined>): Record<string, string>;
  cleanup(): void;
}

export function createVmProject(name: string, opts: VmProjectOptions = {}): VmProject {
  const sim = createVmrunSim();
  const root = fs.realpathSync(
    (opts.withCode ?? true) ? makeTempProjectRoot() : makeTempDir("fusion-lab-vm-project-"),
  );
  const vmDir = `${VMS_DIR}/${name}.vmwarevm`;
  const vmx = `${vmDir}/${name}.vmx`;
  const vmxSource = `generated/${name}/${name}.vmx`;
  const abs = (rel: string) => path.join(root, rel);
  if (opts.renderedVmx) {
    fs.mkdirSync(abs(path.dirname(vmxSource)), { recursive: true });
    fs.copyFileSync(
      writeTestVmx(abs(vmDir), name, { iso: true, extraKeys: { memsize: "4096" } }).vmxPath,
      abs(vmxSource),
    );
  }
  const vmxAbs = writeTestVmx(abs(vmDir), name, { iso: true }).vmxPath; // what an earlier deploy installed
  const vmrunEnv = { PATH: sim.env.PATH!, VMRUN: sim.binary, VMRUN_SIM_STATE: sim.stateDir };
  return {
    sim,
    root,
    name,
    vmsDir: VMS_DIR,
    vmDir,
    vmx,
    vmxSource,
    vmxAbs,
    vmrunEnv,
    abs,
    entryEnv(over = {}) {
      const all = { ...vmrunEnv, VM_NAME: name, VMS_DIR, VMX_PATH: vmx, ...over };
      return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
    },
    cleanup() {
      sim.cleanup();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempProjectRoot, runEntry, runLauncher } from "../../test-support/run-entry";
import { createVmrunSim, VmrunSim, writeTestVmx } from "../../test-support/vmrun-sim";

const NAME = "k8s-w1";
const VMS = "VMs/k8s_cluster";
const VMX = `${VMS}/${NAME}.vmwarevm/${NAME}.vmx`;

let sim: VmrunSim;
let root: string;
let vmxAbs: string;

beforeEach(() => {
  sim = createVmrunSim();
  root = fs.realpathSync(makeTempProjectRoot());
  vmxAbs = writeTestVmx(path.join(root, VMS, `${NAME}.vmwarevm`), NAME, { iso: true }).vmxPath;
});

afterEach(() => {
  sim.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

const vmStop = (over: Record<string, string> = {}) =>
  runEntry("vm-stop", {
    env: { PATH: sim.env.PATH!, VMRUN: sim.binary, VMRUN_SIM_STATE: sim.stateDir, VM_NAME: NAME, VMS_DIR: VMS, VMX_PATH: VMX, ...over },
    projectRoot: root,
  });
const argvs = () => sim.calls().map((c) => c.argv.slice(2));

function powerOn(): void {
  const r = spawnSync(sim.binary, ["-T", "ws", "start", vmxAbs, "nogui"], { env: sim.env, encoding: "utf8" });
  expect(r.status).toBe(0);
}

describe("vm-stop", () => {
  it("stops a running VM with a clean (soft) shutdown", async () => {
    powerOn();
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `vm-stop ${NAME}: stopped (soft)\n` });
    expect(argvs().slice(1)).toEqual([["list"], ["stop", vmxAbs, "soft"]]);
    expect(sim.vmState(vmxAbs)?.power).toBe("off");
  });

  it("tries soft first and stops hard when VMware Tools are not running", async () => {
    sim.setFaults({ vms: { [NAME]: { toolsDelaySeconds: 3600 } } });
    powerOn();
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `vm-stop ${NAME}: stopped (hard)\n` });
    expect(argvs().filter((a) => a[0] === "stop")).toEqual([
      ["stop", vmxAbs, "soft"],
      ["stop", vmxAbs, "hard"],
    ]);
    expect(sim.calls().find((c) => c.argv.includes("soft"))?.stdout).toContain("VMware Tools are not running");
    expect(sim.vmState(vmxAbs)?.power).toBe("off");
  });

  it("an off VM exits 0 with 'already off', and so does a second run", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await vmStop();
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `vm-stop ${NAME}: already off\n` });
    }
    expect(sim.calls().map((c) => c.command)).toEqual(["list", "list"]);
  });

  it("a missing .vmx (or VM folder) exits 0", async () => {
    fs.rmSync(path.join(root, VMS), { recursive: true });
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `vm-stop ${NAME}: already off\n` });
    expect(sim.calls().map((c) => c.command)).not.toContain("stop");
  });

  it("refuses a VMX_PATH outside VMS_DIR before any vmrun call", async () => {
    powerOn();
    for (const vmx of ["../x.vmx", "/etc/x.vmx"]) {
      const r = await vmStop({ VMX_PATH: vmx });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^vm-stop: VMX_PATH=.* resolves to .* outside .*\n$/);
    }
    expect(sim.calls()).toHaveLength(1); // only powerOn's start
    expect(sim.vmState(vmxAbs)?.power).toBe("on");
  });

  it("runs through the real launcher, which reports missing inputs", async () => {
    const r = await runLauncher(["vm-stop"], { env: { PATH: sim.env.PATH!, VMRUN: sim.binary, VMRUN_SIM_STATE: sim.stateDir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("vm-stop: environment variable VM_NAME is not set: this script is run by Terraform, which passes it from the resource's triggers\n");
    expect(sim.calls()).toEqual([]);
  });
});

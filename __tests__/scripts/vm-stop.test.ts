import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runEntry, runLauncher } from "../../test-support/run-entry";
import { createVmProject, VmProject } from "../../test-support/vm-project";

const NAME = "k8s-w1";

let vm: VmProject;

beforeEach(() => (vm = createVmProject(NAME)));
afterEach(() => vm.cleanup());

const vmStop = (over: Record<string, string> = {}) =>
  runEntry("vm-stop", { env: vm.entryEnv(over), projectRoot: vm.root });
const argvs = () => vm.sim.calls().map((c) => c.argv.slice(2));

describe("vm-stop", () => {
  it("stops a running VM with a clean (soft) shutdown", async () => {
    vm.sim.powerOn(vm.vmxAbs);
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 0,
      stderr: `vm-stop ${NAME}: stopped (soft)\n`,
    });
    expect(argvs().slice(1)).toEqual([["list"], ["stop", vm.vmxAbs, "soft"]]);
    expect(vm.sim.vmState(vm.vmxAbs)?.power).toBe("off");
  });

  it("tries soft first and stops hard when VMware Tools are not running", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { toolsDelaySeconds: 3600 } } });
    vm.sim.powerOn(vm.vmxAbs);
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 0,
      stderr: `vm-stop ${NAME}: stopped (hard)\n`,
    });
    expect(argvs().filter((a) => a[0] === "stop")).toEqual([
      ["stop", vm.vmxAbs, "soft"],
      ["stop", vm.vmxAbs, "hard"],
    ]);
    expect(vm.sim.calls().find((c) => c.argv.includes("soft"))?.stdout).toContain(
      "VMware Tools are not running",
    );
    expect(vm.sim.vmState(vm.vmxAbs)?.power).toBe("off");
  });

  it("an off VM exits 0 with 'already off', and so does a second run", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await vmStop();
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 0,
        stderr: `vm-stop ${NAME}: already off\n`,
      });
    }
    expect(vm.sim.calls().map((c) => c.command)).toEqual(["list", "list"]);
  });

  it("a missing .vmx (or VM folder) exits 0", async () => {
    fs.rmSync(vm.abs(vm.vmsDir), { recursive: true });
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `vm-stop ${NAME}: already off\n` });
    expect(vm.sim.calls().map((c) => c.command)).not.toContain("stop");
  });

  it("leaves the VM running when its last start was interrupted: the replacement resumes that start", async () => {
    vm.sim.powerOn(vm.vmxAbs);
    const steps = vm.abs(`${vm.vmDir}/.lab-steps`);
    fs.mkdirSync(steps);
    const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
    fs.writeFileSync(
      path.join(steps, "power.attempt.json"),
      JSON.stringify({ token: "t", pid: gone, startedAt: "2026-01-01T00:00:00Z" }),
    );
    const r = await vmStop();
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 0,
      stderr: `vm-stop ${NAME}: its last start was interrupted: left as it is, for the next start to resume\n`,
    });
    expect(vm.sim.vmState(vm.vmxAbs)?.power).toBe("on");
    // Once a start finished (its receipt holds the attempt's token), a stop stops again.
    fs.writeFileSync(
      path.join(steps, "power.done.json"),
      JSON.stringify({ token: "t", finishedAt: "2026-01-01T00:01:00Z", facts: {} }),
    );
    expect((await vmStop()).stderr).toBe(`vm-stop ${NAME}: stopped (soft)\n`);
  });

  it("refuses a VMX_PATH outside VMS_DIR before any vmrun call", async () => {
    vm.sim.powerOn(vm.vmxAbs);
    for (const vmx of ["../x.vmx", "/etc/x.vmx"]) {
      const r = await vmStop({ VMX_PATH: vmx });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^vm-stop: VMX_PATH=.* resolves to .* outside .*\n$/);
    }
    expect(vm.sim.calls()).toHaveLength(1); // only powerOn's start
    expect(vm.sim.vmState(vm.vmxAbs)?.power).toBe("on");
  });

  it("runs through the real launcher, which reports missing inputs", async () => {
    const r = await runLauncher(["vm-stop"], { env: vm.vmrunEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "vm-stop: environment variable VM_NAME is not set: this script is run by Terraform, which passes it from the resource's triggers\n",
    );
    expect(vm.sim.calls()).toEqual([]);
  });
});

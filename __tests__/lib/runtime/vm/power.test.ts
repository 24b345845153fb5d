import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCidr } from "../../../../lib/model/net/ipv4";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { readBootRecord } from "../../../../lib/runtime/steps/records";
import { startVm, stopVm } from "../../../../lib/runtime/vm/power";
import { VmrunDriver } from "../../../../lib/runtime/hypervisor/vmrun";
import { createVmProject, VmProject } from "../../../../test-support/vm-project";
import { VmrunSim } from "../../../../test-support/vmrun-sim";
import { requireTools } from "../../../../test-support/required-tools";

const NAME = "k8s-m1";
const IP = { networks: [parseCidr("10.10.0.0/24")], exclude: ["10.10.0.100"], pauseMs: 10 };

let vm: VmProject;
let sim: VmrunSim;
let driver: VmrunDriver;
let vmx: string;
let source: string;
let messages: string[];

/** A VM folder with disk, seed and an older .vmx, and the rendered .vmx that start must install. */
beforeEach(() => {
  vm = createVmProject(NAME, { withCode: false, renderedVmx: true });
  ({ sim, vmxAbs: vmx } = vm);
  source = vm.abs(vm.vmxSource);
  driver = new VmrunDriver({
    binary: sim.binary,
    hostType: "ws",
    timeoutMs: 15_000,
    env: sim.env,
    cwd: vm.root,
    retryPauseMs: 10,
  });
  messages = [];
});

afterEach(() => vm.cleanup());

const argvs = () => sim.calls().map((c) => c.argv.slice(2));
const options = (budgetMs = 10_000) => ({
  name: NAME,
  vmx,
  vmxSource: source,
  ip: { ...IP, budgetMs },
  log: (m: string) => messages.push(m),
});

describe("startVm", () => {
  it("installs the rendered .vmx, starts nogui and returns the IP", async () => {
    sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.60" } } });
    expect((await startVm(driver, options())).ip).toBe("10.10.0.60");
    expect(fs.readFileSync(vmx, "utf8")).toBe(fs.readFileSync(source, "utf8"));
    expect(argvs()).toEqual([
      ["list"],
      ["start", vmx, "nogui"],
      ["list"],
      ["getGuestIPAddress", vmx, "-wait"],
    ]);
    expect(messages).toEqual([
      `installed ${NAME}.vmx`,
      "starting (nogui)",
      "waiting up to 10 s for the guest to report its IP",
      "IP 10.10.0.60",
    ]);
    expect(fs.readdirSync(path.dirname(vmx)).filter((f) => f.includes(".partial-"))).toEqual([]);
  });

  requireTools("qemu-img").it(
    "warns, and changes nothing, when the existing disk's size differs from the config",
    async () => {
      const disk = path.join(path.dirname(vmx), "sized.vmdk");
      expect(
        (await runWithDeadline("qemu-img", ["create", "-q", "-f", "vmdk", disk, "2G"], { timeoutMs: 30_000 }))
          .code,
      ).toBe(0);
      const before = fs.statSync(disk);
      sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.61" } } });
      expect((await startVm(driver, { ...options(), disk: { path: disk, sizeGb: 3 } })).ip).toBe(
        "10.10.0.61",
      );
      expect(messages).toContain(
        "warning: the disk is 2 GiB but diskGb is 3; existing disks are never resized or re-cloned (that would lose their data). To apply it, destroy and deploy this VM again",
      );
      expect(fs.statSync(disk).mtimeMs).toBe(before.mtimeMs);
      messages = [];
      await stopVm(driver, vmx);
      await startVm(driver, { ...options(), disk: { path: disk, sizeGb: 2 } });
      expect(messages.filter((m) => m.startsWith("warning"))).toEqual([]);
    },
  );

  it("leaves a VM alone that already runs with the same .vmx", async () => {
    fs.copyFileSync(source, vmx);
    await driver.start(vmx);
    const bootedAt = sim.vmState(vmx)?.bootedAt;
    const before = sim.calls().length;
    expect((await startVm(driver, options())).ip).toMatch(/^10\.10\.0\.\d+$/);
    expect(
      sim
        .calls()
        .slice(before)
        .map((c) => c.command),
    ).toEqual(["list", "list", "getGuestIPAddress"]);
    expect(sim.vmState(vmx)?.bootedAt).toBe(bootedAt);
  });

  it("stops a VM running with an older .vmx (soft), installs the new one and starts it", async () => {
    const old = fs.readFileSync(vmx, "utf8");
    await driver.start(vmx);
    const before = sim.calls().length;
    await startVm(driver, options());
    expect(
      sim
        .calls()
        .slice(before)
        .map((c) => c.argv.slice(2)),
    ).toEqual([
      ["list"],
      ["list"],
      ["stop", vmx, "soft"],
      ["start", vmx, "nogui"],
      ["list"],
      ["getGuestIPAddress", vmx, "-wait"],
    ]);
    expect(fs.readFileSync(vmx, "utf8")).not.toBe(old);
    expect(fs.readFileSync(vmx, "utf8")).toBe(fs.readFileSync(source, "utf8"));
    expect(messages[0]).toBe(`settings changed: stopping ${NAME} to apply them`);
    expect(sim.vmState(vmx)?.power).toBe("on");
  });

  describe("with a steps folder (as the deploy runs it)", () => {
    const stepDir = () => path.join(path.dirname(vmx), ".lab-steps");
    const seedIso = () => path.join(path.dirname(vmx), `${NAME}-seed.iso`);
    const withSteps = () => ({ ...options(), stepDir: stepDir(), seedIso: seedIso() });
    const commands = (from: number) =>
      sim
        .calls()
        .slice(from)
        .map((c) => c.command);

    it("records what it powers the VM on with, and resumes only the IP wait when it finds it running so (an interrupted deploy)", async () => {
      await startVm(driver, withSteps());
      const boot = readBootRecord(stepDir());
      expect(boot).toEqual({
        vmxSha256: crypto.createHash("sha256").update(fs.readFileSync(source)).digest("hex"),
        seedSha256: crypto.createHash("sha256").update(fs.readFileSync(seedIso())).digest("hex"),
      });
      // Fusion rewrites the installed .vmx while the VM runs: its content no longer tells.
      fs.appendFileSync(vmx, 'uuid.bios = "56 4d"\n');
      const bootedAt = sim.vmState(vmx)?.bootedAt;
      const before = sim.calls().length;
      messages = [];
      expect((await startVm(driver, withSteps())).boot).toEqual(boot);
      expect(commands(before)).toEqual(["list", "list", "getGuestIPAddress"]);
      expect(sim.vmState(vmx)?.bootedAt).toBe(bootedAt);
      expect(messages[0]).toBe("already running with these settings");
    });

    it("restarts a running VM whose seed changed, or that it did not start itself", async () => {
      await startVm(driver, withSteps());
      fs.writeFileSync(seedIso(), "a new seed");
      let before = sim.calls().length;
      await startVm(driver, withSteps());
      expect(commands(before)).toEqual(["list", "list", "stop", "start", "list", "getGuestIPAddress"]);
      fs.rmSync(path.join(stepDir(), "boot.json"));
      before = sim.calls().length;
      await startVm(driver, withSteps());
      expect(commands(before)).toEqual(["list", "list", "stop", "start", "list", "getGuestIPAddress"]);
    });
  });

  it("a missing rendered .vmx fails before any vmrun call and leaves the installed one alone", async () => {
    const old = fs.readFileSync(vmx, "utf8");
    fs.rmSync(source);
    await expect(startVm(driver, options())).rejects.toThrow(`the rendered VMX ${source} is missing`);
    expect(sim.calls()).toEqual([]);
    expect(fs.readFileSync(vmx, "utf8")).toBe(old);
  });

  it("fails honestly when no IP comes, naming the VM, the wait and the console log", async () => {
    sim.setFaults({ vms: { [NAME]: { ip: "" } } });
    const err = await startVm(driver, options(1000)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(
      `${NAME} was started but reported no usable IP within 1 s (VMware Tools did not report an address yet)`,
    );
    expect(err?.message).toContain(path.join(path.dirname(vmx), "console.log"));
    expect(sim.vmState(vmx)?.power).toBe("on"); // left running for the user to look at
  });

  it("says the VM 'is running' (not 'was started') when it found it running and no IP came", async () => {
    fs.copyFileSync(source, vmx);
    await driver.start(vmx);
    sim.setFaults({ vms: { [NAME]: { ip: "" } } });
    await expect(startVm(driver, options(500))).rejects.toThrow(
      `${NAME} is running but reported no usable IP within 1 s`,
    );
    expect(argvs().filter((a) => a[0] === "start")).toHaveLength(1); // only ours above
  });

  it("fails clearly when the VM folder is missing, before any vmrun call", async () => {
    fs.rmSync(path.dirname(vmx), { recursive: true });
    await expect(startVm(driver, options())).rejects.toThrow(
      /the VM folder .* of k8s-m1 is missing \(removed by hand\?\): run npm run deploy again; its plan finds the disk missing and builds k8s-m1 again/,
    );
    expect(sim.calls()).toEqual([]);
  });

  it("a start that finds the VM already running (a race with list) goes on to the IP", async () => {
    fs.copyFileSync(source, vmx);
    await driver.start(vmx);
    sim.setFaults({
      vms: { [NAME]: { ip: "10.10.0.61" } },
      commands: { list: { "*": { answer: "Total running VMs: 0\n", times: 1 } } },
    });
    expect((await startVm(driver, options())).ip).toBe("10.10.0.61");
    const start = sim.calls().filter((c) => c.command === "start");
    expect(start.map((c) => c.exitCode)).toEqual([0, 255]);
    expect(start[1].stdout).toContain("already running");
  });
});

describe("stopVm", () => {
  it("stops a running VM softly when Tools run", async () => {
    await driver.start(vmx);
    expect(await stopVm(driver, vmx)).toBe("soft");
    expect(sim.vmState(vmx)?.power).toBe("off");
  });

  it("falls back to a hard stop when Tools are not running", async () => {
    sim.setFaults({ vms: { [NAME]: { toolsDelaySeconds: 3600 } } });
    await driver.start(vmx);
    expect(await stopVm(driver, vmx)).toBe("hard");
    expect(argvs().filter((a) => a[0] === "stop")).toEqual([
      ["stop", vmx, "soft"],
      ["stop", vmx, "hard"],
    ]);
    expect(sim.vmState(vmx)?.power).toBe("off");
  });

  it("an off VM and a missing .vmx are no-ops", async () => {
    expect(await stopVm(driver, vmx)).toBe("not-running");
    fs.rmSync(vmx);
    expect(await stopVm(driver, vmx)).toBe("not-present");
    expect(sim.calls().map((c) => c.command)).toEqual(["list", "list"]);
  });
});

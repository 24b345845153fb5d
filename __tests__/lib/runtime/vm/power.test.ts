import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCidr } from "../../../../lib/model/net/ipv4";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { readBootRecord } from "../../../../lib/runtime/steps/records";
import { startVm, stopVm } from "../../../../lib/runtime/vm/power";
import { createVmProject, VmProject } from "../../../../test-support/vm-project";
import { FakeHypervisor, FakeVm } from "../../../../test-support/fake-hypervisor";
import { requireTools } from "../../../../test-support/required-tools";

const NAME = "k8s-m1";
const IP = { networks: [parseCidr("10.10.0.0/24")], exclude: ["10.10.0.100"], pauseMs: 10 };

let vm: VmProject;
let hv: FakeHypervisor;
let guest: FakeVm;
let vmx: string;
let source: string;
let messages: string[];

/** A VM folder with disk, seed and an older .vmx, and the rendered .vmx that start must install. */
beforeEach(() => {
  vm = createVmProject(NAME, { withCode: false, renderedVmx: true });
  vmx = vm.vmxAbs;
  source = vm.abs(vm.vmxSource);
  hv = new FakeHypervisor({ timeoutMs: 15_000, cwd: vm.root });
  guest = hv.addVm(vmx, { ip: "10.10.0.60" });
  messages = [];
});

afterEach(() => vm.cleanup());

/** The hypervisor calls made since `from`, as `op vm args`. */
const callsSince = (from = 0) => hv.log().slice(from);
const options = (budgetMs = 10_000) => ({
  name: NAME,
  vmx,
  vmxSource: source,
  ip: { ...IP, budgetMs },
  log: (m: string) => messages.push(m),
});

describe("startVm", () => {
  it("installs the rendered .vmx, starts nogui and returns the IP", async () => {
    expect((await startVm(hv, options())).ip).toBe("10.10.0.60");
    expect(fs.readFileSync(vmx, "utf8")).toBe(fs.readFileSync(source, "utf8"));
    expect(callsSince()).toEqual([
      "listRunning",
      `start ${NAME}`,
      `isBuilt ${NAME}`,
      "listRunning",
      `getGuestIPAddress ${NAME} -wait`,
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
      expect((await startVm(hv, { ...options(), disk: { path: disk, sizeGb: 3 } })).ip).toBe("10.10.0.60");
      expect(messages).toContain(
        "warning: the disk is 2 GiB but diskGb is 3; existing disks are never resized or re-cloned (that would lose their data). To apply it, destroy and deploy this VM again",
      );
      expect(fs.statSync(disk).mtimeMs).toBe(before.mtimeMs);
      messages = [];
      await stopVm(hv, vmx);
      await startVm(hv, { ...options(), disk: { path: disk, sizeGb: 2 } });
      expect(messages.filter((m) => m.startsWith("warning"))).toEqual([]);
    },
  );

  it("leaves a VM alone that already runs with the same .vmx", async () => {
    fs.copyFileSync(source, vmx);
    guest.running = true;
    expect((await startVm(hv, options())).ip).toBe("10.10.0.60");
    expect(callsSince()).toEqual([
      "listRunning",
      `isBuilt ${NAME}`,
      "listRunning",
      `getGuestIPAddress ${NAME} -wait`,
    ]);
  });

  it("stops a VM running with an older .vmx (soft), installs the new one and starts it", async () => {
    const old = fs.readFileSync(vmx, "utf8");
    guest.running = true;
    // The .vmx is installed only once the VM is down: Fusion reads it at power-on.
    hv.beforeNext("start", () => expect(fs.readFileSync(vmx, "utf8")).toBe(fs.readFileSync(source, "utf8")));
    await startVm(hv, options());
    expect(callsSince()).toEqual([
      "listRunning",
      `stopIfRunning ${NAME}`,
      `start ${NAME}`,
      `isBuilt ${NAME}`,
      "listRunning",
      `getGuestIPAddress ${NAME} -wait`,
    ]);
    expect(fs.readFileSync(vmx, "utf8")).not.toBe(old);
    expect(messages[0]).toBe(`settings changed: stopping ${NAME} to apply them`);
    expect(guest.running).toBe(true);
  });

  it("asks for a clean shutdown first, within the deadline of one call", async () => {
    const short = new FakeHypervisor({ timeoutMs: 5_000, cwd: vm.root });
    short.addVm(vmx, { running: true, ip: "10.10.0.60" });
    let soft: number | undefined;
    const stop = short.stopIfRunning.bind(short);
    short.stopIfRunning = (v, o = {}) => ((soft = o.softTimeoutMs), stop(v, o));
    await startVm(short, options());
    expect(soft).toBe(5_000);
  });

  describe("with a steps folder (as the deploy runs it)", () => {
    const stepDir = () => path.join(path.dirname(vmx), ".lab-steps");
    const seedIso = () => path.join(path.dirname(vmx), `${NAME}-seed.iso`);
    const withSteps = () => ({ ...options(), stepDir: stepDir(), seedIso: seedIso() });
    const ops = (from: number) => hv.calls.slice(from).map((c) => c.op);

    it("records what it powers the VM on with, and resumes only the IP wait when it finds it running so (an interrupted deploy)", async () => {
      await startVm(hv, withSteps());
      const boot = readBootRecord(stepDir());
      expect(boot).toEqual({
        vmxSha256: crypto.createHash("sha256").update(fs.readFileSync(source)).digest("hex"),
        seedSha256: crypto.createHash("sha256").update(fs.readFileSync(seedIso())).digest("hex"),
      });
      // Fusion rewrites the installed .vmx while the VM runs: its content no longer tells.
      fs.appendFileSync(vmx, 'uuid.bios = "56 4d"\n');
      const before = hv.calls.length;
      messages = [];
      expect((await startVm(hv, withSteps())).boot).toEqual(boot);
      expect(ops(before)).toEqual(["listRunning", "isBuilt", "listRunning", "getGuestIPAddress"]);
      expect(messages[0]).toBe("already running with these settings");
    });

    it("restarts a running VM whose seed changed, or that it did not start itself", async () => {
      await startVm(hv, withSteps());
      fs.writeFileSync(seedIso(), "a new seed");
      let before = hv.calls.length;
      await startVm(hv, withSteps());
      const restart = [
        "listRunning",
        "stopIfRunning",
        "start",
        "isBuilt",
        "listRunning",
        "getGuestIPAddress",
      ];
      expect(ops(before)).toEqual(restart);
      fs.rmSync(path.join(stepDir(), "boot.json"));
      before = hv.calls.length;
      await startVm(hv, withSteps());
      expect(ops(before)).toEqual(restart);
    });
  });

  it("a missing rendered .vmx fails before any vmrun call and leaves the installed one alone", async () => {
    const old = fs.readFileSync(vmx, "utf8");
    fs.rmSync(source);
    await expect(startVm(hv, options())).rejects.toThrow(`the rendered VMX ${source} is missing`);
    expect(hv.calls).toEqual([]);
    expect(fs.readFileSync(vmx, "utf8")).toBe(old);
  });

  it("fails honestly when no IP comes, naming the VM, the wait and the console log", async () => {
    guest.ip = undefined;
    const err = await startVm(hv, options(1000)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(
      `${NAME} was started but reported no usable IP within 1 s (VMware Tools did not report an address yet)`,
    );
    expect(err?.message).toContain(path.join(path.dirname(vmx), "console.log"));
    expect(guest.running).toBe(true); // left running for the user to look at
  });

  it("says the VM 'is running' (not 'was started') when it found it running and no IP came", async () => {
    fs.copyFileSync(source, vmx);
    guest.running = true;
    guest.ip = undefined;
    await expect(startVm(hv, options(500))).rejects.toThrow(
      `${NAME} is running but reported no usable IP within 1 s`,
    );
    expect(hv.calls.filter((c) => c.op === "start")).toEqual([]);
  });

  it("fails clearly when the VM folder is missing, before any vmrun call", async () => {
    fs.rmSync(path.dirname(vmx), { recursive: true });
    await expect(startVm(hv, options())).rejects.toThrow(
      /the VM folder .* of k8s-m1 is missing \(removed by hand\?\): run npm run deploy again; its plan finds the disk missing and builds k8s-m1 again/,
    );
    expect(hv.calls).toEqual([]);
  });

  it("a start that finds the VM already running (a race with list) goes on to the IP", async () => {
    fs.copyFileSync(source, vmx);
    // Someone else starts the VM between the list and the start.
    hv.beforeNext("start", () => (guest.running = true));
    expect((await startVm(hv, options())).ip).toBe("10.10.0.60");
    expect(callsSince()).toEqual([
      "listRunning",
      `start ${NAME}`,
      `isBuilt ${NAME}`,
      "listRunning",
      `getGuestIPAddress ${NAME} -wait`,
    ]);
  });
});

describe("stopVm", () => {
  it("stops a running VM softly when Tools run", async () => {
    guest.running = true;
    expect(await stopVm(hv, vmx)).toBe("soft");
    expect(guest.running).toBe(false);
  });

  it("falls back to a hard stop when Tools are not running", async () => {
    guest.running = true;
    guest.tools = "installed";
    expect(await stopVm(hv, vmx)).toBe("hard");
    expect(guest.running).toBe(false);
  });

  it("an off VM and a missing .vmx are no-ops", async () => {
    expect(await stopVm(hv, vmx)).toBe("not-running");
    fs.rmSync(vmx);
    expect(await stopVm(hv, vmx)).toBe("not-present");
    expect(callsSince()).toEqual([`stopIfRunning ${NAME}`, "listRunning"]);
  });
});

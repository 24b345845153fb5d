import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { waitUntilDead } from "../../test-support/processes";
import { runEntry, startEntry } from "../../test-support/run-entry";
import { createVmProject, VmProject } from "../../test-support/vm-project";
import { pidsOf, SimCall } from "../../test-support/vmrun-sim";

const NAME = "k8s-m1";

let vm: VmProject;

/** A project whose VM folder holds disk, seed and an older .vmx, with the rendered .vmx under generated/. */
beforeEach(() => (vm = createVmProject(NAME, { renderedVmx: true })));
afterEach(() => vm.cleanup());

const env = (over: Record<string, string | undefined> = {}) =>
  vm.entryEnv({
    VMX_SOURCE: vm.vmxSource,
    IP_NETWORKS: "10.10.0.0/24,192.168.68.0/24",
    IP_EXCLUDE: "192.168.68.210,10.10.0.100",
    IP_WAIT_SECONDS: "30",
    VMRUN_TIMEOUT_SECONDS: "20",
    ...over,
  });

const vmStart = (over: Record<string, string | undefined> = {}) =>
  runEntry("vm-start", { env: env(over), projectRoot: vm.root, timeoutMs: 45_000 });
const argvs = (calls: SimCall[] = vm.sim.calls()) => calls.map((c) => c.argv.slice(2));
const read = (rel: string) => fs.readFileSync(vm.abs(rel), "utf8");

/** Starts the VM as an earlier deploy would have; returns how many calls that made. */
function powerOn(): number {
  vm.sim.powerOn(vm.vmxAbs);
  return vm.sim.calls().length;
}

describe("vm-start", () => {
  it("installs the rendered .vmx, starts nogui, reports progress and exits 0 once a late IP appears", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.50", toolsDelaySeconds: 1, ipDelaySeconds: 1 } } });
    const r = await vmStart();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      `vm-start ${NAME}: installed ${NAME}.vmx`,
      `vm-start ${NAME}: starting (nogui)`,
      `vm-start ${NAME}: waiting up to 30 s for the guest to report its IP`,
      `vm-start ${NAME}: IP 10.10.0.50`,
    ]);
    expect(read(vm.vmx)).toBe(read(vm.vmxSource));
    expect(argvs().filter((a) => a[0] === "start")).toEqual([["start", vm.vmxAbs, "nogui"]]);
    expect(vm.sim.vmState(vm.vmxAbs)?.power).toBe("on");
  });

  it("records the address in LAST_IP_FILE for lookups while the VM is off", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.51" } } });
    const r = await vmStart({ LAST_IP_FILE: `generated/${NAME}/last-ip` });
    expect(r.code).toBe(0);
    expect(read(`generated/${NAME}/last-ip`)).toBe("10.10.0.51\n");
  });

  it("does not restart a VM that already runs with the same .vmx", async () => {
    fs.copyFileSync(vm.abs(vm.vmxSource), vm.vmxAbs);
    const before = powerOn();
    const bootedAt = vm.sim.vmState(vm.vmxAbs)?.bootedAt;
    const r = await vmStart();
    expect(r.code).toBe(0);
    const calls = vm.sim.calls().slice(before);
    expect(calls.map((c) => c.command)).not.toContain("start");
    expect(calls.map((c) => c.command)).not.toContain("stop");
    expect(vm.sim.vmState(vm.vmxAbs)?.bootedAt).toBe(bootedAt);
    expect(r.stderr).toMatch(/IP 10\.10\.0\.\d+\n$/);
  });

  it("stops a VM running with an older .vmx, installs the new one, then starts it", async () => {
    const before = powerOn();
    const r = await vmStart();
    expect(r.code).toBe(0);
    const changes = argvs(vm.sim.calls().slice(before)).filter((a) => a[0] === "stop" || a[0] === "start");
    expect(changes).toEqual([
      ["stop", vm.vmxAbs, "soft"],
      ["start", vm.vmxAbs, "nogui"],
    ]);
    expect(read(vm.vmx)).toBe(read(vm.vmxSource));
    expect(r.stderr).toContain(`vm-start ${NAME}: settings changed: stopping ${NAME} to apply them`);
    expect(vm.sim.vmState(vm.vmxAbs)?.power).toBe("on");
  });

  it("fails when no IP comes within IP_WAIT_SECONDS, naming the VM, the seconds and console.log", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "" } } });
    const r = await vmStart({ IP_WAIT_SECONDS: "2" });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    const last = lines[lines.length - 1];
    expect(last).toMatch(
      new RegExp(`^vm-start: ${NAME} was started but reported no usable IP within 2 s \\(`),
    );
    expect(last).toContain(vm.abs(`${vm.vmDir}/console.log`));
    const asks = vm.sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(await waitUntilDead(pidsOf(asks))).toEqual([]);
  });

  it.each([
    ["a VIP from IP_EXCLUDE", "10.10.0.100", "10.10.0.100 is a VIP, not the guest's own address"],
    [
      "an address outside IP_NETWORKS",
      "172.16.0.5",
      "172.16.0.5 is outside the expected networks (10.10.0.0/24, 192.168.68.0/24)",
    ],
  ])("does not accept %s as the VM's IP", async (_what, ip, reason) => {
    vm.sim.setFaults({ vms: { [NAME]: { ip } } });
    const r = await vmStart({ IP_WAIT_SECONDS: "2" });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain(`: IP ${ip}`);
    expect(r.stderr).toContain(`reported no usable IP within 2 s (VMware Tools reported ${reason})`);
  });

  it("keeps asking past a VIP and takes the guest's own address when it comes", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.100" } } });
    const run = startEntry("vm-start", { env: env(), projectRoot: vm.root, timeoutMs: 45_000 });
    await vm.sim.waitForCall((c) => c.command === "getGuestIPAddress" && c.stdout === "10.10.0.100\n");
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.77" } } });
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`vm-start ${NAME}: IP 10.10.0.77\n`);
    expect(r.stderr).not.toContain("IP 10.10.0.100");
  });

  it("kills a hung start at VMRUN_TIMEOUT_SECONDS, names the VM and the step, and leaves no vmrun alive", async () => {
    vm.sim.setFaults({ commands: { start: { [NAME]: { hang: "with-child" } } } });
    const r = await vmStart({ VMRUN_TIMEOUT_SECONDS: "2" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`vm-start: vmrun start ${NAME} did not answer within 2 s and was stopped`);
    const [start] = vm.sim.calls().filter((c) => c.command === "start");
    expect(start.exitCode).toBeNull();
    expect(start.childPids.length).toBe(1);
    expect(await waitUntilDead(pidsOf([start]))).toEqual([]);
    expect(vm.sim.calls().map((c) => c.command)).not.toContain("getGuestIPAddress");
  });

  it("a missing rendered .vmx is a clear error before any vmrun call", async () => {
    const installed = read(vm.vmx);
    fs.rmSync(vm.abs(vm.vmxSource));
    const r = await vmStart();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `vm-start: the rendered VMX ${vm.abs(vm.vmxSource)} is missing: run npm run deploy again (Terraform writes it again before it starts ${NAME})\n`,
    );
    expect(vm.sim.calls()).toEqual([]);
    expect(read(vm.vmx)).toBe(installed);

    const unset = await vmStart({ VMX_SOURCE: undefined });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain("environment variable VMX_SOURCE is not set");
    expect(vm.sim.calls()).toEqual([]);
  });

  it.each([
    ["../x.vmx", /VMX_PATH="\.\.\/x\.vmx" resolves to .* outside/],
    ["absolute", /VMX_PATH=".*" resolves to .* outside/],
    [`generated/${NAME}/${NAME}.vmx`, /VMX_PATH=.* outside/], // the rendered .vmx
  ])("refuses VMX_PATH %s before any vmrun call and writes nothing", async (vmxPath, message) => {
    const elsewhere = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "vm-start-elsewhere-")));
    try {
      const value = vmxPath === "absolute" ? path.join(elsewhere, `${NAME}.vmx`) : vmxPath;
      const sourceBefore = read(vm.vmxSource);
      const r = await vmStart({ VMX_PATH: value });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(vm.sim.calls()).toEqual([]);
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      expect(fs.existsSync(path.join(path.dirname(vm.root), "x.vmx"))).toBe(false);
      expect(read(vm.vmxSource)).toBe(sourceBefore);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("bad IP settings are input errors before any vmrun call", async () => {
    for (const [over, message] of [
      [{ IP_NETWORKS: "10.10.0.5/24" }, /IP_NETWORKS: 10\.10\.0\.5\/24 has host bits set/],
      [{ IP_EXCLUDE: "vip" }, /IP_EXCLUDE: "vip" is not an IPv4 address/],
      [{ IP_WAIT_SECONDS: "soon" }, /IP_WAIT_SECONDS="soon" is not a whole number/],
    ] as const) {
      const r = await vmStart(over);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(message) });
    }
    expect(vm.sim.calls()).toEqual([]);
  });
});

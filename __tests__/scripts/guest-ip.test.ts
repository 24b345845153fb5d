import * as fs from "node:fs";
import * as path from "node:path";
import { waitUntilDead } from "../../test-support/processes";
import { EntryResult, runEntry } from "../../test-support/run-entry";
import { createVmProject, VmProject, VMS_DIR } from "../../test-support/vm-project";
import { pidsOf } from "../../test-support/vmrun-sim";

const NAME = "k8s-m1";

let vm: VmProject;

beforeEach(() => (vm = createVmProject(NAME)));
afterEach(() => vm.cleanup());

/** The query Terraform's external data source sends: every value a string. */
const QUERY = {
  vm_name: NAME,
  vms_dir: VMS_DIR,
  vmx_path: `${VMS_DIR}/${NAME}.vmwarevm/${NAME}.vmx`,
  networks: "10.10.0.0/24,192.168.68.0/24",
  exclude: "192.168.68.210,10.10.0.100",
  timeout_seconds: "2",
};

/** Runs the entry as Terraform does: cwd = project root, the query on stdin. */
function guestIp(
  stdin: string | Record<string, unknown>,
  env: Record<string, string> = vm.vmrunEnv,
): Promise<EntryResult> {
  return runEntry("guest-ip", {
    env,
    projectRoot: vm.root,
    input: typeof stdin === "string" ? stdin : JSON.stringify(stdin),
  });
}

async function answer(stdin: Record<string, unknown>): Promise<unknown> {
  const r = await guestIp(stdin);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  expect(r.stdout.endsWith("\n")).toBe(true);
  return JSON.parse(r.stdout);
}

describe("guest-ip", () => {
  it('an off VM answers ip "" state off at once, after only a list', async () => {
    expect(await answer(QUERY)).toEqual({ ip: "", state: "off", detail: "the VM is not running" });
    expect(vm.sim.calls().map((c) => c.command)).toEqual(["list"]);
  });

  it("a missing .vmx answers state absent without calling vmrun", async () => {
    fs.rmSync(vm.abs("VMs"), { recursive: true });
    expect(await answer(QUERY)).toEqual({ ip: "", state: "absent", detail: `${vm.vmxAbs} does not exist` });
    expect(vm.sim.calls()).toEqual([]);
  });

  it("a missing .vmx answers state absent even on a machine with no vmrun at all", async () => {
    fs.rmSync(vm.abs("VMs"), { recursive: true });
    const r = await guestIp(QUERY, { PATH: path.dirname(process.execPath) }); // node only: no vmrun, no VMRUN
    expect({ code: r.code, stderr: r.stderr, answer: JSON.parse(r.stdout || "null") }).toEqual({
      code: 0,
      stderr: "",
      answer: { ip: "", state: "absent", detail: `${vm.vmxAbs} does not exist` },
    });
  });

  it("records a running VM's address and answers with it while the VM is off, but not once it is deleted", async () => {
    const query = { ...QUERY, last_ip_file: `generated/${NAME}/last-ip` };
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.131" } } });
    vm.sim.powerOn(vm.vmxAbs);
    expect(await answer(query)).toEqual({ ip: "10.10.0.131", state: "running", detail: "" });
    expect(fs.readFileSync(vm.abs(`generated/${NAME}/last-ip`), "utf8")).toBe("10.10.0.131\n");
    vm.sim.powerOff(vm.vmxAbs);
    expect(await answer(query)).toEqual({
      ip: "10.10.0.131",
      state: "off",
      detail: "the VM is not running; answering with the last known address",
    });
    fs.rmSync(vm.abs("VMs"), { recursive: true });
    expect(await answer(query)).toEqual({ ip: "", state: "absent", detail: `${vm.vmxAbs} does not exist` });
  });

  it("ignores a recorded value that is not an address, and refuses a record outside the project", async () => {
    fs.mkdirSync(vm.abs(`generated/${NAME}`), { recursive: true });
    fs.writeFileSync(vm.abs(`generated/${NAME}/last-ip`), "$(reboot)\n");
    expect(await answer({ ...QUERY, last_ip_file: `generated/${NAME}/last-ip` })).toEqual({
      ip: "",
      state: "off",
      detail: "the VM is not running",
    });
    const r = await guestIp({ ...QUERY, last_ip_file: "../outside" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/query\.last_ip_file/);
  });

  it("a running VM answers its IP", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "192.168.68.31" } } });
    vm.sim.powerOn(vm.vmxAbs);
    expect(await answer(QUERY)).toEqual({ ip: "192.168.68.31", state: "running", detail: "" });
    expect(
      vm.sim
        .calls()
        .filter((c) => c.command === "getGuestIPAddress")
        .map((c) => c.argv.slice(2)),
    ).toEqual([["getGuestIPAddress", vm.vmxAbs, "-wait"]]);
  });

  it("a running VM reporting only a VIP answers no-ip, never the VIP", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.100" } } });
    vm.sim.powerOn(vm.vmxAbs);
    expect(await answer(QUERY)).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools reported 10.10.0.100 is a VIP, not the guest's own address",
    });
  });

  it("a running VM without an IP answers no-ip with exit 0 when timeout_seconds runs out", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "" } } });
    vm.sim.powerOn(vm.vmxAbs);
    expect(await answer(QUERY)).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools did not report an address yet",
    });
    const asks = vm.sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(await waitUntilDead(pidsOf(asks))).toEqual([]);
  });

  it("a hung getGuestIPAddress is cut at the budget, with its whole process group", async () => {
    vm.sim.setFaults({ commands: { getGuestIPAddress: { [NAME]: { hang: "with-child" } } } });
    vm.sim.powerOn(vm.vmxAbs);
    expect(await answer(QUERY)).toMatchObject({ ip: "", state: "no-ip" });
    const hung = vm.sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(hung.length).toBeGreaterThan(0);
    expect(hung.every((c) => c.exitCode === null && c.childPids.length === 1)).toBe(true);
    expect(await waitUntilDead(pidsOf(hung))).toEqual([]);
  });

  it("a hung list is cut at the budget too (not the driver's default deadline) and fails with a message", async () => {
    vm.sim.setFaults({ commands: { list: { "*": { hang: true } } } });
    const r = await guestIp({ ...QUERY, timeout_seconds: "1" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^guest-ip: vmrun list did not answer within 1 s and was stopped/);
    const lists = vm.sim.calls().filter((c) => c.command === "list");
    expect(lists.length).toBeGreaterThan(0);
    expect(await waitUntilDead(pidsOf(lists))).toEqual([]);
  });

  it("an empty exclude list is fine", async () => {
    vm.sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.100" } } });
    vm.sim.powerOn(vm.vmxAbs);
    expect(await answer({ ...QUERY, exclude: "" })).toEqual({
      ip: "10.10.0.100",
      state: "running",
      detail: "",
    });
  });

  it.each([
    ["not JSON", "vm please", /stdin is not a JSON object/],
    ["empty", "", /stdin is not a JSON object/],
    ["null", "null", /stdin is not a JSON object/],
    ["an array", "[]", /stdin is not a JSON object/],
    ["a string", '"k8s-m1"', /stdin is not a JSON object/],
    ["without vmx_path", JSON.stringify({ ...QUERY, vmx_path: undefined }), /query\.vmx_path is missing/],
    ["without networks", JSON.stringify({ ...QUERY, networks: "" }), /query\.networks is missing/],
    [
      "a bad network",
      JSON.stringify({ ...QUERY, networks: "10.10.0.0/33" }),
      /query\.networks: not an IPv4 CIDR block/,
    ],
    [
      "a bad exclude",
      JSON.stringify({ ...QUERY, exclude: "vip" }),
      /query\.exclude: "vip" is not an IPv4 address/,
    ],
    [
      "timeout_seconds 0",
      JSON.stringify({ ...QUERY, timeout_seconds: "0" }),
      /query\.timeout_seconds="0" must be 1\.\.3600/,
    ],
    [
      "timeout_seconds not a number",
      JSON.stringify({ ...QUERY, timeout_seconds: "soon" }),
      /query\.timeout_seconds="soon" must be 1\.\.3600/,
    ],
  ])("malformed input (%s) exits 1 with a message on stderr", async (_what, stdin, message) => {
    vm.sim.powerOn(vm.vmxAbs);
    const r = await guestIp(stdin);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^guest-ip: .+\n$/);
    expect(r.stderr).toMatch(message);
    expect(vm.sim.calls().map((c) => c.command)).toEqual(["start"]);
  });

  it("a vms_dir outside the project exits 1 naming it", async () => {
    const r = await guestIp({ ...QUERY, vms_dir: "../VMs" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^guest-ip: query\.vms_dir="\.\.\/VMs" resolves to .* outside/);
    expect(vm.sim.calls()).toEqual([]);
  });

  it.each([
    ["climbing out of vms_dir", `${VMS_DIR}/../other.vmx`],
    ["absolute, elsewhere", "/etc/k8s-m1.vmx"],
    ["outside the project", "../k8s-m1.vmx"],
  ])("a vmx_path %s exits 1 without calling vmrun", async (_what, vmx) => {
    const r = await guestIp({ ...QUERY, vmx_path: vmx });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^guest-ip: query\.vmx_path=.* resolves to .* outside .*\n$/);
    expect(vm.sim.calls()).toEqual([]);
  });
});

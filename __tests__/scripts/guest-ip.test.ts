import * as fs from "node:fs";
import * as path from "node:path";
import { encodeLookupVms, type LookupVm } from "../../lib/model/entry/contracts";
import { waitUntilDead } from "../../test-support/processes";
import { EntryResult, runEntry } from "../../test-support/run-entry";
import { createVmProject, VmProject, VMS_DIR } from "../../test-support/vm-project";
import { pidsOf, writeTestVmx } from "../../test-support/vmrun-sim";

/** Three VMs of one stack: a gateway (vmnet, then the LAN) and two nodes (vmnet only). */
const NAMES = ["gw1", "m1", "w1"] as const;
type Name = (typeof NAMES)[number];

let vm: VmProject;
const vmxAbs = (name: Name) => vm.abs(`${VMS_DIR}/${name}.vmwarevm/${name}.vmx`);

beforeEach(() => {
  vm = createVmProject("gw1");
  for (const name of NAMES.slice(1)) writeTestVmx(vm.abs(`${VMS_DIR}/${name}.vmwarevm`), name, { iso: true });
});
afterEach(() => vm.cleanup());

function lookupVm(name: Name): LookupVm {
  return {
    name,
    vmx_path: `${VMS_DIR}/${name}.vmwarevm/${name}.vmx`,
    networks: name === "gw1" ? ["10.10.0.0/24", "192.168.68.0/24"] : ["10.10.0.0/24"],
    last_ip_file: `generated/${name}/last-ip`,
  };
}

/** The query the stack's external data source sends: every value a string. */
const QUERY = {
  vms_dir: VMS_DIR,
  vms: encodeLookupVms(NAMES.map(lookupVm)),
  exclude: "192.168.68.210,10.10.0.100",
  timeout_seconds: "2",
};
const withVms = (vms: unknown) => ({ ...QUERY, vms: JSON.stringify(vms) });

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

async function answer(stdin: Record<string, unknown>): Promise<Record<string, string>> {
  const r = await guestIp(stdin);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  expect(r.stdout.endsWith("\n")).toBe(true);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  // Terraform's external provider accepts only a flat object of strings.
  for (const v of Object.values(out)) expect(typeof v).toBe("string");
  return out as Record<string, string>;
}

const of = (out: Record<string, string>, name: Name) => ({
  ip: out[`${name}_ip`],
  state: out[`${name}_state`],
  detail: out[`${name}_detail`],
});
const commands = () => vm.sim.calls().map((c) => c.command);

describe("guest-ip (one lookup for every VM of a stack)", () => {
  it("answers every VM in one process after one list: <vm>_ip, <vm>_state and <vm>_detail each", async () => {
    vm.sim.setFaults({ vms: { gw1: { ip: "10.10.0.31" }, m1: { ip: "10.10.0.41" } } });
    vm.sim.powerOn(vmxAbs("gw1"));
    vm.sim.powerOn(vmxAbs("m1"));
    fs.rmSync(vm.abs(`${VMS_DIR}/w1.vmwarevm`), { recursive: true });
    const calls = vm.sim.calls().length;
    const out = await answer(QUERY);
    expect(out).toEqual({
      gw1_ip: "10.10.0.31",
      gw1_state: "running",
      gw1_detail: "",
      m1_ip: "10.10.0.41",
      m1_state: "running",
      m1_detail: "",
      w1_ip: "",
      w1_state: "absent",
      w1_detail: `${vm.abs(`${VMS_DIR}/w1.vmwarevm/w1.vmx`)} does not exist`,
    });
    const made = vm.sim.calls().slice(calls);
    expect(made.filter((c) => c.command === "list")).toHaveLength(1);
    expect(made.map((c) => c.command).sort()).toEqual(["getGuestIPAddress", "getGuestIPAddress", "list"]);
    expect(made.filter((c) => c.command === "getGuestIPAddress").every((c) => c.argv.includes("-wait"))).toBe(
      true,
    );
  });

  it("asks the running VMs at once, not one after another", async () => {
    vm.sim.setFaults({ commands: { getGuestIPAddress: { "*": { delayMs: 1500 } } } });
    for (const name of NAMES) vm.sim.powerOn(vmxAbs(name));
    const out = await answer({ ...QUERY, timeout_seconds: "20" });
    expect(NAMES.map((n) => of(out, n).state)).toEqual(["running", "running", "running"]);
    const asks = vm.sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(asks).toHaveLength(3);
    // Every call started before the first one answered (each takes 1.5 s): they overlapped.
    const firstEnd = Math.min(...asks.map((c) => Date.parse(c.endedAt!)));
    for (const c of asks) expect(Date.parse(c.startedAt)).toBeLessThan(firstEnd);
  });

  it("answers off VMs at once after the list; an off VM answers with the address it last reported, a deleted one with none", async () => {
    const out = await answer(QUERY);
    for (const n of NAMES)
      expect(of(out, n)).toEqual({ ip: "", state: "off", detail: "the VM is not running" });
    expect(commands()).toEqual(["list"]);

    vm.sim.setFaults({ vms: { m1: { ip: "10.10.0.41" } } });
    vm.sim.powerOn(vmxAbs("m1"));
    expect(of(await answer(QUERY), "m1")).toEqual({ ip: "10.10.0.41", state: "running", detail: "" });
    expect(fs.readFileSync(vm.abs("generated/m1/last-ip"), "utf8")).toBe("10.10.0.41\n");
    expect(fs.existsSync(vm.abs("generated/w1/last-ip"))).toBe(false);

    vm.sim.powerOff(vmxAbs("m1"));
    expect(of(await answer(QUERY), "m1")).toEqual({
      ip: "10.10.0.41",
      state: "off",
      detail: "the VM is not running; answering with the last known address",
    });
    fs.rmSync(vm.abs(`${VMS_DIR}/m1.vmwarevm`), { recursive: true });
    expect(of(await answer(QUERY), "m1")).toMatchObject({ ip: "", state: "absent" });
  });

  it("a running VM without an address yet answers its last known one, or no-ip, and never fails the read", async () => {
    fs.mkdirSync(vm.abs("generated/m1"), { recursive: true });
    fs.writeFileSync(vm.abs("generated/m1/last-ip"), "10.10.0.41\n");
    vm.sim.setFaults({ vms: { m1: { ip: "" }, w1: { ip: "" } } });
    vm.sim.powerOn(vmxAbs("m1"));
    vm.sim.powerOn(vmxAbs("w1"));
    const out = await answer(QUERY);
    expect(of(out, "m1")).toEqual({
      ip: "10.10.0.41",
      state: "no-ip",
      detail: "VMware Tools did not report an address yet; answering with the last known address",
    });
    expect(of(out, "w1")).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools did not report an address yet",
    });
    const asks = vm.sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(await waitUntilDead(pidsOf(asks))).toEqual([]);
  });

  it("refuses a VIP and an address outside the VM's networks; a gateway takes its LAN address, a node does not", async () => {
    vm.sim.setFaults({
      vms: { gw1: { ip: "192.168.68.31" }, m1: { ip: "10.10.0.100" }, w1: { ip: "192.168.68.51" } },
    });
    for (const name of NAMES) vm.sim.powerOn(vmxAbs(name));
    const out = await answer(QUERY);
    expect(of(out, "gw1")).toEqual({ ip: "192.168.68.31", state: "running", detail: "" });
    expect(of(out, "m1")).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools reported 10.10.0.100 is a VIP, not the guest's own address",
    });
    expect(of(out, "w1")).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools reported 192.168.68.51 is outside the expected networks (10.10.0.0/24)",
    });
    expect(fs.existsSync(vm.abs("generated/m1/last-ip"))).toBe(false);
  });

  it("an empty exclude list is fine", async () => {
    vm.sim.setFaults({ vms: { m1: { ip: "10.10.0.100" } } });
    vm.sim.powerOn(vmxAbs("m1"));
    expect(of(await answer({ ...QUERY, exclude: "" }), "m1")).toMatchObject({ ip: "10.10.0.100" });
  });

  it("missing VMs answer absent without vmrun, even on a machine with no vmrun at all", async () => {
    fs.rmSync(vm.abs("VMs"), { recursive: true });
    const r = await guestIp(QUERY, { PATH: path.dirname(process.execPath) }); // node only: no vmrun, no VMRUN
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(NAMES.map((n) => out[`${n}_state`])).toEqual(["absent", "absent", "absent"]);
    expect(vm.sim.calls()).toEqual([]);
  });

  it("a hung getGuestIPAddress is cut at the budget, with its whole process group, and the others still answer", async () => {
    vm.sim.setFaults({ commands: { getGuestIPAddress: { m1: { hang: "with-child" } } } });
    vm.sim.powerOn(vmxAbs("m1"));
    vm.sim.powerOn(vmxAbs("w1"));
    const out = await answer(QUERY);
    expect(of(out, "m1")).toMatchObject({ ip: "", state: "no-ip" });
    expect(of(out, "w1")).toMatchObject({ state: "running", detail: "" });
    const hung = vm.sim.calls().filter((c) => c.command === "getGuestIPAddress" && c.vmx?.includes("m1"));
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

  const vm0 = lookupVm("gw1");
  it.each([
    ["not JSON", "vm please", /stdin is not a JSON object/],
    ["empty", "", /stdin is not a JSON object/],
    ["null", "null", /stdin is not a JSON object/],
    ["an array", "[]", /stdin is not a JSON object/],
    ["without vms_dir", { ...QUERY, vms_dir: undefined }, /query\.vms_dir is missing/],
    ["without vms", { ...QUERY, vms: "" }, /query\.vms is missing/],
    ["a number for a string", { ...QUERY, timeout_seconds: 2 }, /query\.timeout_seconds=2 is not a string/],
    ["vms not JSON", { ...QUERY, vms: "gw1,m1" }, /query\.vms is not JSON/],
    ["vms empty", withVms([]), /query\.vms must be a non-empty JSON array of VMs/],
    ["a VM not an object", withVms(["gw1"]), /query\.vms\[0\] must be an object with name, vmx_path/],
    [
      "a VM without vmx_path",
      withVms([{ ...vm0, vmx_path: undefined }]),
      /query\.vms\[0\]\.vmx_path must be/,
    ],
    ["an unknown VM key", withVms([{ ...vm0, ip: "1.2.3.4" }]), /query\.vms\[0\] has unknown keys: ip/],
    ["a bad VM name", withVms([{ ...vm0, name: "GW_1" }]), /query\.vms\[0\]\.name="GW_1" is not a VM name/],
    ["a VM twice", withVms([vm0, vm0]), /query\.vms\[1\]\.name="gw1" is listed twice/],
    [
      "no networks",
      withVms([{ ...vm0, networks: [] }]),
      /query\.vms\[0\]\.networks must be a non-empty array/,
    ],
    [
      "a bad network",
      withVms([vm0, { ...lookupVm("m1"), networks: ["10.10.0.0/33"] }]),
      /query\.vms\[1\]\.networks: not an IPv4 CIDR block/,
    ],
    ["a bad exclude", { ...QUERY, exclude: "vip" }, /query\.exclude: "vip" is not an IPv4 address/],
    [
      "timeout_seconds 0",
      { ...QUERY, timeout_seconds: "0" },
      /query\.timeout_seconds=0 is outside 1\.\.3600/,
    ],
    [
      "timeout_seconds not a number",
      { ...QUERY, timeout_seconds: "soon" },
      /query\.timeout_seconds="soon" is not a whole number/,
    ],
    [
      "a vms_dir outside the project",
      { ...QUERY, vms_dir: "../VMs" },
      /query\.vms_dir="\.\.\/VMs" resolves to .* outside/,
    ],
    [
      "a vmx_path climbing out of vms_dir",
      withVms([vm0, { ...lookupVm("m1"), vmx_path: `${VMS_DIR}/../other.vmx` }]),
      /query\.vms\[1\]\.vmx_path=.* resolves to .* outside/,
    ],
    [
      "an absolute vmx_path elsewhere",
      withVms([{ ...vm0, vmx_path: "/etc/gw1.vmx" }]),
      /query\.vms\[0\]\.vmx_path=.* outside/,
    ],
    [
      "a last_ip_file outside the project",
      withVms([{ ...vm0, last_ip_file: "../outside" }]),
      /query\.vms\[0\]\.last_ip_file=.* outside/,
    ],
  ])(
    "malformed input (%s) exits 1 with a message on stderr, before any vmrun call",
    async (_what, stdin, message) => {
      vm.sim.powerOn(vmxAbs("gw1"));
      const r = await guestIp(stdin as string | Record<string, unknown>);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^guest-ip: .+\n$/);
      expect(r.stderr).toMatch(message);
      expect(commands()).toEqual(["start"]);
    },
  );

  it("ignores a recorded value that is not an address", async () => {
    fs.mkdirSync(vm.abs("generated/m1"), { recursive: true });
    fs.writeFileSync(vm.abs("generated/m1/last-ip"), "$(reboot)\n");
    expect(of(await answer(QUERY), "m1")).toEqual({ ip: "", state: "off", detail: "the VM is not running" });
  });
});

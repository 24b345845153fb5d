import * as fs from "node:fs";
import { lookupGuestIp, rejectReason } from "../../../../lib/runtime/vm/guest-ip";
import { parseCidr } from "../../../../lib/model/net/ipv4";
import { VmrunDriver } from "../../../../lib/runtime/hypervisor/vmrun";
import { waitUntilDead } from "../../../../test-support/processes";
import { createVmProject, VmProject } from "../../../../test-support/vm-project";
import { pidsOf, VmrunSim } from "../../../../test-support/vmrun-sim";

const NETWORKS = [parseCidr("10.10.0.0/24"), parseCidr("192.168.68.0/24")];
const VIPS = ["192.168.68.210", "10.10.0.100"];

let vm: VmProject;
let sim: VmrunSim;
let driver: VmrunDriver;
let vmx: string;

beforeEach(() => {
  vm = createVmProject("k8s-m1", { withCode: false });
  ({ sim, vmxAbs: vmx } = vm);
  driver = new VmrunDriver({
    binary: sim.binary,
    hostType: "ws",
    timeoutMs: 15_000,
    env: sim.env,
    cwd: vm.root,
    retryPauseMs: 10,
  });
});

afterEach(() => vm.cleanup());

const commands = () => sim.calls().map((c) => c.command);
const query = (extra: { budgetMs?: number; pauseMs?: number; perCallMs?: number } = {}) => ({
  vmx,
  networks: NETWORKS,
  exclude: VIPS,
  budgetMs: extra.budgetMs ?? 10_000,
  pauseMs: extra.pauseMs ?? 10,
  perCallMs: extra.perCallMs,
});

describe("rejectReason", () => {
  it("accepts a host address of one of the networks", () => {
    expect(rejectReason("10.10.0.50", NETWORKS, VIPS)).toBeUndefined();
    expect(rejectReason("192.168.68.20", NETWORKS, VIPS)).toBeUndefined();
  });

  it("refuses a VIP, an address outside the networks, the network and broadcast addresses, and non-IPv4", () => {
    expect(rejectReason("10.10.0.100", NETWORKS, VIPS)).toBe(
      "10.10.0.100 is a VIP, not the guest's own address",
    );
    expect(rejectReason("192.168.68.210", NETWORKS, VIPS)).toContain("is a VIP");
    expect(rejectReason("172.17.0.1", NETWORKS, VIPS)).toBe(
      "172.17.0.1 is outside the expected networks (10.10.0.0/24, 192.168.68.0/24)",
    );
    expect(rejectReason("10.10.0.0", NETWORKS, VIPS)).toContain("outside the expected networks");
    expect(rejectReason("10.10.0.255", NETWORKS, VIPS)).toContain("outside the expected networks");
    expect(rejectReason("fe80::1", NETWORKS, VIPS)).toBe('"fe80::1" is not an IPv4 address');
    expect(rejectReason("", NETWORKS, VIPS)).toBe('"" is not an IPv4 address');
  });
});

describe("lookupGuestIp", () => {
  it("a missing .vmx is absent, without any vmrun call", async () => {
    fs.rmSync(vmx);
    expect(await lookupGuestIp(driver, query())).toEqual({
      ip: "",
      state: "absent",
      detail: `${vmx} does not exist`,
    });
    expect(sim.calls()).toEqual([]);
  });

  it("a VM that is off answers at once after one list, and never asks for the IP", async () => {
    expect(await lookupGuestIp(driver, query())).toEqual({
      ip: "",
      state: "off",
      detail: "the VM is not running",
    });
    expect(commands()).toEqual(["list"]);
  });

  it("a running VM answers its IP, asked with -wait", async () => {
    sim.setFaults({ vms: { "k8s-m1": { ip: "10.10.0.50" } } });
    await driver.start(vmx);
    expect(await lookupGuestIp(driver, query())).toEqual({ ip: "10.10.0.50", state: "running", detail: "" });
    const ask = sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(ask.map((c) => c.argv.slice(2))).toEqual([["getGuestIPAddress", vmx, "-wait"]]);
  });

  it("waits for an IP that comes late", async () => {
    sim.setFaults({
      vms: { "k8s-m1": { ip: "192.168.68.21", toolsDelaySeconds: 0.5, ipDelaySeconds: 0.5 } },
    });
    await driver.start(vmx);
    expect(await lookupGuestIp(driver, query({ budgetMs: 20_000 }))).toEqual({
      ip: "192.168.68.21",
      state: "running",
      detail: "",
    });
  });

  it("a VIP is not taken: it asks again until the guest reports its own address", async () => {
    sim.setFaults({ vms: { "k8s-m1": { ip: "10.10.0.100" } } });
    await driver.start(vmx);
    const answer = lookupGuestIp(driver, query({ budgetMs: 30_000, pauseMs: 200 }));
    await sim.waitForCall((c) => c.command === "getGuestIPAddress" && c.stdout === "10.10.0.100\n");
    sim.setFaults({ vms: { "k8s-m1": { ip: "10.10.0.51" } } });
    expect(await answer).toEqual({ ip: "10.10.0.51", state: "running", detail: "" });
  });

  it("a VIP or a foreign address until the budget runs out gives no-ip with the reason", async () => {
    sim.setFaults({ vms: { "k8s-m1": { ip: "10.10.0.100" } } });
    await driver.start(vmx);
    expect(await lookupGuestIp(driver, query({ budgetMs: 2000, pauseMs: 100 }))).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools reported 10.10.0.100 is a VIP, not the guest's own address",
    });
    sim.setFaults({ vms: { "k8s-m1": { ip: "172.17.0.1" } } });
    const foreign = await lookupGuestIp(driver, query({ budgetMs: 2000, pauseMs: 100 }));
    expect(foreign.state).toBe("no-ip");
    expect(foreign.detail).toContain("172.17.0.1 is outside the expected networks");
  });

  it("an attempt cut short by the budget does not hide the VIP an earlier attempt reported", async () => {
    sim.setFaults({ vms: { "k8s-m1": { ip: "10.10.0.100" } } });
    await driver.start(vmx);
    const answer = lookupGuestIp(driver, query({ budgetMs: 3000, pauseMs: 200 }));
    await sim.waitForCall((c) => c.command === "getGuestIPAddress" && c.stdout === "10.10.0.100\n");
    sim.setFaults({ vms: { "k8s-m1": { ip: "" } } }); // the next -wait blocks until the budget kills it
    expect(await answer).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools reported 10.10.0.100 is a VIP, not the guest's own address",
    });
    expect(
      sim
        .calls()
        .filter((c) => c.command === "getGuestIPAddress")
        .some((c) => c.exitCode === null),
    ).toBe(true);
  });

  it("a running VM that never reports an IP gives no-ip when the budget runs out, and leaves no vmrun behind", async () => {
    sim.setFaults({ vms: { "k8s-m1": { ip: "" } } });
    await driver.start(vmx);
    expect(await lookupGuestIp(driver, query({ budgetMs: 1500 }))).toEqual({
      ip: "",
      state: "no-ip",
      detail: "VMware Tools did not report an address yet",
    });
    const asks = sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(asks.length).toBeGreaterThan(0);
    expect(asks.every((c) => c.exitCode === null)).toBe(true); // each was killed at its deadline
    expect(await waitUntilDead(pidsOf(asks))).toEqual([]);
  });

  it("a hung getGuestIPAddress (with a helper process) is cut at the budget with its process group", async () => {
    sim.setFaults({ commands: { getGuestIPAddress: { "k8s-m1": { hang: "with-child" } } } });
    await driver.start(vmx);
    const answer = await lookupGuestIp(driver, query({ budgetMs: 1500 }));
    expect(answer).toMatchObject({ ip: "", state: "no-ip" });
    const hung = sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(hung.length).toBeGreaterThan(0);
    const pids = pidsOf(hung);
    expect(hung.some((c) => c.childPids.length > 0)).toBe(true);
    expect(await waitUntilDead(pids)).toEqual([]);
  });

  it("'Tools not running' is retried", async () => {
    sim.setFaults({
      vms: { "k8s-m1": { ip: "10.10.0.52" } },
      commands: {
        getGuestIPAddress: {
          "k8s-m1": {
            fail: `Error: The VMware Tools are not running in the virtual machine: ${vmx}`,
            times: 1,
          },
        },
      },
    });
    await driver.start(vmx);
    expect(await lookupGuestIp(driver, query())).toEqual({ ip: "10.10.0.52", state: "running", detail: "" });
    expect(
      sim
        .calls()
        .filter((c) => c.command === "getGuestIPAddress")
        .map((c) => c.exitCode),
    ).toEqual([255, 0]);
  });

  it("an unreadable answer is retried", async () => {
    sim.setFaults({
      vms: { "k8s-m1": { ip: "10.10.0.52" } },
      commands: { getGuestIPAddress: { "k8s-m1": { answer: "unknown\n", times: 2 } } },
    });
    await driver.start(vmx);
    expect(await lookupGuestIp(driver, query())).toEqual({ ip: "10.10.0.52", state: "running", detail: "" });
    expect(
      sim
        .calls()
        .filter((c) => c.command === "getGuestIPAddress")
        .map((c) => c.stdout),
    ).toEqual(["unknown\n", "unknown\n", "10.10.0.52\n"]);
  });

  it("a VM that powers off during the lookup answers off", async () => {
    await driver.start(vmx);
    sim.setFaults({
      commands: {
        getGuestIPAddress: { "k8s-m1": { fail: `Error: The virtual machine is not powered on: ${vmx}` } },
      },
    });
    expect(await lookupGuestIp(driver, query())).toEqual({
      ip: "",
      state: "off",
      detail: "the VM stopped while its IP was looked up",
    });
  });
});

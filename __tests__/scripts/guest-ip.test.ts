import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runWithDeadline, RunResult } from "../../lib/process/run-with-deadline";
import { makeTempProjectRoot, REPO_ROOT } from "../../test-support/run-entry";
import { createVmrunSim, VmrunSim, writeTestVmx } from "../../test-support/vmrun-sim";

const NAME = "k8s-m1";
const VMS = "VMs/k8s_cluster";
const VMX = `${VMS}/${NAME}.vmwarevm/${NAME}.vmx`;
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

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

/** The query Terraform's external data source sends: every value a string. */
const QUERY = {
  vm_name: NAME,
  vms_dir: VMS,
  vmx_path: VMX,
  networks: "10.10.0.0/24,192.168.68.0/24",
  exclude: "192.168.68.210,10.10.0.100",
  timeout_seconds: "2",
};

/** Runs the entry as Terraform does: cwd = project root, the query on stdin (run-entry's helpers close stdin). */
function guestIp(stdin: string | Record<string, unknown>): Promise<RunResult> {
  return runWithDeadline(TSX, [path.join(REPO_ROOT, "scripts", "guest-ip.ts")], {
    cwd: root,
    env: { PATH: sim.env.PATH, HOME: process.env.HOME, VMRUN: sim.binary, VMRUN_SIM_STATE: sim.stateDir },
    input: typeof stdin === "string" ? stdin : JSON.stringify(stdin),
    timeoutMs: 30_000,
  });
}

async function answer(stdin: Record<string, unknown>): Promise<unknown> {
  const r = await guestIp(stdin);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  expect(r.stdout.endsWith("\n")).toBe(true);
  return JSON.parse(r.stdout);
}

function powerOn(): void {
  const r = spawnSync(sim.binary, ["-T", "ws", "start", vmxAbs, "nogui"], { env: sim.env, encoding: "utf8" });
  expect(r.status).toBe(0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

async function waitUntilDead(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 100 && pids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isAlive);
}

describe("guest-ip", () => {
  it("an off VM answers ip \"\" state off at once, after only a list", async () => {
    expect(await answer(QUERY)).toEqual({ ip: "", state: "off", detail: "the VM is not running" });
    expect(sim.calls().map((c) => c.command)).toEqual(["list"]);
  });

  it("a missing .vmx answers state absent without calling vmrun", async () => {
    fs.rmSync(path.join(root, "VMs"), { recursive: true });
    expect(await answer(QUERY)).toEqual({ ip: "", state: "absent", detail: `${vmxAbs} does not exist` });
    expect(sim.calls()).toEqual([]);
  });

  it("a running VM answers its IP", async () => {
    sim.setFaults({ vms: { [NAME]: { ip: "192.168.68.31" } } });
    powerOn();
    expect(await answer(QUERY)).toEqual({ ip: "192.168.68.31", state: "running", detail: "" });
    expect(sim.calls().filter((c) => c.command === "getGuestIPAddress").map((c) => c.argv.slice(2))).toEqual([["getGuestIPAddress", vmxAbs, "-wait"]]);
  });

  it("a running VM reporting only a VIP answers no-ip, never the VIP", async () => {
    sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.100" } } });
    powerOn();
    expect(await answer(QUERY)).toEqual({ ip: "", state: "no-ip", detail: "VMware Tools reported 10.10.0.100 is a VIP, not the guest's own address" });
  });

  it("a running VM without an IP answers no-ip with exit 0 when timeout_seconds runs out", async () => {
    sim.setFaults({ vms: { [NAME]: { ip: "" } } });
    powerOn();
    expect(await answer(QUERY)).toEqual({ ip: "", state: "no-ip", detail: "VMware Tools did not report an address yet" });
    const asks = sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(await waitUntilDead(asks.map((c) => c.pid))).toEqual([]);
  });

  it("a hung getGuestIPAddress is cut at the budget, with its whole process group", async () => {
    sim.setFaults({ commands: { getGuestIPAddress: { [NAME]: { hang: "with-child" } } } });
    powerOn();
    expect(await answer(QUERY)).toMatchObject({ ip: "", state: "no-ip" });
    const hung = sim.calls().filter((c) => c.command === "getGuestIPAddress");
    expect(hung.length).toBeGreaterThan(0);
    expect(hung.every((c) => c.exitCode === null && c.childPids.length === 1)).toBe(true);
    expect(await waitUntilDead(hung.flatMap((c) => [c.pid, ...c.childPids]))).toEqual([]);
  });

  it("a hung list is cut at the budget too (not the driver's default deadline) and fails with a message", async () => {
    sim.setFaults({ commands: { list: { "*": { hang: true } } } });
    const r = await guestIp({ ...QUERY, timeout_seconds: "1" });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^guest-ip: vmrun list did not answer within 1 s and was stopped/);
    const lists = sim.calls().filter((c) => c.command === "list");
    expect(lists.length).toBeGreaterThan(0);
    expect(await waitUntilDead(lists.map((c) => c.pid))).toEqual([]);
  });

  it("an empty exclude list is fine", async () => {
    sim.setFaults({ vms: { [NAME]: { ip: "10.10.0.100" } } });
    powerOn();
    expect(await answer({ ...QUERY, exclude: "" })).toEqual({ ip: "10.10.0.100", state: "running", detail: "" });
  });

  it.each([
    ["not JSON", "vm please", /stdin is not a JSON object/],
    ["empty", "", /stdin is not a JSON object/],
    ["null", "null", /stdin is not a JSON object/],
    ["an array", "[]", /stdin is not a JSON object/],
    ["a string", '"k8s-m1"', /stdin is not a JSON object/],
    ["without vmx_path", JSON.stringify({ ...QUERY, vmx_path: undefined }), /query\.vmx_path is missing/],
    ["without networks", JSON.stringify({ ...QUERY, networks: "" }), /query\.networks is missing/],
    ["a bad network", JSON.stringify({ ...QUERY, networks: "10.10.0.0/33" }), /query\.networks: not an IPv4 CIDR block/],
    ["a bad exclude", JSON.stringify({ ...QUERY, exclude: "vip" }), /query\.exclude: "vip" is not an IPv4 address/],
    ["timeout_seconds 0", JSON.stringify({ ...QUERY, timeout_seconds: "0" }), /query\.timeout_seconds="0" must be 1\.\.3600/],
    ["timeout_seconds not a number", JSON.stringify({ ...QUERY, timeout_seconds: "soon" }), /query\.timeout_seconds="soon" must be 1\.\.3600/],
  ])("malformed input (%s) exits 1 with a message on stderr", async (_what, stdin, message) => {
    powerOn();
    const r = await guestIp(stdin);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^guest-ip: .+\n$/);
    expect(r.stderr).toMatch(message);
    expect(sim.calls().map((c) => c.command)).toEqual(["start"]);
  });

  it("a vms_dir outside the project exits 1 naming it", async () => {
    const r = await guestIp({ ...QUERY, vms_dir: "../VMs" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^guest-ip: query\.vms_dir="\.\.\/VMs" resolves to .* outside/);
    expect(sim.calls()).toEqual([]);
  });

  it.each([
    ["climbing out of vms_dir", `${VMS}/../other.vmx`],
    ["absolute, elsewhere", "/etc/k8s-m1.vmx"],
    ["outside the project", "../k8s-m1.vmx"],
  ])("a vmx_path %s exits 1 without calling vmrun", async (_what, vmx) => {
    const r = await guestIp({ ...QUERY, vmx_path: vmx });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^guest-ip: query\.vmx_path=.* resolves to .* outside .*\n$/);
    expect(sim.calls()).toEqual([]);
  });
});

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline, RunResult } from "../../lib/runtime/process/run-with-deadline";
import { createVmrunSim, pidsOf, VmrunSim, writeTestVmx } from "../../test-support/vmrun-sim";

let sim: VmrunSim;
let dir: string;

beforeEach(() => {
  sim = createVmrunSim();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmrun-sim-test-"));
});

afterEach(() => {
  sim.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `vmrun` found through PATH, as the product's scripts would. */
function vmrun(args: string[], env: NodeJS.ProcessEnv = sim.env): Promise<RunResult> {
  return runWithDeadline("vmrun", args, { timeoutMs: 15_000, env });
}

async function ok(args: string[]): Promise<string> {
  const r = await vmrun(args);
  expect({ code: r.code, stdout: r.stdout }).toEqual({
    code: 0,
    stdout: expect.not.stringMatching(/^Error:/),
  });
  return r.stdout;
}

describe("argument syntax", () => {
  it("accepts leading -T and auth flags and case-insensitive commands", async () => {
    const r = await vmrun(["-T", "fusion", "-vp", "pw", "-gu", "user", "-gp", "guestpw", "LIST"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Total running VMs: 0\n");
    const r2 = await vmrun(["list"]);
    expect(r2.stdout).toBe("Total running VMs: 0\n");
  });

  it("reports an unknown command on stdout with exit 255", async () => {
    const r = await vmrun(["-T", "fusion", "frobnicate", "/x.vmx"]);
    expect(r.code).toBe(255);
    expect(r.stdout).toBe("Error: Unrecognized command: frobnicate\n");
    expect(r.stderr).toBe("");
  });

  it("treats auth flags after the command as parameters, not flags", async () => {
    const r = await vmrun(["list", "-T", "fusion"]);
    expect(r.code).toBe(255);
    expect(r.stdout).toMatch(/^Error: Invalid number of arguments for command: list/);
  });

  it("rejects an unknown host type", async () => {
    const r = await vmrun(["-T", "esxi", "list"]);
    expect(r.code).toBe(255);
    expect(r.stdout).toMatch(/^Error: Invalid host type: esxi/);
  });

  it("rejects wrong arity", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    const missingVm = await vmrun(["-T", "fusion", "start"]);
    expect([missingVm.code, missingVm.stdout]).toEqual([255, "Error: No Vm name provided\n"]);
    const missingName = await vmrun(["-T", "fusion", "snapshot", vmxPath]);
    expect([missingName.code, missingName.stdout]).toEqual([
      255,
      "Error: Invalid number of arguments for command: snapshot\n",
    ]);
    const tooMany = await vmrun(["-T", "fusion", "pause", vmxPath, "extra"]);
    expect(tooMany.code).toBe(255);
  });

  it("rejects a bad option word", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    const r = await vmrun(["-T", "fusion", "start", vmxPath, "headless"]);
    expect([r.code, r.stdout]).toEqual([255, "Error: Invalid argument: headless\n"]);
  });

  it("prints usage and exits 255 without a command", async () => {
    const r = await vmrun(["-T", "fusion"]);
    expect(r.code).toBe(255);
    expect(r.stdout).toMatch(/^vmrun version .*\n\nUsage: vmrun/);
  });

  it("refuses to run without VMRUN_SIM_STATE", async () => {
    const env = { ...sim.env };
    delete env.VMRUN_SIM_STATE;
    const r = await vmrun(["list"], env);
    expect(r.code).toBe(255);
    expect(r.stdout).toMatch(/^Error: VMRUN_SIM_STATE is not set/);
  });

  it("cannot open a relative or missing vmx", async () => {
    const rel = await vmrun(["-T", "fusion", "start", "vm1.vmx"]);
    expect(rel.stdout).toBe("Error: Cannot open VM: vm1.vmx, The virtual machine cannot be found\n");
    const missing = path.join(dir, "nope.vmx");
    const r = await vmrun(["-T", "fusion", "stop", missing]);
    expect([r.code, r.stdout]).toEqual([
      255,
      `Error: Cannot open VM: ${missing}, The virtual machine cannot be found\n`,
    ]);
  });

  it("logs every call with argv, pid and exit code", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await vmrun(["-T", "fusion", "start", vmxPath, "nogui"]);
    await vmrun(["bogus"]);
    const calls = sim.calls();
    expect(calls.map((c) => [c.command, c.vmx, c.exitCode])).toEqual([
      ["start", vmxPath, 0],
      ["bogus", null, 255],
    ]);
    expect(calls[0].argv).toEqual(["-T", "fusion", "start", vmxPath, "nogui"]);
    expect(calls[0].pid).toBeGreaterThan(0);
  });
});

describe("start validates the vmx", () => {
  it("names a missing required key and leaves the VM off", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1", { extraKeys: { memsize: null, "msg.autoanswer": null } });
    const r = await vmrun(["-T", "fusion", "start", vmxPath, "nogui"]);
    expect(r.code).toBe(255);
    expect(r.stdout).toMatch(/^Error: Unable to power on the virtual machine/);
    expect(r.stdout).toContain('"memsize" is missing');
    expect(r.stdout).toContain('"msg.autoanswer" is missing');
    expect(sim.vmState(vmxPath)).toBeUndefined();
    expect(await ok(["list"])).toBe("Total running VMs: 0\n");
  });

  it("needs a present network adapter", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1", { extraKeys: { "ethernet0.present": "FALSE" } });
    const r = await vmrun(["start", vmxPath]);
    expect(r.stdout).toContain("no network adapter");
  });

  it("names a missing disk and a missing ISO by absolute path", async () => {
    const { vmxPath, diskPath, isoPath } = writeTestVmx(dir, "vm1", { iso: true });
    fs.rmSync(diskPath!);
    fs.rmSync(isoPath!);
    const r = await vmrun(["start", vmxPath, "nogui"]);
    expect(r.code).toBe(255);
    expect(r.stdout).toContain(`file not found: ${diskPath} (scsi0:0.fileName)`);
    expect(r.stdout).toContain(`file not found: ${isoPath} (sata0:1.fileName)`);
  });

  it("starts a complete VM with disk and ISO", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1", { iso: true });
    await ok(["-T", "fusion", "start", vmxPath, "nogui"]);
    expect(sim.vmState(vmxPath)?.power).toBe("on");
    expect(await ok(["list"])).toBe(`Total running VMs: 1\n${vmxPath}\n`);
  });
});

describe("power", () => {
  it("start, already running, stop, not powered on", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await ok(["start", vmxPath, "nogui"]);
    const again = await vmrun(["start", vmxPath, "nogui"]);
    expect([again.code, again.stdout]).toEqual([255, "Error: The virtual machine is already running\n"]);
    await ok(["stop", vmxPath, "hard"]);
    expect(sim.vmState(vmxPath)?.power).toBe("off");
    const r = await vmrun(["stop", vmxPath, "hard"]);
    expect([r.code, r.stdout]).toEqual([255, `Error: The virtual machine is not powered on: ${vmxPath}\n`]);
  });

  it("soft stop needs Tools", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ vms: { vm1: { toolsDelaySeconds: 3600 } } });
    await ok(["start", vmxPath]);
    const r = await vmrun(["stop", vmxPath, "soft"]);
    expect(r.stdout).toBe(`Error: The VMware Tools are not running in the virtual machine: ${vmxPath}\n`);
    expect(sim.vmState(vmxPath)?.power).toBe("on");
  });

  it("suspend, pause and unpause change the power state", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await ok(["start", vmxPath]);
    await ok(["pause", vmxPath]);
    expect(sim.vmState(vmxPath)?.power).toBe("paused");
    expect(await ok(["list"])).toContain(vmxPath);
    await ok(["unpause", vmxPath]);
    await ok(["suspend", vmxPath, "hard"]);
    expect(sim.vmState(vmxPath)?.power).toBe("suspended");
    expect(await ok(["list"])).toBe("Total running VMs: 0\n");
    await ok(["start", vmxPath]);
    expect(sim.vmState(vmxPath)?.power).toBe("on");
  });
});

describe("snapshots", () => {
  it("records power state, refuses duplicates, lists flat and as a tree, reverts", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await ok(["snapshot", vmxPath, "base"]);
    await ok(["start", vmxPath]);
    await ok(["snapshot", vmxPath, "after boot"]);
    const dup = await vmrun(["snapshot", vmxPath, "base"]);
    expect([dup.code, dup.stdout]).toEqual([255, "Error: A snapshot with the name already exists\n"]);
    expect(await ok(["listSnapshots", vmxPath])).toBe("Total snapshots: 2\nbase\nafter boot\n");
    expect(await ok(["listSnapshots", vmxPath, "showTree"])).toBe("Total snapshots: 2\nbase\n\tafter boot\n");

    await ok(["revertToSnapshot", vmxPath, "base"]);
    expect(sim.vmState(vmxPath)?.power).toBe("off");
    await ok(["revertToSnapshot", vmxPath, "after boot"]);
    expect(sim.vmState(vmxPath)?.power).toBe("on");

    const missing = await vmrun(["revertToSnapshot", vmxPath, "nope"]);
    expect([missing.code, missing.stdout]).toEqual([255, "Error: The snapshot does not exist\n"]);
  });

  it("deleteSnapshot re-parents children, andDeleteChildren removes them", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    for (const n of ["a", "b", "c"]) await ok(["snapshot", vmxPath, n]);
    await ok(["deleteSnapshot", vmxPath, "b"]);
    expect(await ok(["listSnapshots", vmxPath, "showTree"])).toBe("Total snapshots: 2\na\n\tc\n");
    await ok(["deleteSnapshot", vmxPath, "a", "andDeleteChildren"]);
    expect(await ok(["listSnapshots", vmxPath])).toBe("Total snapshots: 0\n");
    expect((await vmrun(["deleteSnapshot", vmxPath, "a"])).stdout).toBe(
      "Error: The snapshot does not exist\n",
    );
  });
});

describe("guest", () => {
  it("derives the IP from the custom NIC's MAC, honours VMRUN_SIM_SUBNET and an ip fault", async () => {
    const { vmxPath, mac } = writeTestVmx(dir, "vm1");
    const off = await vmrun(["getGuestIPAddress", vmxPath]);
    expect(off.stdout).toBe(`Error: The virtual machine is not powered on: ${vmxPath}\n`);
    await ok(["start", vmxPath]);
    const bytes = mac.split(":").map((h) => parseInt(h, 16));
    const host = 128 + ((bytes[4] * 256 + bytes[5]) % 127);
    expect(await ok(["getGuestIPAddress", vmxPath])).toBe(`10.10.0.${host}\n`);
    const other = await vmrun(["getGuestIPAddress", vmxPath], {
      ...sim.env,
      VMRUN_SIM_SUBNET: "192.168.100.0/24",
    });
    expect(other.stdout).toBe(`192.168.100.${host}\n`);
    sim.setFaults({ vms: { vm1: { ip: "10.10.0.42" } } });
    expect(await ok(["getGuestIPAddress", vmxPath, "-wait"])).toBe("10.10.0.42\n");
  });

  it("reports Tools not running until toolsDelaySeconds has passed; -wait blocks until then", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ vms: { "*": { toolsDelaySeconds: 3600 } } });
    await ok(["start", vmxPath]);
    expect(await ok(["checkToolsState", vmxPath])).toBe("installed\n");
    const early = await vmrun(["getGuestIPAddress", vmxPath]);
    expect(early.stdout).toBe(`Error: The VMware Tools are not running in the virtual machine: ${vmxPath}\n`);
    const waiting = vmrun(["getGuestIPAddress", vmxPath, "-wait"]);
    const inFlight = await sim.waitForCall((c) => c.argv.includes("-wait"));
    expect(inFlight.exitCode).toBeNull();
    sim.setFaults({ vms: { "*": { toolsDelaySeconds: 0 } } }); // Tools "come up" now
    const waited = await waiting;
    expect([waited.code, waited.stdout]).toEqual([0, expect.stringMatching(/^10\.10\.0\.\d+\n$/)]);
    expect(await ok(["checkToolsState", vmxPath])).toBe("running\n");
  });

  it("readVariable answers runtimeConfig from the vmx and guestVar ip from Tools", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await ok(["start", vmxPath]);
    expect(await ok(["readVariable", vmxPath, "runtimeConfig", "displayname"])).toBe("vm1\n");
    expect(await ok(["readVariable", vmxPath, "guestVar", "ip"])).toMatch(/^10\.10\.0\.\d+\n$/);
    expect(await ok(["readVariable", vmxPath, "guestEnv", "HOME"])).toBe("\n");
  });
});

describe("deleteVM and clone", () => {
  it("refuses a running VM, then removes the VM's files and leaves others", async () => {
    const { vmxPath, diskPath, isoPath } = writeTestVmx(dir, "vm1", { iso: true });
    const base = vmxPath.replace(/\.vmx$/, "");
    for (const ext of [".vmsd", ".nvram", ".vmxf"]) fs.writeFileSync(`${base}${ext}`, "");
    fs.writeFileSync(path.join(dir, "vmware.log"), "log");
    fs.writeFileSync(path.join(dir, "user-data"), "#cloud-config\n");
    await ok(["start", vmxPath]);
    const running = await vmrun(["deleteVM", vmxPath]);
    expect(running.code).toBe(255);
    expect(running.stdout).toMatch(/^Error: The virtual machine should not be powered on/);
    await ok(["stop", vmxPath, "hard"]);
    await ok(["snapshot", vmxPath, "base"]);
    await ok(["deleteVM", vmxPath]);
    expect(fs.readdirSync(dir).sort()).toEqual(["user-data"]);
    expect(sim.vmState(vmxPath)).toBeUndefined();
    expect([diskPath, isoPath].some((p) => fs.existsSync(p!))).toBe(false);
  });

  it("removes the folder when it became empty", async () => {
    const vmDir = path.join(dir, "vm1.vmwarevm");
    const { vmxPath } = writeTestVmx(vmDir, "vm1");
    await ok(["deleteVM", vmxPath]);
    expect(fs.existsSync(vmDir)).toBe(false);
  });

  it("clone full copies the disk and renames the VM", async () => {
    const { vmxPath } = writeTestVmx(path.join(dir, "src"), "src");
    const dst = path.join(dir, "dst", "dst.vmx");
    await ok(["clone", vmxPath, dst, "full", "-cloneName=copy"]);
    const text = fs.readFileSync(dst, "utf8");
    expect(text).toContain('displayName = "copy"');
    expect(fs.existsSync(path.join(dir, "dst", "src.vmdk"))).toBe(true);
    await ok(["start", dst]);
    const noSnap = await vmrun([
      "clone",
      vmxPath,
      path.join(dir, "d2", "d2.vmx"),
      "linked",
      "-snapshot",
      "nope",
    ]);
    expect(noSnap.stdout).toBe("Error: The snapshot does not exist\n");
  });
});

describe("faults", () => {
  it("fail, exitZeroWithError and answer print the given text; times limits them", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({
      commands: {
        start: { vm1: { fail: "Error: Insufficient permissions in host operating system", times: 1 } },
        LIST: { "*": { exitZeroWithError: "Error: Unable to connect to host." } },
        checkToolsState: { "*": { answer: "weird\n" } },
      },
    });
    const first = await vmrun(["start", vmxPath]);
    expect([first.code, first.stdout]).toEqual([
      255,
      "Error: Insufficient permissions in host operating system\n",
    ]);
    expect(sim.vmState(vmxPath)).toBeUndefined();
    await ok(["start", vmxPath]);
    const list = await vmrun(["list"]);
    expect([list.code, list.stdout]).toEqual([0, "Error: Unable to connect to host.\n"]);
    expect((await vmrun(["checkToolsState", vmxPath])).stdout).toBe("weird\n");
  });

  it("a named VM's entry overrides the '*' entry", async () => {
    const a = writeTestVmx(dir, "a").vmxPath;
    const b = writeTestVmx(dir, "b").vmxPath;
    sim.setFaults({ vms: { "*": { ip: "10.10.0.200" }, b: { ip: "10.10.0.201" } } });
    await ok(["start", a]);
    await ok(["start", b]);
    expect(await ok(["getGuestIPAddress", a])).toBe("10.10.0.200\n");
    expect(await ok(["getGuestIPAddress", b])).toBe("10.10.0.201\n");
  });
});

describe("concurrency", () => {
  it("7 concurrent starts keep a consistent state", async () => {
    const vmxs = Array.from(
      { length: 7 },
      (_, i) => writeTestVmx(path.join(dir, `k8s-node${i}`), `k8s-node${i}`).vmxPath,
    );
    const results = await Promise.all(vmxs.map((v) => vmrun(["-T", "fusion", "start", v, "nogui"])));
    expect(results.map((r) => r.code)).toEqual(vmxs.map(() => 0));
    const listed = (await ok(["list"])).split("\n").filter((l) => l !== "");
    expect(listed[0]).toBe("Total running VMs: 7");
    expect(listed.slice(1).sort()).toEqual([...vmxs].sort());
    for (const v of vmxs) expect(sim.vmState(v)?.power).toBe("on");
    expect(sim.calls().filter((c) => c.command === "start" && c.exitCode === 0)).toHaveLength(7);
  });

  it("7 concurrent snapshots of one VM lose no update", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    const names = Array.from({ length: 7 }, (_, i) => `snap-${i}`);
    const results = await Promise.all(names.map((n) => vmrun(["snapshot", vmxPath, n])));
    expect(results.map((r) => r.code)).toEqual(names.map(() => 0));
    const listed = (await ok(["listSnapshots", vmxPath])).split("\n").filter((l) => l !== "");
    expect(listed[0]).toBe("Total snapshots: 7");
    expect(listed.slice(1).sort()).toEqual(names);
  });

  it("concurrent starts of the same VM: exactly one wins", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    const results = await Promise.all(Array.from({ length: 5 }, () => vmrun(["start", vmxPath])));
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    expect(
      results.filter((r) => r.stdout === "Error: The virtual machine is already running\n"),
    ).toHaveLength(4);
  });
});

describe("jest helpers", () => {
  it("powerOn starts a VM with one call and names the VM when the simulator refuses", () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.powerOn(vmxPath);
    expect(sim.vmState(vmxPath)?.power).toBe("on");
    expect(sim.calls().map((c) => [c.argv, c.exitCode])).toEqual([
      [["-T", "ws", "start", vmxPath, "nogui"], 0],
    ]);
    const other = writeTestVmx(dir, "vm2");
    fs.rmSync(other.diskPath!);
    expect(() => sim.powerOn(other.vmxPath)).toThrow(
      `the simulator did not start ${other.vmxPath} (exit 255)`,
    );
    expect(sim.vmState(other.vmxPath)).toBeUndefined();
  });

  it("waitForCall gives up with an error when no call matches, and pidsOf lists calls with their helpers", async () => {
    await expect(sim.waitForCall((c) => c.command === "start", 200)).rejects.toThrow(
      "the expected vmrun call never happened within 200 ms",
    );
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ commands: { start: { vm1: { hang: "with-child" } } } });
    const hung = vmrun(["start", vmxPath], sim.env);
    const call = await sim.waitForCall((c) => c.command === "start" && c.childPids.length === 1);
    expect(pidsOf([call])).toEqual([call.pid, call.childPids[0]]);
    await ok(["list"]);
    expect(pidsOf(sim.calls())).toEqual([call.pid, call.childPids[0], sim.calls()[1].pid]);
    process.kill(-call.pid, "SIGKILL"); // the hung vmrun leads its own process group (runWithDeadline)
    await hung;
  });
});

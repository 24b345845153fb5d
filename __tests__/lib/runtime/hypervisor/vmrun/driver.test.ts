import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  isNotPoweredOn,
  isSnapshotNotFound,
  isVmNotFound,
} from "../../../../../lib/runtime/hypervisor/errors";
import { VmrunDriver, VmrunError } from "../../../../../lib/runtime/hypervisor/vmrun";
import { waitUntilDead } from "../../../../../test-support/processes";
import { createVmrunSim, pidsOf, VmrunSim, writeTestVmx } from "../../../../../test-support/vmrun-sim";

let sim: VmrunSim;
let dir: string;
let driver: VmrunDriver;

beforeEach(() => {
  sim = createVmrunSim();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmrun-driver-test-"));
  driver = new VmrunDriver({
    binary: sim.binary,
    hostType: "fusion",
    timeoutMs: 15_000,
    cwd: dir,
    env: sim.env,
    retryPauseMs: 10,
  });
});

afterEach(() => {
  sim.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function caught(p: Promise<unknown>): Promise<VmrunError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VmrunError);
  return err as VmrunError;
}

/** The argv after `-T fusion` of each call, in order. */
function argvs(): string[][] {
  return sim.calls().map((c) => {
    expect(c.argv.slice(0, 2)).toEqual(["-T", "fusion"]);
    return c.argv.slice(2);
  });
}

describe("power and list", () => {
  it("start resolves a relative vmx against cwd, passes nogui, and list/isRunning see it", async () => {
    const { vmxPath } = writeTestVmx(dir, "k8s-master1");
    await driver.start("k8s-master1.vmx");
    expect(await driver.listRunning()).toEqual([vmxPath]);
    expect(await driver.isRunning(vmxPath.toUpperCase())).toBe(true);
    expect(await driver.isRunning(path.join(dir, "other.vmx"))).toBe(false);
    expect(argvs()[0]).toEqual(["start", vmxPath, "nogui"]);
    expect(sim.vmState(vmxPath)?.power).toBe("on");
  });

  it("start with gui, then stop, reset, suspend, pause, unpause pass the right words", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await driver.start(vmxPath, { gui: true });
    await driver.pause(vmxPath);
    expect(sim.vmState(vmxPath)?.power).toBe("paused");
    await driver.unpause(vmxPath);
    await driver.reset(vmxPath);
    await driver.suspend(vmxPath);
    expect(sim.vmState(vmxPath)?.power).toBe("suspended");
    await driver.start(vmxPath);
    await driver.stop(vmxPath, "hard");
    expect(sim.vmState(vmxPath)?.power).toBe("off");
    expect(argvs()).toEqual([
      ["start", vmxPath, "gui"],
      ["pause", vmxPath],
      ["unpause", vmxPath],
      ["reset", vmxPath, "hard"],
      ["suspend", vmxPath, "hard"],
      ["start", vmxPath, "nogui"],
      ["stop", vmxPath, "hard"],
    ]);
  });

  it("list with no VMs is empty; an inconsistent answer is bad-output", async () => {
    expect(await driver.listRunning()).toEqual([]);
    sim.setFaults({ commands: { list: { "*": { answer: "Total running VMs: 2\n/a.vmx\n" } } } });
    const err = await caught(driver.listRunning());
    expect(err.kind).toBe("bad-output");
    expect(err.message).toContain("header says 2 running VMs but 1 paths follow");
  });
});

describe("stopIfRunning", () => {
  it("does nothing for a VM that is off, and is idempotent", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    expect(await driver.stopIfRunning(vmxPath)).toBe("not-running");
    await driver.start(vmxPath);
    expect(await driver.stopIfRunning(vmxPath)).toBe("hard");
    expect(await driver.stopIfRunning(vmxPath)).toBe("not-running");
    expect(argvs().filter((a) => a[0] === "stop")).toEqual([["stop", vmxPath, "hard"]]);
  });

  it("tries soft first and falls back to hard when Tools are not running", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ vms: { vm1: { toolsDelaySeconds: 3600 } } });
    await driver.start(vmxPath);
    expect(await driver.stopIfRunning(vmxPath, { softTimeoutMs: 5000 })).toBe("hard");
    expect(argvs().filter((a) => a[0] === "stop")).toEqual([
      ["stop", vmxPath, "soft"],
      ["stop", vmxPath, "hard"],
    ]);
    expect(sim.vmState(vmxPath)?.power).toBe("off");
  });

  it("soft stop succeeds when Tools run; a racing 'not powered on' counts as stopped", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await driver.start(vmxPath);
    expect(await driver.stopIfRunning(vmxPath, { softTimeoutMs: 5000 })).toBe("soft");
    await driver.start(vmxPath);
    sim.setFaults({
      commands: { stop: { vm1: { fail: `Error: The virtual machine is not powered on: ${vmxPath}` } } },
    });
    expect(await driver.stopIfRunning(vmxPath)).toBe("hard");
  });

  it("raises when the hard stop fails and the VM still runs", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await driver.start(vmxPath);
    sim.setFaults({
      commands: { stop: { vm1: { fail: "Error: Insufficient permissions in host operating system" } } },
    });
    const err = await caught(driver.stopIfRunning(vmxPath));
    expect(err.message).toMatch(
      /^vmrun stop vm1 failed: Insufficient permissions in host operating system \(exit 255\); see .*vmware\.log$/,
    );
  });
});

describe("errors from vmrun", () => {
  it("'Error:' with exit 255 raises kind failed", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await driver.start(vmxPath);
    const err = await caught(driver.start(vmxPath));
    expect([err.kind, err.exitCode, err.operation, err.vmName, err.vmx]).toEqual([
      "failed",
      255,
      "start",
      "vm1",
      vmxPath,
    ]);
    expect(err.output).toBe("Error: The virtual machine is already running\n");
    expect(err.message).toBe(
      `vmrun start vm1 failed: The virtual machine is already running (exit 255); see ${path.join(dir, "vmware.log")}`,
    );
  });

  it("'Error:' with exit 0 raises too", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({
      commands: { start: { "*": { exitZeroWithError: "Error: The operation was canceled" } } },
    });
    const err = await caught(driver.start(vmxPath));
    expect([err.kind, err.exitCode]).toEqual(["failed", 0]);
    expect(err.message).toContain("The operation was canceled (exit 0 with an error message)");
  });

  it("an 'Error:' line after other output raises too", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({
      commands: {
        snapshot: { vm1: { answer: "Warning: low disk space\nError: Unable to save snapshot file\n" } },
      },
    });
    const err = await caught(driver.snapshot(vmxPath, "s1"));
    expect([err.kind, err.exitCode]).toEqual(["failed", 0]);
    expect(err.message).toContain(
      "Warning: low disk space Error: Unable to save snapshot file (exit 0 with an error message)",
    );
  });

  it("a missing vmx is reported as such", async () => {
    const missing = path.join(dir, "gone", "gone.vmx");
    const err = await caught(driver.start(missing));
    expect(isVmNotFound(err)).toBe(true);
    expect(err.message).toBe(`vmrun start gone failed: the VM file ${missing} does not exist or is not a VM`);
  });

  it("a vmrun that cannot be started is kind spawn", async () => {
    const broken = new VmrunDriver({ binary: path.join(dir, "no-vmrun"), hostType: "fusion", env: sim.env });
    const err = await caught(broken.start(path.join(dir, "x.vmx")));
    expect(err.kind).toBe("spawn");
    expect(err.message).toContain("install VMware Fusion 13.5 or newer (or set VMRUN=/path/to/vmrun)");
  });
});

describe("deadlines", () => {
  it("a hanging start is killed at the deadline with its whole process group", async () => {
    const { vmxPath } = writeTestVmx(dir, "k8s-master1");
    sim.setFaults({ commands: { start: { "k8s-master1": { hang: "with-child" } } } });
    const err = await caught(driver.start(vmxPath, { timeoutMs: 300 }));
    expect(err.kind).toBe("timeout");
    expect(err.message).toBe(
      "vmrun start k8s-master1 did not answer within 0.3 s and was stopped; the VM may be waiting on a dialog in the " +
        "Fusion window: open Fusion, close any dialog for k8s-master1, then retry",
    );
    const [call] = sim.calls();
    expect(call.exitCode).toBeNull();
    expect(call.childPids).toHaveLength(1);
    expect(await waitUntilDead(pidsOf([call]))).toEqual([]);
    expect(sim.vmState(vmxPath)).toBeUndefined();
  });

  it("getGuestIPAddress -wait returns a late IP", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ vms: { vm1: { ip: "10.10.0.77", ipDelaySeconds: 3600 } } });
    await driver.start(vmxPath);
    const early = await caught(driver.getGuestIPAddress(vmxPath));
    expect(early.message).toBe(
      "vmrun getGuestIPAddress vm1 failed: VMware Tools are not running in vm1 yet; open-vm-tools starts after cloud-init installs it (minutes on first boot)",
    );
    const waiting = driver.getGuestIPAddress(vmxPath, { wait: true, timeoutMs: 10_000 });
    // Only once vmrun is blocked in -wait does the guest get its address.
    await sim.waitForCall((c) => c.argv.includes("-wait"));
    sim.setFaults({ vms: { vm1: { ip: "10.10.0.77", ipDelaySeconds: 0 } } });
    expect(await waiting).toBe("10.10.0.77");
    expect(argvs().at(-1)).toEqual(["getGuestIPAddress", vmxPath, "-wait"]);
    expect(sim.calls().at(-1)?.exitCode).toBe(0);
  });

  it("getGuestIPAddress -wait for a guest that never reports an IP times out and leaves nothing running", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ vms: { vm1: { ip: "" } } });
    await driver.start(vmxPath);
    const err = await caught(driver.getGuestIPAddress(vmxPath, { wait: true, timeoutMs: 400 }));
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(
      /^vmrun getGuestIPAddress vm1 got no IP address within 0\.4 s and was stopped; vm1 may still be booting/,
    );
    expect(await waitUntilDead(pidsOf(sim.calls()))).toEqual([]);
  });
});

describe("read-only retries", () => {
  it("list retries up to two more times after failures", async () => {
    sim.setFaults({ commands: { list: { "*": { fail: "Error: Unable to connect to host.", times: 2 } } } });
    expect(await driver.listRunning()).toEqual([]);
    expect(argvs()).toEqual([["list"], ["list"], ["list"]]);
  });

  it("gives up after three attempts", async () => {
    sim.setFaults({ commands: { list: { "*": { fail: "Error: Unable to connect to host.", times: 5 } } } });
    const err = await caught(driver.listRunning());
    expect(err.message).toBe("vmrun list failed: Unable to connect to host. (exit 255)");
    expect(argvs()).toHaveLength(3);
  });

  it("checkToolsState retries after a timeout", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ commands: { checkToolsState: { vm1: { hang: true, times: 1 } } } });
    expect(await driver.checkToolsState(vmxPath, { timeoutMs: 700 })).toBe("installed");
    expect(sim.calls().map((c) => c.exitCode)).toEqual([null, 0]);
  });

  it("state-changing calls are never retried", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ commands: { start: { vm1: { fail: "Error: Unable to connect to host.", times: 1 } } } });
    await caught(driver.start(vmxPath));
    expect(argvs()).toEqual([["start", vmxPath, "nogui"]]);
  });
});

describe("delete", () => {
  it("deleteVmIfPresent: absent file is a no-op without calling vmrun", async () => {
    expect(await driver.deleteVmIfPresent(path.join(dir, "absent.vmx"))).toBe(false);
    expect(sim.calls()).toEqual([]);
  });

  it("deleteVmIfPresent deletes a present VM; 'cannot be found' from vmrun counts as absent", async () => {
    const { vmxPath, diskPath } = writeTestVmx(dir, "vm1");
    expect(await driver.deleteVmIfPresent(vmxPath)).toBe(true);
    expect([fs.existsSync(vmxPath), fs.existsSync(diskPath!)]).toEqual([false, false]);
    const again = writeTestVmx(dir, "vm2").vmxPath;
    sim.setFaults({
      commands: {
        deleteVM: { vm2: { fail: `Error: Cannot open VM: ${again}, The virtual machine cannot be found` } },
      },
    });
    expect(await driver.deleteVmIfPresent(again)).toBe(false);
  });

  it("deleteVM of a running VM raises", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await driver.start(vmxPath);
    const err = await caught(driver.deleteVM(vmxPath));
    expect(err.kind).toBe("failed");
    expect(fs.existsSync(vmxPath)).toBe(true);
  });
});

describe("snapshots", () => {
  it("snapshot, list, revert and delete with names passed as single argv items", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    const odd = "before kubeadm; rm -rf $HOME";
    await driver.snapshot(vmxPath, "base");
    await driver.start(vmxPath);
    await driver.snapshot(vmxPath, odd);
    expect(await driver.listSnapshots(vmxPath)).toEqual(["base", odd]);
    const again = await caught(driver.snapshot(vmxPath, "base"));
    expect(again).toBeInstanceOf(VmrunError);
    expect((again as VmrunError).output).toMatch(/snapshot with the name already exists/);

    await driver.revertToSnapshot(vmxPath, "base");
    expect(sim.vmState(vmxPath)?.power).toBe("off");
    expect(isSnapshotNotFound(await caught(driver.revertToSnapshot(vmxPath, "missing")))).toBe(true);

    await driver.deleteSnapshot(vmxPath, "base", { andDeleteChildren: true });
    expect(await driver.listSnapshots(vmxPath)).toEqual([]);
    expect(argvs()).toContainEqual(["snapshot", vmxPath, odd]);
    expect(argvs()).toContainEqual(["deleteSnapshot", vmxPath, "base", "andDeleteChildren"]);
  });

  it("listSnapshots tolerates showTree's TAB indentation", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({
      commands: {
        listSnapshots: { vm1: { answer: "Total snapshots: 3\nbase\n\tafter boot\n\t\tk8s ready\n" } },
      },
    });
    expect(await driver.listSnapshots(vmxPath)).toEqual(["base", "after boot", "k8s ready"]);
  });

  it("deleteSnapshot without children flag keeps the children", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    await driver.snapshot(vmxPath, "a");
    await driver.snapshot(vmxPath, "b");
    await driver.deleteSnapshot(vmxPath, "a");
    expect(await driver.listSnapshots(vmxPath)).toEqual(["b"]);
  });
});

describe("guest queries", () => {
  it("getGuestIPAddress returns the trimmed IP; a non-IP answer is bad-output; off is 'not powered on'", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    expect(isNotPoweredOn(await caught(driver.getGuestIPAddress(vmxPath)))).toBe(true);
    await driver.start(vmxPath);
    expect(await driver.getGuestIPAddress(vmxPath)).toMatch(/^10\.10\.0\.(1[2-9]\d|2[0-4]\d|25[0-4])$/);
    sim.setFaults({ commands: { getGuestIPAddress: { vm1: { answer: "unknown\n" } } } });
    const err = await caught(driver.getGuestIPAddress(vmxPath));
    expect(err.kind).toBe("bad-output");
    expect(err.message).toContain(
      'vmrun getGuestIPAddress vm1 gave an answer that cannot be used ("unknown"): expected an IPv4 address',
    );
  });

  it("checkToolsState reports installed, then running", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    expect(await driver.checkToolsState(vmxPath)).toBe("installed");
    await driver.start(vmxPath);
    expect(await driver.checkToolsState(vmxPath)).toBe("running");
  });

  it("readVariable reads runtimeConfig and guestVar", async () => {
    const { vmxPath } = writeTestVmx(dir, "vm1");
    sim.setFaults({ vms: { vm1: { guestVars: { "k8s.role": "control-plane" } } } });
    await driver.start(vmxPath);
    expect(await driver.readVariable(vmxPath, "runtimeConfig", "guestOS")).toBe("ubuntu-64");
    expect(await driver.readVariable(vmxPath, "guestVar", "k8s.role")).toBe("control-plane");
    expect(await driver.readVariable(vmxPath, "guestVar", "unset")).toBe("");
  });
});

describe("fromEnvironment", () => {
  it("uses VMRUN and VMRUN_TIMEOUT_SECONDS", async () => {
    const d = VmrunDriver.fromEnvironment({
      env: { ...sim.env, VMRUN_TIMEOUT_SECONDS: "7" },
      platform: "linux",
      cwd: dir,
    });
    expect([d.binary, d.hostType, d.timeoutMs]).toEqual([sim.binary, "ws", 7000]);
    expect(await d.listRunning()).toEqual([]);
    expect(sim.calls()[0].argv).toEqual(["-T", "ws", "list"]);
  });

  it("rejects a bad VMRUN_TIMEOUT_SECONDS", () => {
    expect(() => VmrunDriver.fromEnvironment({ env: { ...sim.env, VMRUN_TIMEOUT_SECONDS: "soon" } })).toThrow(
      'VMRUN_TIMEOUT_SECONDS="soon" is not a whole number',
    );
  });
});

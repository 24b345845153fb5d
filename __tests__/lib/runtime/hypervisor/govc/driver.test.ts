import {
  isAlreadyRunning,
  isNotPoweredOn,
  isSnapshotNotFound,
  isVmNotFound,
} from "../../../../../lib/runtime/hypervisor/errors";
import { GovcDriver, GovcError, govcEnvironment } from "../../../../../lib/runtime/hypervisor/govc";
import { waitUntilDead } from "../../../../../test-support/processes";
import { createGovcSim, GovcSim, vcsimSite } from "../../../../../test-support/govc-sim";

const FOLDER = "/DC0/vm/k8s-lab";
const PASSWORD = "s3cret-Pa55";
const vmPath = (name: string) => `${FOLDER}/${name}`;

let sim: GovcSim;
let driver: GovcDriver;
/** Calls the setup made, before the test's own. */
let setupCalls: number;

function makeDriver(opts: { timeoutMs?: number; readRetries?: number } = {}): GovcDriver {
  const env = govcEnvironment(vcsimSite(sim.server), {
    PATH: process.env.PATH,
    LAB_GOVC_SIM_STATE: sim.stateDir,
    VSPHERE_USER: "lab-admin",
    VSPHERE_PASSWORD: PASSWORD,
  });
  return new GovcDriver({
    binary: sim.binary,
    env,
    folder: FOLDER,
    timeoutMs: opts.timeoutMs ?? 15_000,
    retryPauseMs: 10,
    readRetries: opts.readRetries ?? 2,
    pollMs: 50,
  });
}

beforeEach(() => {
  sim = createGovcSim();
  sim.requireLogin("lab-admin", PASSWORD);
  sim.cloneVms("k8s-lab", ["gateway1", "k8s-master1"]);
  driver = makeDriver();
  setupCalls = sim.calls().length;
});

afterEach(() => sim.cleanup());

async function caught(p: Promise<unknown>): Promise<GovcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GovcError);
  return err as GovcError;
}

/** The argv of the calls since the setup, in order. */
function argvs(): string[][] {
  return sim
    .calls()
    .slice(setupCalls)
    .map((c) => c.argv);
}

describe("calls and credentials", () => {
  it("spells each operation as govc's argv, with the inventory path last and no credential anywhere on it", async () => {
    await driver.start("gateway1");
    await driver.snapshot(vmPath("gateway1"), "before upgrade; rm -rf /");
    await driver.stopIfRunning(vmPath("gateway1"));
    expect(argvs()).toEqual([
      ["vm.power", "-on", vmPath("gateway1")],
      ["snapshot.tree", "-json", "-D", "-vm", vmPath("gateway1")],
      ["snapshot.create", "-vm", vmPath("gateway1"), "before upgrade; rm -rf /"],
      ["find", "-maxdepth", "1", "-type", "m", FOLDER, "-runtime.powerState", "poweredOn"],
      ["vm.power", "-off", vmPath("gateway1")],
    ]);
    for (const call of sim.calls().slice(setupCalls)) {
      expect(call.argv.join(" ")).not.toContain(PASSWORD);
      expect(call.argv.join(" ")).not.toContain("lab-admin");
      expect(call.env).toEqual({
        GOVC_URL: `https://${sim.server}/sdk`,
        set: ["GOVC_INSECURE", "GOVC_PASSWORD", "GOVC_PERSIST_SESSION", "GOVC_USERNAME"],
      });
    }
  });

  it("fails with a hint naming VSPHERE_USER and VSPHERE_PASSWORD when vSphere refuses the login", async () => {
    sim.requireLogin("lab-admin", "another password");
    const err = await caught(driver.listRunning());
    expect(err.kind).toBe("failed");
    expect(err.message).toBe(
      "govc find failed: ServerFaultCode: Login failure (exit 1); vSphere refused the login: check VSPHERE_USER and VSPHERE_PASSWORD (export them in this shell)",
    );
  });

  it("masks the credentials wherever govc's words would show them", async () => {
    sim.setFaults({
      commands: { "vm.power": { "*": { fail: `Post "https://lab-admin:${PASSWORD}@vc/sdk": EOF` } } },
    });
    const err = await caught(driver.start("gateway1"));
    expect(err.message).toBe(
      'govc vm.power -on gateway1 failed: Post "https://***:***@vc/sdk": EOF (exit 1)',
    );
    expect(err.output).not.toContain(PASSWORD);
  });

  it("says the certificate is not trusted when TLS verification is on and vCenter's certificate is self-signed", async () => {
    const strict = new GovcDriver({
      binary: sim.binary,
      env: govcEnvironment(
        { ...vcsimSite(sim.server), allowUnverifiedSsl: false },
        {
          LAB_GOVC_SIM_STATE: sim.stateDir,
          VSPHERE_USER: "lab-admin",
          VSPHERE_PASSWORD: PASSWORD,
        },
      ),
      folder: FOLDER,
      readRetries: 0,
    });
    const err = await caught(strict.listRunning());
    expect(err.message).toContain("x509: certificate signed by unknown authority");
    expect(err.message).toContain(
      "set vsphere.allowUnverifiedSsl: true in cluster.yaml if you trust this server",
    );
  });
});

describe("power and the folder", () => {
  it("lists the folder's running VMs (not its subfolders'), by inventory path; a bare name resolves into the folder", async () => {
    sim.govc("folder.create", `${FOLDER}/other`);
    sim.govc(
      ...["vm.clone", "-vm", "/DC0/vm/DC0_H0_VM0", "-folder", `${FOLDER}/other`, "-ds", "LocalDS_0"],
      ...["-pool", "/DC0/host/DC0_C0/Resources", "deep"],
    );
    expect(await driver.listRunning()).toEqual([]);
    await driver.start("k8s-master1");
    expect(await driver.listRunning()).toEqual([vmPath("k8s-master1")]);
    expect(await driver.listVms()).toEqual([vmPath("gateway1"), vmPath("k8s-master1")]);
    expect(await driver.isRunning("k8s-master1")).toBe(true);
    expect(await driver.isRunning(vmPath("gateway1"))).toBe(false);
    expect(driver.resolveVm("gateway1")).toBe(vmPath("gateway1"));
  });

  it("a folder that does not exist holds no VM, running or not", async () => {
    const elsewhere = new GovcDriver({
      binary: sim.binary,
      env: govcEnvironment(vcsimSite(sim.server), {
        LAB_GOVC_SIM_STATE: sim.stateDir,
        VSPHERE_USER: "lab-admin",
        VSPHERE_PASSWORD: PASSWORD,
      }),
      folder: "/DC0/vm/never-made",
      readRetries: 0,
    });
    expect(await elsewhere.listRunning()).toEqual([]);
    expect(await elsewhere.listVms()).toEqual([]);
  });

  it("a second start is already-running; stop, suspend and the address of an off VM are not-powered-on", async () => {
    await driver.start("gateway1");
    expect(isAlreadyRunning(await caught(driver.start("gateway1")))).toBe(true);
    await driver.suspend("gateway1");
    expect(sim.vm(vmPath("gateway1"))?.power).toBe("suspended");
    expect(isNotPoweredOn(await caught(driver.suspend("gateway1")))).toBe(true);
    const ip = await caught(driver.getGuestIPAddress("k8s-master1"));
    expect(isNotPoweredOn(ip)).toBe(true);
    expect(ip.message).toBe("govc vm.ip k8s-master1 failed: k8s-master1 is not powered on; start it first");
  });

  it("a VM that is not in the inventory is vm-not-found, not built, and nothing to delete", async () => {
    const err = await caught(driver.start("ghost"));
    expect(isVmNotFound(err)).toBe(true);
    expect(err.message).toBe(`govc vm.power -on ghost failed: there is no VM ${vmPath("ghost")} in vCenter`);
    expect(await driver.isBuilt("ghost")).toBe(false);
    expect(await driver.deleteVmIfPresent("ghost")).toBe(false);
    expect(isVmNotFound(await caught(driver.checkToolsState("ghost")))).toBe(true);
  });

  it("deletes a VM, running or not, and it is gone", async () => {
    await driver.start("gateway1");
    expect(await driver.isBuilt("gateway1")).toBe(true);
    expect(await driver.deleteVmIfPresent("gateway1")).toBe(true);
    expect(await driver.isBuilt("gateway1")).toBe(false);
    expect(await driver.listVms()).toEqual([vmPath("k8s-master1")]);
  });
});

describe("stopIfRunning", () => {
  it("answers not-running for an off VM, and hard-stops without a soft allowance", async () => {
    expect(await driver.stopIfRunning("gateway1")).toBe("not-running");
    await driver.start("gateway1");
    expect(await driver.stopIfRunning("gateway1")).toBe("hard");
    expect(sim.vm(vmPath("gateway1"))?.power).toBe("poweredOff");
  });

  it("asks for a guest shutdown and waits until the guest has powered off", async () => {
    sim.setFaults({ vms: { gateway1: { ip: "10.10.0.11", shutdownDelaySeconds: 0.6 } } });
    await driver.start("gateway1");
    expect(await driver.stopIfRunning("gateway1", { softTimeoutMs: 10_000 })).toBe("soft");
    expect(sim.vm(vmPath("gateway1"))?.power).toBe("poweredOff");
    expect(argvs().some((a) => a[1] === "-off")).toBe(false);
  });

  it("powers off when the guest does not go down within the allowance", async () => {
    sim.setFaults({ vms: { gateway1: { ip: "10.10.0.11", shutdownDelaySeconds: 3600 } } });
    await driver.start("gateway1");
    expect(await driver.stopIfRunning("gateway1", { softTimeoutMs: 500 })).toBe("hard");
    expect(sim.vm(vmPath("gateway1"))?.power).toBe("poweredOff");
  });

  it("powers off when vCenter refuses the guest shutdown because the tools do not run", async () => {
    sim.setFaults({ vms: { gateway1: { shutdownNeedsTools: true } } });
    await driver.start("gateway1");
    expect(await driver.stopIfRunning("gateway1", { softTimeoutMs: 5_000 })).toBe("hard");
    expect(
      argvs()
        .filter((a) => a[0] === "vm.power")
        .map((a) => a[1]),
    ).toEqual(["-on", "-s", "-off"]);
  });
});

describe("snapshots", () => {
  it("lists names oldest first, also across a branch made after a revert", async () => {
    const vm = vmPath("gateway1");
    expect(await driver.listSnapshots(vm)).toEqual([]);
    await driver.snapshot(vm, "a");
    await driver.snapshot(vm, "b");
    await driver.snapshot(vm, "d");
    await driver.revertToSnapshot(vm, "a");
    await driver.snapshot(vm, "c");
    await driver.revertToSnapshot(vm, "b");
    await driver.snapshot(vm, "e");
    // The tree, depth first, is a b d e c; their creation order is a b d c e.
    expect(await driver.listSnapshots(vm)).toEqual(["a", "b", "d", "c", "e"]);
    await driver.deleteSnapshot(vm, "b");
    expect(await driver.listSnapshots(vm)).toEqual(["a", "d", "c", "e"]);
    await driver.deleteSnapshot(vm, "a", { andDeleteChildren: true });
    expect(await driver.listSnapshots(vm)).toEqual([]);
    expect(argvs()).toContainEqual(["snapshot.remove", "-r", "-vm", vm, "a"]);
  });

  it("an unknown, missing or ambiguous name is snapshot-not-found", async () => {
    const vm = vmPath("gateway1");
    expect(isSnapshotNotFound(await caught(driver.revertToSnapshot(vm, "x")))).toBe(true); // no snapshots at all
    await driver.snapshot(vm, "s");
    expect(isSnapshotNotFound(await caught(driver.deleteSnapshot(vm, "x")))).toBe(true);
    // vSphere allows a second snapshot of one name (the driver refuses to take one; someone else may have).
    expect((await caught(driver.snapshot(vm, "s"))).message).toContain(
      "the VM already has a snapshot named s",
    );
    sim.govc("snapshot.create", "-vm", vm, "s");
    const twice = await caught(driver.revertToSnapshot(vm, "s"));
    expect(isSnapshotNotFound(twice)).toBe(true);
    expect(twice.output).toBe('"s" resolves to 2 snapshots\n');
  });

  it("an answer that is not the snapshot tree is bad-output, after the read was retried", async () => {
    sim.setFaults({ commands: { "snapshot.tree": { gateway1: { answer: "a\n  b\n" } } } });
    const err = await caught(driver.listSnapshots("gateway1"));
    expect(err.kind).toBe("bad-output");
    expect(err.message).toBe(
      'govc snapshot.tree gateway1 gave an answer that cannot be used ("a b"): expected JSON',
    );
    expect(argvs().filter((a) => a[0] === "snapshot.tree")).toHaveLength(3);
  });
});

describe("guest", () => {
  it("reports what vcsim reports: tools not installed and no address", async () => {
    await driver.start("gateway1");
    expect(await driver.checkToolsState("gateway1")).toBe("not-installed");
    const err = await caught(driver.getGuestIPAddress("gateway1"));
    expect(err.reason).toBe("tools-not-running");
  });

  it("reads a guest's address at once, or waits for it with vm.ip -wait within the deadline", async () => {
    sim.setFaults({ vms: { gateway1: { ip: "10.10.0.11", ipDelaySeconds: 0.8 } } });
    await driver.start("gateway1");
    expect(await driver.checkToolsState("gateway1")).toBe("running");
    expect((await caught(driver.getGuestIPAddress("gateway1"))).reason).toBe("tools-not-running");
    expect(await driver.getGuestIPAddress("gateway1", { wait: true, timeoutMs: 10_000 })).toBe("10.10.0.11");
    const ipCall = argvs().find((a) => a[0] === "vm.ip")!;
    expect(ipCall.slice(0, 3)).toEqual(["vm.ip", "-v4", "-wait"]);
    expect(Number(/^(\d+)ms$/.exec(ipCall[3])![1])).toBeLessThan(10_000);
    await driver.stopIfRunning("gateway1");
    expect(await driver.checkToolsState("gateway1")).toBe("installed");
  });

  it("a wait that ends without an address is a timeout that says what to check", async () => {
    await driver.start("gateway1");
    const err = await caught(driver.getGuestIPAddress("gateway1", { wait: true, timeoutMs: 1_500 }));
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(
      /^govc vm\.ip gateway1 got no IP address within 1\.5 s; gateway1 may still be booting/,
    );
  });
});

describe("deadlines, retries and a missing govc", () => {
  it("an address wait keeps to its deadline when vCenter hangs (its vm.info is not retried)", async () => {
    sim.setFaults({ commands: { "vm.info": { "*": { hang: true } } } });
    const started = Date.now();
    const err = await caught(driver.getGuestIPAddress("gateway1", { wait: true, timeoutMs: 1_500 }));
    expect(err.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(argvs().filter((a) => a[0] === "vm.info")).toHaveLength(1);
  });

  it("kills a hung govc and every process of its group at the deadline", async () => {
    const d = makeDriver({ timeoutMs: 1_000, readRetries: 0 });
    sim.setFaults({ commands: { "vm.power": { "*": { hang: "with-child" } } } });
    const err = await caught(d.start("gateway1"));
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(/^govc vm\.power -on gateway1 did not answer within 1 s and was stopped/);
    const hung = sim.calls().find((c) => c.command === "vm.power")!;
    expect(await waitUntilDead([hung.pid, ...hung.childPids])).toEqual([]);
  });

  it("retries a read that failed once, and never a change of state", async () => {
    sim.setFaults({
      commands: {
        find: { "*": { fail: "ServerFaultCode: System error", times: 1 } },
        "vm.power": { "*": { fail: "ServerFaultCode: System error", times: 1 } },
      },
    });
    expect(await driver.listRunning()).toEqual([]);
    await caught(driver.start("gateway1"));
    expect(argvs().map((a) => a[0])).toEqual(["find", "find", "vm.power"]);
  });

  it("a govc that cannot be started is a spawn error naming how to install govc", async () => {
    const d = new GovcDriver({ binary: "/nonexistent/govc", env: {}, folder: FOLDER, readRetries: 0 });
    const err = await caught(d.listRunning());
    expect(err.kind).toBe("spawn");
    expect(err.message).toContain("brew install govc");
  });
});

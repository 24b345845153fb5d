import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  isAlreadyRunning,
  isNotPoweredOn,
  isSnapshotNotFound,
  isTimeout,
  isVmNotFound,
} from "../../lib/runtime/hypervisor/errors";
import { HypervisorError } from "../../lib/runtime/hypervisor/errors";
import { Hypervisor } from "../../lib/runtime/hypervisor/hypervisor";
import { GovcDriver, govcEnvironment } from "../../lib/runtime/hypervisor/govc";
import { VmrunDriver } from "../../lib/runtime/hypervisor/vmrun/driver";
import { FakeHypervisor } from "../../test-support/fake-hypervisor";
import { createGovcSim, GovcBackend, vcsimSite } from "../../test-support/govc-sim";
import { requireTools } from "../../test-support/required-tools";
import { startVcsim } from "../../test-support/vcsim";
import { createVmrunSim, writeTestVmx } from "../../test-support/vmrun-sim";

/**
 * The fake keeps the rules the real drivers keep: the same scenarios run against the FakeHypervisor, the
 * VmrunDriver driving the vmrun simulator, the GovcDriver driving the govc double, and (where vcsim is
 * installed) the GovcDriver driving the real govc against vcsim, and must end the same way. A lib test that
 * passes on the fake therefore asks nothing vmrun or govc would refuse.
 */
interface Harness {
  readonly hv: Hypervisor;
  /** Guests report the address addVm gave them; false for vcsim, whose guests never report one. */
  readonly reportsAddresses: boolean;
  /** Registers (builds) a VM; returns its locator. */
  addVm(name: string, ip?: string): string;
  /** A VM that was never built. */
  missing(name: string): string;
  /** The next call of `op` on the VM gets no answer before its deadline, and does nothing (not vcsim). */
  hangNext?(op: string, name: string): void;
  cleanup(): void;
}

function fakeHarness(): Harness {
  const hv = new FakeHypervisor({ timeoutMs: 5_000, cwd: "/vms" });
  return {
    hv,
    reportsAddresses: true,
    addVm: (name, ip) => (
      hv.addVm(`${name}.vmx`, ip !== undefined ? { ip } : {}),
      hv.resolveVm(`${name}.vmx`)
    ),
    missing: (name) => hv.resolveVm(`${name}.vmx`),
    hangNext: (op, name) => hv.failNext(op, { kind: "timeout" }, `${name}.vmx`),
    cleanup: () => undefined,
  };
}

function vmrunHarness(): Harness {
  const sim = createVmrunSim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-contract-"));
  const hv = new VmrunDriver({
    binary: sim.binary,
    hostType: "fusion",
    timeoutMs: 5_000,
    cwd: dir,
    env: sim.env,
    retryPauseMs: 10,
    readRetries: 0,
  });
  // The simulator makes up an address for a guest unless told one, or told it comes only after an hour.
  const guests: Record<string, { ip: string } | { ipDelaySeconds: number }> = {};
  return {
    hv,
    reportsAddresses: true,
    addVm: (name, ip) => {
      guests[name] = ip !== undefined ? { ip } : { ipDelaySeconds: 3600 };
      sim.setFaults({ vms: guests });
      return writeTestVmx(dir, name).vmxPath;
    },
    missing: (name) => path.join(dir, `${name}.vmx`),
    hangNext: (op, name) =>
      sim.setFaults({ vms: guests, commands: { [op]: { [name]: { hang: true, times: 1 } } } }),
    cleanup: () => {
      sim.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The GovcDriver on a backend (the double, or govc and vcsim), with a folder of the test's own; `setIp`
 * gives a guest its address (only the double has guests).
 */
function govcHarness(
  backend: GovcBackend,
  folder: string,
  setIp?: (vm: string, ip: string) => void,
  hang?: (command: string, vm: string) => void,
): Harness {
  const site = vcsimSite(backend.server, folder);
  const hv = new GovcDriver({
    binary: backend.binary,
    env: govcEnvironment(site, { PATH: process.env.PATH, ...backend.env }),
    folder: `/DC0/vm/${folder}`,
    timeoutMs: 5_000,
    retryPauseMs: 10,
    readRetries: 0,
    pollMs: 50,
  });
  backend.cloneVms(folder, []);
  return {
    hv,
    reportsAddresses: setIp !== undefined,
    addVm: (name, ip) => {
      backend.cloneVms(folder, [name]);
      if (ip !== undefined) setIp?.(name, ip);
      return hv.resolveVm(name);
    },
    missing: (name) => hv.resolveVm(name),
    ...(hang !== undefined
      ? { hangNext: (op: string, name: string) => hang(GOVC_COMMAND_OF[op] ?? op, name) }
      : {}),
    cleanup: () => backend.cleanup(),
  };
}

/** The govc command a seam operation runs, where a test makes it hang. */
const GOVC_COMMAND_OF: Record<string, string> = { snapshot: "snapshot.create" };

function govcDoubleHarness(): Harness {
  const sim = createGovcSim();
  const guests: Record<string, { ip: string }> = {};
  return govcHarness(
    sim,
    "contract",
    (vm, ip) => {
      guests[vm] = { ip };
      sim.setFaults({ vms: guests });
    },
    (command, vm) =>
      sim.setFaults({ vms: guests, commands: { [command]: { [vm]: { hang: true, times: 1 } } } }),
  );
}

let vcsimRuns = 0;
async function vcsimHarness(): Promise<Harness> {
  return govcHarness(await startVcsim(), `contract-${++vcsimRuns}`);
}

const vcsim = requireTools("vcsim");

const isToolsNotRunning = (err: unknown) =>
  err instanceof HypervisorError && err.reason === "tools-not-running";

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error("expected the call to fail, and it succeeded"),
    (e: unknown) => e,
  );
}

/** Each harness, and whether it can make a call hang (vcsim cannot). */
const HARNESSES: Array<[string, () => Harness | Promise<Harness>, boolean]> = [
  ["FakeHypervisor", fakeHarness, true],
  ["VmrunDriver + vmrun simulator", vmrunHarness, true],
  ["GovcDriver + govc double", govcDoubleHarness, true],
  ...(vcsim.available
    ? [["GovcDriver + govc and vcsim", vcsimHarness, false] as [string, () => Promise<Harness>, boolean]]
    : []),
];

describe.each(HARNESSES)("hypervisor contract: %s", (_name, make, canHang) => {
  let h: Harness;
  beforeEach(async () => {
    h = await make();
  });
  afterEach(() => h.cleanup());

  it("starts a built VM once, lists it running, and refuses a second start as already running", async () => {
    const vm = h.addVm("m1");
    await h.hv.start(vm);
    expect(await h.hv.isRunning(vm)).toBe(true);
    expect(await h.hv.listRunning()).toEqual([vm]);
    expect(isAlreadyRunning(await failure(h.hv.start(vm)))).toBe(true);
  });

  it("stops a running VM and answers not-running for an off one", async () => {
    const vm = h.addVm("m1");
    await h.hv.start(vm);
    expect(["soft", "hard"]).toContain(await h.hv.stopIfRunning(vm));
    expect(await h.hv.isRunning(vm)).toBe(false);
    expect(await h.hv.stopIfRunning(vm)).toBe("not-running");
  });

  it("refuses to start a VM that was never built, as not found", async () => {
    expect(isVmNotFound(await failure(h.hv.start(h.missing("ghost"))))).toBe(true);
    expect(await h.hv.isBuilt(h.missing("ghost"))).toBe(false);
    expect(await h.hv.deleteVmIfPresent(h.missing("ghost"))).toBe(false);
  });

  it("takes, lists, reverts to and deletes snapshots by name; an unknown name is snapshot-not-found", async () => {
    const vm = h.addVm("m1");
    await h.hv.snapshot(vm, "a");
    await h.hv.snapshot(vm, "b");
    expect(await h.hv.listSnapshots(vm)).toEqual(["a", "b"]);
    await h.hv.revertToSnapshot(vm, "a");
    expect(isSnapshotNotFound(await failure(h.hv.revertToSnapshot(vm, "zz")))).toBe(true);
    expect(isSnapshotNotFound(await failure(h.hv.deleteSnapshot(vm, "zz")))).toBe(true);
    await h.hv.deleteSnapshot(vm, "b");
    expect(await h.hv.listSnapshots(vm)).toEqual(["a"]);
  });

  it("refuses a second snapshot of a name the VM already has, keeping one", async () => {
    const vm = h.addVm("m1");
    await h.hv.snapshot(vm, "a");
    expect(await failure(h.hv.snapshot(vm, "a"))).toBeInstanceOf(Error);
    expect(await h.hv.listSnapshots(vm)).toEqual(["a"]);
  });

  it("brings a VM back by a revert in the power state its snapshot was taken in", async () => {
    const vm = h.addVm("m1", "10.10.0.131");
    await h.hv.snapshot(vm, "off");
    await h.hv.start(vm);
    await h.hv.snapshot(vm, "on");
    await h.hv.revertToSnapshot(vm, "off");
    expect(await h.hv.isRunning(vm)).toBe(false);
    await h.hv.revertToSnapshot(vm, "on");
    expect(await h.hv.isRunning(vm)).toBe(true);
  });

  (canHang ? it : it.skip)(
    "a snapshot call cut off at its deadline before it acted leaves no snapshot",
    async () => {
      const vm = h.addVm("m1");
      h.hangNext?.("snapshot", "m1");
      expect(isTimeout(await failure(h.hv.snapshot(vm, "a", { timeoutMs: 1_500 })))).toBe(true);
      expect(await h.hv.listSnapshots(vm)).toEqual([]);
      await h.hv.snapshot(vm, "a");
      expect(await h.hv.listSnapshots(vm)).toEqual(["a"]);
    },
  );

  it("reports a running guest's address, and not-powered-on for an off VM", async () => {
    const vm = h.addVm("m1", "10.10.0.131");
    expect(isNotPoweredOn(await failure(h.hv.getGuestIPAddress(vm)))).toBe(true);
    await h.hv.start(vm);
    if (h.reportsAddresses) expect(await h.hv.getGuestIPAddress(vm, { wait: true })).toBe("10.10.0.131");
    // vcsim's guests run no tools: the answer says so, it is not an address.
    else expect(isToolsNotRunning(await failure(h.hv.getGuestIPAddress(vm)))).toBe(true);
  });

  it("ends a -wait for an address that never comes at the call's deadline, as a timeout", async () => {
    const vm = h.addVm("m1");
    await h.hv.start(vm);
    expect(isTimeout(await failure(h.hv.getGuestIPAddress(vm, { wait: true, timeoutMs: 1_500 })))).toBe(true);
  });

  it("deletes a stopped VM, which is then gone", async () => {
    const vm = h.addVm("m1");
    expect(await h.hv.isBuilt(vm)).toBe(true);
    expect(await h.hv.deleteVmIfPresent(vm)).toBe(true);
    expect(await h.hv.deleteVmIfPresent(vm)).toBe(false);
  });
});

describe("FakeHypervisor's controls", () => {
  it("fails the next call of an operation as told, once, and records every call", async () => {
    const hv = new FakeHypervisor();
    hv.addVm("/vms/a.vmx");
    hv.failNext("start", { kind: "timeout" });
    expect(isTimeout(await failure(hv.start("/vms/a.vmx")))).toBe(true);
    await hv.start("/vms/a.vmx");
    expect(hv.log()).toEqual(["start a", "start a"]);
  });
});

describe("FakeHypervisor's controls for in-flight calls", () => {
  it("hold() keeps calls of an operation at their start until released, so calls in flight together can be counted", async () => {
    const hv = new FakeHypervisor();
    for (const n of ["a", "b", "c"]) hv.addVm(`/vms/${n}.vmx`);
    const held = hv.hold("snapshot");
    const all = Promise.all(["a", "b", "c"].map((n) => hv.snapshot(`/vms/${n}.vmx`, "s")));
    await held.untilWaiting(3);
    expect(hv.vm("/vms/a.vmx")!.snapshots).toEqual([]); // nothing acted while held
    held.release();
    await all;
    expect(["a", "b", "c"].map((n) => hv.vm(`/vms/${n}.vmx`)!.snapshots)).toEqual([["s"], ["s"], ["s"]]);
  });

  it("untilWaiting fails when fewer calls are ever in flight together (one after another)", async () => {
    const hv = new FakeHypervisor();
    hv.addVm("/vms/a.vmx");
    const held = hv.hold("snapshot");
    const one = hv.snapshot("/vms/a.vmx", "s");
    await expect(held.untilWaiting(2, 100)).rejects.toThrow(
      "only 1 of 2 snapshot calls were ever in flight together",
    );
    held.release();
    await one;
  });

  it("beforeNext changes state under a caller's feet: a VM started by someone else between list and start", async () => {
    const hv = new FakeHypervisor();
    const vm = hv.addVm("/vms/a.vmx");
    expect(await hv.isRunning("/vms/a.vmx")).toBe(false);
    hv.beforeNext("start", () => (vm.running = true));
    expect(isAlreadyRunning(await failure(hv.start("/vms/a.vmx")))).toBe(true);
  });

  it("a timeout after acting does the work and still fails as a timeout (vmrun killed before it answered)", async () => {
    const hv = new FakeHypervisor();
    hv.addVm("/vms/a.vmx");
    hv.failNext("snapshot", { kind: "timeout", acted: true });
    expect(isTimeout(await failure(hv.snapshot("/vms/a.vmx", "s")))).toBe(true);
    expect(await hv.listSnapshots("/vms/a.vmx")).toEqual(["s"]);
  });
});

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
    cleanup: () => backend.cleanup(),
  };
}

function govcDoubleHarness(): Harness {
  const sim = createGovcSim();
  const guests: Record<string, { ip: string }> = {};
  return govcHarness(sim, "contract", (vm, ip) => {
    guests[vm] = { ip };
    sim.setFaults({ vms: guests });
  });
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

const HARNESSES: Array<[string, () => Harness | Promise<Harness>]> = [
  ["FakeHypervisor", fakeHarness],
  ["VmrunDriver + vmrun simulator", vmrunHarness],
  ["GovcDriver + govc double", govcDoubleHarness],
  ...(vcsim.available
    ? [["GovcDriver + govc and vcsim", vcsimHarness] as [string, () => Promise<Harness>]]
    : []),
];

describe.each(HARNESSES)("hypervisor contract: %s", (_name, make) => {
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

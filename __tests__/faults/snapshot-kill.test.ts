/**
 * Fault family: `snapshot create` killed with SIGKILL (its whole process group, no chance to clean up)
 * at each point of its course, with the vmrun simulator holding the VMs. The simulator hangs the call
 * of that point, the test waits until the entry has reached it, and kills. Outcome asserted at every
 * point: `snapshot list` right after is truthful (each set's state and presence are what the VMs hold)
 * and shows at least one whole set; the next `snapshot create` leaves exactly one set, whole, and no
 * stale record. (records.test.ts holds the same points against the in-memory fake.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLUSTER_VMS, CliProject, createCliProject, runCli, startCli } from "../../test-support/cli-project";
import { pidsMentioning, waitUntilDead } from "../../test-support/processes";
import { SimCall, SimFaults } from "../../test-support/vmrun-sim";

let p: CliProject;
beforeEach(() => (p = createCliProject()));
afterEach(() => p.cleanup());

const manifestDir = () => path.join(p.root, "generated", "snapshots");
const snapshotsOf = (vm: string) => p.sim.vmState(p.vmxOf(vm))?.snapshots.map((s) => s.name) ?? [];
const vmOf = (c: SimCall) => path.basename(c.vmx ?? "").replace(/\.vmx$/, "");
const ended = (command: string) => p.sim.calls().filter((c) => c.command === command && c.exitCode === 0);
/** A call of `command` on `vm` for set `set` (the beforeEach's calls for "old" must not count as the run's). */
const started = (command: string, vm: string, set: string) => (c: SimCall) =>
  c.command === command && vmOf(c) === vm && c.argv.includes(set);

interface Listing {
  sets: { name: string; state?: string; presence: Record<string, boolean> }[];
}

/** Runs `snapshot create new` with `faults`, waits until `reached` holds, then SIGKILLs its process group. */
async function killCreateWhen(faults: SimFaults, reached: () => Promise<unknown>): Promise<void> {
  p.sim.setFaults(faults);
  const run = startCli(p, "snapshot", ["create", "new"]);
  await reached();
  process.kill(-run.pid, "SIGKILL");
  const r = await run.done;
  expect(r.signal).toBe("SIGKILL");
  // vmrun runs in process groups of its own, so its calls outlive the entry (as a real vmrun would go on).
  // Hung ones would hang for ever, and one the entry spawned just before the kill may not have read the
  // faults yet: cleared below, it would act after the kill point. End every vmrun of this project's VMs
  // (their argv names them), logged or not, then let the simulator behave.
  const leftovers = pidsMentioning(p.root);
  for (const pid of leftovers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  expect(await waitUntilDead(leftovers)).toEqual([]);
  p.sim.setFaults({});
}

/** `snapshot list` is truthful and shows a whole set; the next create leaves one whole set and one record. */
async function expectTruthfulListThenOneSet(): Promise<Listing> {
  const listed = await runCli(p, "snapshot", ["list", "--json"]);
  expect(listed.code).toBe(0);
  const listing = JSON.parse(listed.stdout) as Listing;
  for (const s of listing.sets) {
    const held = Object.fromEntries(CLUSTER_VMS.map((vm) => [vm, snapshotsOf(vm).includes(s.name)]));
    expect([s.name, s.presence]).toEqual([s.name, held]);
    const whole = Object.values(held).every(Boolean);
    expect([s.name, s.state === "complete"]).toEqual([s.name, whole]);
  }
  expect(listing.sets.some((s) => s.state === "complete")).toBe(true);
  // Every record names a set some VM holds.
  for (const f of fs.readdirSync(manifestDir()).filter((n) => n.endsWith(".json")))
    expect(CLUSTER_VMS.some((vm) => snapshotsOf(vm).includes(f.replace(/\.json$/, "")))).toBe(true);

  const next = await runCli(p, "snapshot", ["create", "next"]);
  expect(next.stderr).not.toMatch(/could not/);
  expect(next.code).toBe(0);
  for (const vm of CLUSTER_VMS) expect([vm, snapshotsOf(vm)]).toEqual([vm, ["next"]]);
  expect(fs.readdirSync(manifestDir())).toEqual(["next.json"]);
  expect(fs.existsSync(path.join(p.root, "generated", "operation.lock"))).toBe(false);
  return listing;
}

const states = (l: Listing) => Object.fromEntries(l.sets.map((s) => [s.name, s.state]));

describe("snapshot create killed with SIGKILL", () => {
  beforeEach(async () => {
    expect((await runCli(p, "snapshot", ["create", "old"])).code).toBe(0);
  });

  it("before any snapshot is taken (every snapshot call hangs)", async () => {
    await killCreateWhen({ commands: { snapshot: { "*": { hang: true } } } }, async () => {
      for (const vm of CLUSTER_VMS) await p.sim.waitForCall(started("snapshot", vm, "new"));
    });
    const listing = await expectTruthfulListThenOneSet();
    expect(states(listing)).toEqual({ old: "complete" });
  });

  it("with the set taken on 2 of 3 VMs", async () => {
    await killCreateWhen({ commands: { snapshot: { "k8s-worker1": { hang: true } } } }, async () => {
      await p.sim.waitForCall(started("snapshot", "k8s-worker1", "new"));
      while (ended("snapshot").filter((c) => c.argv.includes("new")).length < 2)
        await new Promise((r) => setTimeout(r, 25));
    });
    const listing = await expectTruthfulListThenOneSet();
    expect(states(listing)).toEqual({ old: "complete", new: "interrupted" });
  });

  it("right after the last snapshot answered (before or after its record says complete)", async () => {
    await killCreateWhen({ commands: { deleteSnapshot: { "*": { delayMs: 5000 } } } }, async () => {
      while (ended("snapshot").filter((c) => c.argv.includes("new")).length < CLUSTER_VMS.length)
        await new Promise((r) => setTimeout(r, 5));
    });
    const listing = await expectTruthfulListThenOneSet();
    expect(states(listing).new).toBe("complete");
    expect(["complete", "deleting"]).toContain(states(listing).old);
  });

  it("while it pruned the older set (deleted from 2 of 3 VMs)", async () => {
    await killCreateWhen({ commands: { deleteSnapshot: { "k8s-worker1": { hang: true } } } }, async () => {
      await p.sim.waitForCall(started("deleteSnapshot", "k8s-worker1", "old"));
      while (ended("deleteSnapshot").length < 2) await new Promise((r) => setTimeout(r, 25));
    });
    expect(CLUSTER_VMS.map(snapshotsOf)).toEqual([["new"], ["new"], ["old", "new"]]);
    const listing = await expectTruthfulListThenOneSet();
    expect(states(listing)).toEqual({ old: "deleting", new: "complete" });
  });

  it("while it deleted its own partial set again after a VM failed", async () => {
    await killCreateWhen(
      {
        commands: {
          snapshot: { "k8s-worker1": { fail: "Error: Insufficient disk space" } },
          deleteSnapshot: { gateway1: { hang: true } },
        },
      },
      async () => {
        await p.sim.waitForCall(started("deleteSnapshot", "gateway1", "new"));
        while (ended("deleteSnapshot").length < 1) await new Promise((r) => setTimeout(r, 25));
      },
    );
    const listing = await expectTruthfulListThenOneSet();
    expect(states(listing)).toEqual({ old: "complete", new: "interrupted" });
  });
});

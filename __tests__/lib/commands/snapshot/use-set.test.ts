import { parseCidr } from "../../../../lib/model/net/ipv4";
import { createSnapshotSet } from "../../../../lib/commands/snapshot/create-set";
import { deleteSnapshotSet } from "../../../../lib/commands/snapshot/delete-set";
import { listSnapshotSets } from "../../../../lib/commands/snapshot/list-sets";
import { rollbackSnapshotSet } from "../../../../lib/commands/snapshot/rollback-set";
import { CLUSTER, createSnapshotCluster, SnapshotCluster } from "../../../../test-support/snapshot-cluster";

const ALL = CLUSTER.map((c) => c.name);
const TIMEOUT_MS = 2500;
const NETWORKS = [parseCidr("10.10.0.0/24")];
const VIPS = ["10.10.0.100"];
const START_ORDER = [
  "k8s-master1",
  "k8s-master2",
  "k8s-worker1",
  "k8s-worker2",
  "k8s-worker3",
  "k8s-gw1",
  "k8s-gw2",
];

let c: SnapshotCluster;
beforeEach(() => {
  c = createSnapshotCluster();
});
afterEach(() => c.cleanup());

const create = async (name: string, consistent = false) => {
  const r = await createSnapshotSet(c.hv, c.targets, {
    name,
    consistent,
    manifestDir: c.manifestDir,
    timeoutMs: TIMEOUT_MS,
  });
  if (!r.ok) throw new Error(`fixture set ${name} failed: ${JSON.stringify(r.results)}`);
};
const rollback = (name: string, vms?: string[], ipWaitMs = 2000) =>
  rollbackSnapshotSet(c.hv, c.targets, name, {
    manifestDir: c.manifestDir,
    timeoutMs: TIMEOUT_MS,
    vms,
    ipWaitMs,
    networks: NETWORKS,
    exclude: VIPS,
  });
const remove = (name: string, vms?: string[]) =>
  deleteSnapshotSet(c.hv, c.targets, name, { manifestDir: c.manifestDir, timeoutMs: TIMEOUT_MS, vms });
const list = () => listSnapshotSets(c.hv, c.targets, { manifestDir: c.manifestDir, timeoutMs: TIMEOUT_MS });
const same = <T>(value: T) => Object.fromEntries(ALL.map((vm) => [vm, value]));
const powerOn = (vm: string) => (c.hv.vm(c.target(vm).vmx)!.running = true);

describe("listSnapshotSets", () => {
  it("unites records and snapshots found, with presence per VM, and shows a rebuilt VM without its snapshot", async () => {
    await create("base");
    await c.hv.snapshot(c.target("k8s-gw1").vmx, "by-hand");
    c.rebuild("k8s-worker2"); // re-created by a deploy: the record still lists it, the VM no longer has the snapshot
    powerOn("k8s-master1");

    const listing = await list();
    expect(listing.vms).toEqual(
      ALL.map((vm) => ({
        vm,
        power: vm === "k8s-master1" ? "on" : "off",
        snapshots: vm === "k8s-gw1" ? ["base", "by-hand"] : vm === "k8s-worker2" ? [] : ["base"],
      })),
    );
    expect((await c.record("base"))!.vms).toContain("k8s-worker2");
    expect(listing.sets).toEqual([
      {
        name: "base",
        createdAt: expect.any(String),
        result: "complete",
        state: "incomplete",
        presence: { ...same(true), "k8s-worker2": false },
      },
      { name: "by-hand", presence: { ...same(false), "k8s-gw1": true } },
    ]);
  });

  it("leaves a VM whose snapshots cannot be listed out of presence, and says power unknown when list fails", async () => {
    await create("base");
    c.hv.failNext(
      "listSnapshots",
      { kind: "failed", message: "Unable to connect to host" },
      c.target("k8s-worker1").vmx,
    );
    c.hv.failNext("listRunning", { kind: "failed", message: "Unable to connect to host" });
    const listing = await list();
    expect(listing.vms.every((v) => v.power === "unknown")).toBe(true);
    const { "k8s-worker1": _unlisted, ...others } = same(true);
    expect(listing.sets).toEqual([
      {
        name: "base",
        createdAt: expect.any(String),
        result: "complete",
        state: "unverified",
        presence: others,
      },
    ]);
    expect(await c.record("base")).toBeDefined(); // an unlisted VM may hold it: the record stays
  });

  it("drops the record of a set that no VM holds any more (deleted by hand, or every VM rebuilt)", async () => {
    await create("base");
    for (const t of c.targets) await c.hv.deleteSnapshot(t.vmx, "base");
    const listing = await list();
    expect(listing.sets).toEqual([]);
    expect(await c.record("base")).toBeUndefined();
  });
});

describe("rollbackSnapshotSet", () => {
  it("reverts all VMs at once, starts them masters, workers, gateways, and returns their IPs", async () => {
    await create("base"); // taken with every VM off
    for (const vm of ALL) powerOn(vm);
    await c.hv.snapshot(c.target("k8s-worker1").vmx, "later");
    const held = c.hv.hold("revertToSnapshot");
    const pending = rollback("base");
    await held.untilWaiting(7); // every revert in flight together
    held.release();
    const result = await pending;

    expect(result.ok).toBe(true);
    expect(result.results.map((r) => [r.vm, r.outcome])).toEqual(ALL.map((vm) => [vm, "done"]));
    expect(c.vmsCalled("start")).toEqual(START_ORDER);
    const lastRevert = Math.max(...c.hv.calls.flatMap((x, i) => (x.op === "revertToSnapshot" ? [i] : [])));
    expect(c.hv.calls.findIndex((x) => x.op === "start")).toBeGreaterThan(lastRevert);
    expect(result.ips).toEqual(Object.fromEntries(ALL.map((vm) => [vm, c.hv.vm(c.target(vm).vmx)!.ip])));
    for (const vm of ALL) expect(c.running(vm)).toBe(true);
  });

  it("does not start a VM the snapshot brings back running, and rolls back only the chosen VMs", async () => {
    powerOn("k8s-worker1");
    await create("running");
    const mark = c.hv.calls.length;
    const result = await rollback("running", ["k8s-worker1"]);
    const calls = c.hv.calls.slice(mark);
    expect(calls.filter((x) => x.op === "revertToSnapshot").map((x) => x.vm)).toEqual([
      c.target("k8s-worker1").vmx,
    ]);
    expect(calls.filter((x) => x.op === "start")).toEqual([]);
    expect(result).toMatchObject({ ok: true, ips: { "k8s-worker1": "10.10.0.135" } });
    expect(result.results.map((r) => r.vm)).toEqual(["k8s-worker1"]);
  });

  it("after a --consistent set (VMs captured suspended), the rollback starts every VM", async () => {
    for (const vm of ALL) powerOn(vm);
    await create("frozen", true);
    const mark = c.hv.calls.length;
    const result = await rollback("frozen");
    expect(result.ok).toBe(true);
    expect(
      c.hv.calls
        .slice(mark)
        .filter((x) => x.op === "start")
        .map((x) => x.vm),
    ).toEqual(START_ORDER.map((vm) => c.target(vm).vmx));
    for (const vm of ALL) expect([vm, c.running(vm)]).toEqual([vm, true]);
    expect(Object.keys(result.ips)).toHaveLength(7);
  });

  it("refuses before reverting anything when a chosen VM lacks the set, or a VM name is unknown", async () => {
    await create("base");
    c.rebuild("k8s-master2");
    const mark = c.hv.calls.length;
    await expect(rollback("base")).rejects.toThrow(
      "snapshot set base is missing on k8s-master2: nothing was reverted",
    );
    await expect(rollback("base", ["k8s-nope"])).rejects.toThrow(
      "unknown VM k8s-nope: choose among k8s-gw1, k8s-gw2",
    );
    expect(c.hv.calls.slice(mark).filter((x) => x.op !== "listSnapshots")).toEqual([]);
  });

  it("reports a VM whose revert fails, still starting the others", async () => {
    await create("base");
    c.hv.failNext(
      "revertToSnapshot",
      { kind: "failed", message: "Insufficient permissions" },
      c.target("k8s-gw2").vmx,
    );
    const result = await rollback("base");
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-gw2")).toMatchObject({
      outcome: "failed",
      detail: "Insufficient permissions; once fixed, run npm run snapshot -- rollback base --vm k8s-gw2",
    });
    expect(Object.keys(result.ips).sort()).toEqual(ALL.filter((v) => v !== "k8s-gw2").sort());
    expect(c.running("k8s-gw2")).toBe(false);
  });

  it("reports unknown for a VM that gets no IP in time", async () => {
    await create("base");
    c.hv.vm(c.target("k8s-worker3").vmx)!.ip = undefined;
    const result = await rollback("base", ["k8s-worker3", "k8s-worker2"], 300);
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker3")).toMatchObject({
      outcome: "unknown",
      detail: expect.stringContaining("no IP within 0.3 s"),
    });
    expect(Object.keys(result.ips)).toEqual(["k8s-worker2"]);
  });
});

describe("deleteSnapshotSet", () => {
  it("deletes from the chosen VMs, skips VMs without it, and removes the manifest with the last VM", async () => {
    await create("base");
    await create("other"); // keep 1 prunes base
    await create("base2");
    expect(c.snapshotsEverywhere()).toEqual(same(["base2"]));

    const some = await remove("base2", ["k8s-worker1", "k8s-worker2"]);
    expect(some).toEqual({
      set: "base2",
      ok: true,
      results: [
        { vm: "k8s-worker1", outcome: "done", detail: "deleted base2" },
        { vm: "k8s-worker2", outcome: "done", detail: "deleted base2" },
      ],
    });
    expect(c.snapshotsEverywhere()).toEqual({ ...same(["base2"]), "k8s-worker1": [], "k8s-worker2": [] });
    expect((await c.record("base2"))!.vms).toEqual(
      ALL.filter((v) => v !== "k8s-worker1" && v !== "k8s-worker2"),
    );

    const rest = await remove("base2");
    expect(rest.ok).toBe(true);
    expect(rest.results.map((r) => [r.vm, r.outcome])).toEqual(
      ALL.map((vm) => [vm, vm === "k8s-worker1" || vm === "k8s-worker2" ? "skipped" : "done"]),
    );
    expect(c.snapshotsEverywhere()).toEqual(same([]));
    expect(await c.record("base2")).toBeUndefined();
  });

  it("deleting a set that exists nowhere skips every VM and is not an error", async () => {
    const result = await remove("never-made");
    expect(result.ok).toBe(true);
    expect(
      result.results.every((r) => r.outcome === "skipped" && r.detail === "never-made is not present"),
    ).toBe(true);
    expect(c.vmsCalled("deleteSnapshot")).toEqual([]);
  });

  it("a failed delete is reported and the record keeps that VM, as deleting, for the next create or delete", async () => {
    await create("base");
    c.hv.failNext(
      "deleteSnapshot",
      { kind: "failed", message: "Unable to connect to host" },
      c.target("k8s-master1").vmx,
    );
    const result = await remove("base");
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-master1")).toMatchObject({
      outcome: "failed",
      detail: "Unable to connect to host; once fixed, run npm run snapshot -- delete base --vm k8s-master1",
    });
    expect(await c.record("base")).toMatchObject({ result: "deleting", vms: ["k8s-master1"] });
    expect(c.snapshotsEverywhere()).toEqual({ ...same([]), "k8s-master1": ["base"] });
    // The fix the message names works in this state.
    expect((await remove("base", ["k8s-master1"])).ok).toBe(true);
    expect(c.snapshotsEverywhere()).toEqual(same([]));
    expect(await c.record("base")).toBeUndefined();
  });

  it("a delete cut off at its deadline is judged by listing the VM's snapshots", async () => {
    await create("base");
    c.hv.failNext("deleteSnapshot", { kind: "timeout" }, c.target("k8s-gw1").vmx);
    c.hv.failNext("deleteSnapshot", { kind: "timeout", acted: true }, c.target("k8s-gw2").vmx);
    const result = await remove("base");
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-gw1")).toEqual({
      vm: "k8s-gw1",
      outcome: "failed",
      detail:
        "vmrun deleteSnapshot k8s-gw1 did not answer within 2.5 s and was stopped; base is still there: open VMware Fusion, close any dialog or window of k8s-gw1, then run npm run snapshot -- delete base --vm k8s-gw1",
    });
    expect(result.results.find((r) => r.vm === "k8s-gw2")!.detail).toBe(
      "vmrun deleteSnapshot k8s-gw2 did not answer within 2.5 s and was stopped, but base is gone",
    );
    expect(c.snapshotsEverywhere()).toEqual({ ...same([]), "k8s-gw1": ["base"] });
  });
});

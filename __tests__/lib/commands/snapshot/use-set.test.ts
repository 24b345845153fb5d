import { parseCidr } from "../../../../lib/model/net/ipv4";
import { readManifest } from "../../../../lib/commands/snapshot/manifest";
import { createSnapshotSet } from "../../../../lib/commands/snapshot/create-set";
import { deleteSnapshotSet } from "../../../../lib/commands/snapshot/delete-set";
import { listSnapshotSets } from "../../../../lib/commands/snapshot/list-sets";
import { rollbackSnapshotSet } from "../../../../lib/commands/snapshot/rollback-set";
import { waitUntilDead } from "../../../../test-support/processes";
import { CLUSTER, createSnapshotCluster, SnapshotCluster } from "../../../../test-support/snapshot-cluster";
import { pidsOf } from "../../../../test-support/vmrun-sim";

const ALL = CLUSTER.map((c) => c.name);
const TIMEOUT_MS = 8000;
const NETWORKS = [parseCidr("10.10.0.0/24")];
const VIPS = ["10.10.0.100"];

let c: SnapshotCluster;
beforeEach(() => {
  c = createSnapshotCluster();
});
afterEach(() => c.cleanup());

const create = async (name: string) => {
  const r = await createSnapshotSet(c.driver, c.targets, {
    name,
    manifestDir: c.manifestDir,
    timeoutMs: TIMEOUT_MS,
  });
  if (!r.ok) throw new Error(`fixture set ${name} failed: ${JSON.stringify(r.results)}`);
};
const rollback = (name: string, vms?: string[]) =>
  rollbackSnapshotSet(c.driver, c.targets, name, {
    manifestDir: c.manifestDir,
    timeoutMs: TIMEOUT_MS,
    vms,
    ipWaitMs: 10_000,
    networks: NETWORKS,
    exclude: VIPS,
  });
const remove = (name: string, vms?: string[]) =>
  deleteSnapshotSet(c.driver, c.targets, name, { manifestDir: c.manifestDir, timeoutMs: TIMEOUT_MS, vms });
const snapshotsEverywhere = () => Object.fromEntries(ALL.map((vm) => [vm, c.snapshotsOf(vm)]));
const same = <T>(value: T) => Object.fromEntries(ALL.map((vm) => [vm, value]));
const vmOf = (vmx: string | null) => (vmx ?? "").replace(/^.*\/|\.vmx$/g, "");

describe("listSnapshotSets", () => {
  it("unites manifests and snapshots found, with presence per VM, and shows a rebuilt VM without its snapshot", async () => {
    await create("base");
    await c.driver.snapshot(c.target("k8s-gw1").vmx, "by-hand");
    c.rebuild("k8s-worker2"); // re-created by a deploy: the manifest still lists it, the VM no longer has the snapshot
    c.sim.powerOn(c.target("k8s-master1").vmx);

    const listing = await listSnapshotSets(c.driver, c.targets, {
      manifestDir: c.manifestDir,
      timeoutMs: TIMEOUT_MS,
    });
    expect(listing.vms).toEqual(
      ALL.map((vm) => ({
        vm,
        power: vm === "k8s-master1" ? "on" : "off",
        snapshots: vm === "k8s-gw1" ? ["base", "by-hand"] : vm === "k8s-worker2" ? [] : ["base"],
      })),
    );
    expect((await readManifest(c.manifestDir, "base"))!.vms).toContain("k8s-worker2");
    expect(listing.sets).toEqual([
      {
        name: "base",
        createdAt: expect.any(String),
        result: "complete",
        presence: { ...same(true), "k8s-worker2": false },
      },
      { name: "by-hand", presence: { ...same(false), "k8s-gw1": true } },
    ]);
  });

  it("leaves a VM whose snapshots cannot be listed out of presence, and says power unknown when list fails", async () => {
    await create("base");
    c.sim.setFaults({
      commands: {
        listSnapshots: { "k8s-worker1": { fail: "Error: Unable to connect to host." } },
        list: { "*": { fail: "Error: Unable to connect to host." } },
      },
    });
    const listing = await listSnapshotSets(c.driver, c.targets, {
      manifestDir: c.manifestDir,
      timeoutMs: TIMEOUT_MS,
    });
    expect(listing.vms.every((v) => v.power === "unknown")).toBe(true);
    const { "k8s-worker1": _unlisted, ...others } = same(true);
    expect(listing.sets).toEqual([
      { name: "base", createdAt: expect.any(String), result: "complete", presence: others },
    ]);
  });
});

describe("rollbackSnapshotSet", () => {
  it("reverts all VMs at once, starts them masters, workers, gateways, and returns their IPs", async () => {
    await create("base"); // taken with every VM off
    for (const t of c.targets) c.sim.powerOn(t.vmx);
    await c.driver.snapshot(c.target("k8s-worker1").vmx, "later");
    c.sim.setFaults({ commands: { revertToSnapshot: { "*": { delayMs: 1000 } } } });
    const mark = c.sim.calls().length;

    const result = await rollback("base");

    expect(result.ok).toBe(true);
    expect(result.results.map((r) => [r.vm, r.outcome])).toEqual(ALL.map((vm) => [vm, "done"]));
    const calls = c.sim.calls().slice(mark);
    expect(
      calls
        .filter((x) => x.command === "revertToSnapshot")
        .map((x) => vmOf(x.vmx))
        .sort(),
    ).toEqual([...ALL].sort());
    expect(c.allInFlightTogether("revertToSnapshot")).toBe(true);
    const starts = calls.filter((x) => x.command === "start").map((x) => vmOf(x.vmx));
    expect(starts).toEqual([
      "k8s-master1",
      "k8s-master2",
      "k8s-worker1",
      "k8s-worker2",
      "k8s-worker3",
      "k8s-gw1",
      "k8s-gw2",
    ]);
    const lastRevert = Math.max(...calls.flatMap((x, i) => (x.command === "revertToSnapshot" ? [i] : [])));
    expect(calls.findIndex((x) => x.command === "start")).toBeGreaterThan(lastRevert);

    expect(Object.keys(result.ips).sort()).toEqual([...ALL].sort());
    for (const vm of ALL) {
      expect(result.ips[vm]).toMatch(/^10\.10\.0\.\d+$/);
      expect(c.power(vm)).toBe("on");
      expect(c.sim.vmState(c.target(vm).vmx)!.current).toBe("base");
    }
    expect(new Set(Object.values(result.ips)).size).toBe(7);
  });

  it("does not start a VM the snapshot brings back running, and rolls back only the chosen VMs", async () => {
    c.sim.powerOn(c.target("k8s-worker1").vmx);
    await create("running");
    c.sim.setFaults({ vms: { "k8s-worker1": { ip: "10.10.0.77" } } });
    const mark = c.sim.calls().length;

    const result = await rollback("running", ["k8s-worker1"]);
    const calls = c.sim.calls().slice(mark);
    expect(calls.filter((x) => x.command === "revertToSnapshot").map((x) => vmOf(x.vmx))).toEqual([
      "k8s-worker1",
    ]);
    expect(calls.filter((x) => x.command === "start")).toEqual([]);
    expect(result).toMatchObject({ ok: true, ips: { "k8s-worker1": "10.10.0.77" } });
    expect(result.results.map((r) => r.vm)).toEqual(["k8s-worker1"]);
  });

  it("after a --consistent set (VMs captured suspended), the rollback resumes every VM", async () => {
    for (const t of c.targets) c.sim.powerOn(t.vmx);
    const set = await createSnapshotSet(c.driver, c.targets, {
      name: "frozen",
      consistent: true,
      manifestDir: c.manifestDir,
      timeoutMs: TIMEOUT_MS,
    });
    expect(set.ok).toBe(true);
    const mark = c.sim.calls().length;
    const result = await rollback("frozen");
    expect(result.ok).toBe(true);
    expect(
      c.sim
        .calls()
        .slice(mark)
        .filter((x) => x.command === "start")
        .map((x) => vmOf(x.vmx)),
    ).toEqual([
      "k8s-master1",
      "k8s-master2",
      "k8s-worker1",
      "k8s-worker2",
      "k8s-worker3",
      "k8s-gw1",
      "k8s-gw2",
    ]);
    for (const vm of ALL) expect([vm, c.power(vm)]).toEqual([vm, "on"]);
    expect(Object.keys(result.ips)).toHaveLength(7);
  });

  it("refuses before reverting anything when a chosen VM lacks the set, or a VM name is unknown", async () => {
    await create("base");
    c.rebuild("k8s-master2");
    const mark = c.sim.calls().length;
    await expect(rollback("base")).rejects.toThrow(
      "snapshot set base is missing on k8s-master2: nothing was reverted",
    );
    await expect(rollback("base", ["k8s-nope"])).rejects.toThrow(
      "unknown VM k8s-nope: choose among k8s-gw1, k8s-gw2",
    );
    expect(
      c.sim
        .calls()
        .slice(mark)
        .filter((x) => x.command !== "listSnapshots"),
    ).toEqual([]);
  });

  it("reports a VM whose revert fails, still starting the others", async () => {
    await create("base");
    c.sim.setFaults({
      commands: { revertToSnapshot: { "k8s-gw2": { fail: "Error: Insufficient permissions" } } },
    });
    const result = await rollback("base");
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-gw2")).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("Insufficient permissions"),
    });
    expect(Object.keys(result.ips).sort()).toEqual(ALL.filter((v) => v !== "k8s-gw2").sort());
    expect(c.power("k8s-gw2")).toBe("off");
  });

  it("reports unknown for a VM that gets no IP in time", async () => {
    await create("base");
    c.sim.setFaults({ vms: { "k8s-worker3": { ip: "" } } });
    const result = await rollbackSnapshotSet(c.driver, c.targets, "base", {
      manifestDir: c.manifestDir,
      timeoutMs: TIMEOUT_MS,
      vms: ["k8s-worker3", "k8s-worker2"],
      ipWaitMs: 2000,
      networks: NETWORKS,
      exclude: VIPS,
    });
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker3")).toMatchObject({
      outcome: "unknown",
      detail: expect.stringContaining("no IP within 2 s"),
    });
    expect(Object.keys(result.ips)).toEqual(["k8s-worker2"]);
  });
});

describe("deleteSnapshotSet", () => {
  it("deletes from the chosen VMs, skips VMs without it, and removes the manifest with the last VM", async () => {
    await create("base");
    await create("other"); // keep 1 prunes base
    await create("base2");
    expect(snapshotsEverywhere()).toEqual(same(["base2"]));

    const some = await remove("base2", ["k8s-worker1", "k8s-worker2"]);
    expect(some).toEqual({
      set: "base2",
      ok: true,
      results: [
        { vm: "k8s-worker1", outcome: "done", detail: "deleted base2" },
        { vm: "k8s-worker2", outcome: "done", detail: "deleted base2" },
      ],
    });
    expect(snapshotsEverywhere()).toEqual({ ...same(["base2"]), "k8s-worker1": [], "k8s-worker2": [] });
    expect((await readManifest(c.manifestDir, "base2"))!.vms).toEqual(
      ALL.filter((v) => v !== "k8s-worker1" && v !== "k8s-worker2"),
    );

    const rest = await remove("base2");
    expect(rest.ok).toBe(true);
    expect(rest.results.map((r) => [r.vm, r.outcome])).toEqual(
      ALL.map((vm) => [vm, vm === "k8s-worker1" || vm === "k8s-worker2" ? "skipped" : "done"]),
    );
    expect(snapshotsEverywhere()).toEqual(same([]));
    expect(await readManifest(c.manifestDir, "base2")).toBeUndefined();
  });

  it("deleting a set that exists nowhere skips every VM and is not an error", async () => {
    const result = await remove("never-made");
    expect(result.ok).toBe(true);
    expect(
      result.results.every((r) => r.outcome === "skipped" && r.detail === "never-made is not present"),
    ).toBe(true);
    expect(c.callsOf("deleteSnapshot")).toEqual([]);
  });

  it("a failed delete is reported and the manifest keeps that VM", async () => {
    await create("base");
    c.sim.setFaults({
      commands: { deleteSnapshot: { "k8s-master1": { fail: "Error: Unable to connect to host." } } },
    });
    const result = await remove("base");
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-master1")).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("retry snapshot delete base --vm k8s-master1"),
    });
    expect((await readManifest(c.manifestDir, "base"))!.vms).toEqual(["k8s-master1"]);
    expect(snapshotsEverywhere()).toEqual({ ...same([]), "k8s-master1": ["base"] });
  });

  it("a hung delete is killed at the deadline and judged by listSnapshots", async () => {
    await create("base");
    c.sim.setFaults({ commands: { deleteSnapshot: { "k8s-gw1": { hang: "with-child" } } } });
    const result = await deleteSnapshotSet(c.driver, c.targets, "base", {
      manifestDir: c.manifestDir,
      timeoutMs: 2500,
    });
    expect(await waitUntilDead(pidsOf(c.callsOf("deleteSnapshot")))).toEqual([]);
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-gw1")).toEqual({
      vm: "k8s-gw1",
      outcome: "failed",
      detail:
        "vmrun deleteSnapshot k8s-gw1 did not answer within 2.5 s and was stopped; base is still there: open VMware Fusion, close any dialog or window of k8s-gw1, then retry",
    });
    expect(snapshotsEverywhere()).toEqual({ ...same([]), "k8s-gw1": ["base"] });
  });
});

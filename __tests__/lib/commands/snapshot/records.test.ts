/**
 * Set records that stay true across a kill. A run is "killed" here by holding its hypervisor calls at a
 * point and abandoning them (they never return): what the records and the VMs hold then is what a run
 * killed there leaves (the real SIGKILL of the entry is __tests__/faults/snapshot-kill.test.ts). After
 * each, list must be truthful and show a whole set, and the next create must leave exactly one whole set
 * and no stale record.
 */
import * as fs from "node:fs";
import { createSnapshotSet } from "../../../../lib/commands/snapshot/create-set";
import { deleteSnapshotSet } from "../../../../lib/commands/snapshot/delete-set";
import { listSnapshotSets } from "../../../../lib/commands/snapshot/list-sets";
import { writeManifest } from "../../../../lib/commands/snapshot/manifest";
import { CLUSTER, createSnapshotCluster, SnapshotCluster } from "../../../../test-support/snapshot-cluster";

const ALL = CLUSTER.map((c) => c.name);

let c: SnapshotCluster;
beforeEach(() => {
  c = createSnapshotCluster();
});
afterEach(() => c.cleanup());

const opts = () => ({ manifestDir: c.manifestDir, timeoutMs: 2500 });
const create = (name: string) => createSnapshotSet(c.hv, c.targets, { name, ...opts() });
const remove = (name: string, vms?: string[]) => deleteSnapshotSet(c.hv, c.targets, name, { ...opts(), vms });
const states = async () =>
  (await listSnapshotSets(c.hv, c.targets, opts())).sets.map((s) => [
    s.name,
    s.state,
    Object.values(s.presence).filter(Boolean).length,
  ]);
const same = (value: string[]) => Object.fromEntries(ALL.map((vm) => [vm, value]));

/** Starts `run`, lets `pass` calls of `op` through, and abandons the run at the next one. */
async function killAt(op: string, pass: number, run: () => Promise<unknown>): Promise<void> {
  const held = c.hv.hold(op, { pass });
  void run().catch(() => undefined);
  await held.untilWaiting(1);
  held.abandon();
}

/** The end state every kill must come to after one more create: one whole set, one record. */
async function expectOneWholeSetAfterNextCreate(): Promise<void> {
  const next = await create("next");
  expect(next.ok).toBe(true);
  expect(c.snapshotsEverywhere()).toEqual(same(["next"]));
  expect(fs.readdirSync(c.manifestDir)).toEqual(["next.json"]);
  expect(await states()).toEqual([["next", "complete", 7]]);
}

describe("a snapshot create killed", () => {
  beforeEach(async () => {
    expect((await create("old")).ok).toBe(true);
  });

  it("before its first snapshot: list drops the empty record and shows the older set whole", async () => {
    await killAt("snapshot", 0, () => create("new"));
    expect((await c.record("new"))!.result).toBe("pending");
    expect(await states()).toEqual([["old", "complete", 7]]);
    expect(await c.record("new")).toBeUndefined();
    await expectOneWholeSetAfterNextCreate();
  });

  it("with 4 of 7 snapshots taken: list shows the new set interrupted and the older one whole; the next create removes the partial set", async () => {
    await killAt("snapshot", 4, () => create("new"));
    expect(await states()).toEqual([
      ["old", "complete", 7],
      ["new", "interrupted", 4],
    ]);
    await expectOneWholeSetAfterNextCreate();
  });

  it("the same name can be taken again after the kill (its partial set is removed first)", async () => {
    await killAt("snapshot", 4, () => create("new"));
    expect((await create("new")).ok).toBe(true);
    expect(c.snapshotsEverywhere()).toEqual(same(["new"]));
    expect(fs.readdirSync(c.manifestDir)).toEqual(["new.json"]);
  });

  it("with every snapshot taken but the record still pending: list shows both sets complete", async () => {
    expect((await create("new")).ok).toBe(true);
    // As left by a kill after the last snapshot, before the record said complete and before the prune.
    for (const t of c.targets) await c.hv.snapshot(t.vmx, "old");
    await writeManifest(c.manifestDir, { ...(await c.record("new"))!, result: "pending" });
    await writeManifest(c.manifestDir, {
      name: "old",
      createdAt: "2000-01-01T00:00:00.000Z",
      vms: ALL,
      consistent: false,
      result: "complete",
      results: [],
    });
    expect(await states()).toEqual([
      ["old", "complete", 7],
      ["new", "complete", 7],
    ]);
    expect((await c.record("new"))!.result).toBe("complete");
    await expectOneWholeSetAfterNextCreate();
  });

  it("while it pruned the older set (3 of 7 deleted): list shows the new set whole and the older one deleting; the next create finishes it", async () => {
    await killAt("deleteSnapshot", 3, () => create("new"));
    expect(await states()).toEqual([
      ["old", "deleting", 4],
      ["new", "complete", 7],
    ]);
    await expectOneWholeSetAfterNextCreate();
  });

  it("while it deleted its own partial set again after a failure: the next create finishes the undo", async () => {
    c.hv.failNext(
      "snapshot",
      { kind: "failed", message: "Insufficient disk space" },
      c.target("k8s-worker3").vmx,
    );
    await killAt("deleteSnapshot", 2, () => create("new"));
    expect(await states()).toEqual([
      ["old", "complete", 7],
      ["new", "interrupted", 4],
    ]);
    await expectOneWholeSetAfterNextCreate();
  });
});

describe("a snapshot delete killed half-way", () => {
  it("is finished by the next delete of any set, and by the next create", async () => {
    await create("old");
    await killAt("deleteSnapshot", 3, () => remove("old"));
    expect(await states()).toEqual([["old", "deleting", 4]]);
    const other = await remove("never-made");
    expect(other.ok).toBe(true);
    expect(c.snapshotsEverywhere()).toEqual(same([]));
    expect(fs.readdirSync(c.manifestDir)).toEqual([]);
  });

  it("of the set itself: deleting it again finishes it", async () => {
    await create("old");
    await killAt("deleteSnapshot", 3, () => remove("old"));
    const again = await remove("old");
    expect(again.ok).toBe(true);
    expect(again.results.filter((r) => r.outcome === "done").map((r) => r.vm)).toHaveLength(4);
    expect(c.snapshotsEverywhere()).toEqual(same([]));
    expect(await c.record("old")).toBeUndefined();
  });
});

describe("the reconciliation", () => {
  it("never undoes a pending set while a VM that might hold it cannot be listed", async () => {
    await killAt("snapshot", 6, () => create("new"));
    const lastVm = c.targets.find((t) => !c.snapshotsOf(t.name).includes("new"))!;
    c.hv.failNext("listSnapshots", { kind: "failed", message: "Unable to connect to host" }, lastVm.vmx);
    expect((await remove("never-made")).ok).toBe(true);
    expect(c.hv.calls.filter((x) => x.op === "deleteSnapshot" && x.args[0] === "new")).toEqual([]);
    expect((await c.record("new"))!.result).toBe("pending");
  });

  it("list only records: it deletes nothing, even of an interrupted set", async () => {
    await killAt("snapshot", 4, () => create("new"));
    await states();
    expect(c.vmsCalled("deleteSnapshot")).toEqual([]);
    expect((await c.record("new"))!.result).toBe("pending");
  });
});

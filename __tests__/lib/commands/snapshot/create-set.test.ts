import * as fs from "node:fs";
import { createSnapshotSet } from "../../../../lib/commands/snapshot/create-set";
import { CLUSTER, createSnapshotCluster, SnapshotCluster } from "../../../../test-support/snapshot-cluster";

const ALL = CLUSTER.map((c) => c.name);

let c: SnapshotCluster;
beforeEach(() => {
  c = createSnapshotCluster();
});
afterEach(() => c.cleanup());

const create = (
  name: string,
  extra: { consistent?: boolean; keep?: number; onProgress?: (vm: string, m: string) => void } = {},
) => createSnapshotSet(c.hv, c.targets, { name, manifestDir: c.manifestDir, timeoutMs: 2500, ...extra });

const same = (value: string[]) => Object.fromEntries(ALL.map((vm) => [vm, value]));
const indexes = (op: string) => c.hv.calls.flatMap((x, i) => (x.op === op ? [i] : []));

describe("createSnapshotSet", () => {
  it("takes the set on all seven VMs at once and records a complete manifest", async () => {
    const held = c.hv.hold("snapshot");
    const progress: string[] = [];
    const pending = create("patched-20251125", { onProgress: (vm, m) => progress.push(`${vm}: ${m}`) });
    await held.untilWaiting(7); // all seven snapshot calls in flight together
    held.release();
    const result = await pending;

    expect(result.ok).toBe(true);
    expect(result.set).toBe("patched-20251125");
    expect(result.results.map((r) => [r.vm, r.outcome])).toEqual(ALL.map((vm) => [vm, "done"]));
    expect(c.snapshotsEverywhere()).toEqual(same(["patched-20251125"]));
    expect(c.vmsCalled("snapshot").sort()).toEqual([...ALL].sort());
    expect(progress).toContain("k8s-worker3: taking snapshot patched-20251125");

    const manifest = await c.record("patched-20251125");
    expect(manifest).toMatchObject({
      name: "patched-20251125",
      vms: ALL,
      consistent: false,
      result: "complete",
    });
    expect(manifest!.results.every((r) => r.outcome === "done")).toBe(true);
  });

  it("writes its record as pending before the first snapshot is taken", async () => {
    const held = c.hv.hold("snapshot");
    const pending = create("base");
    await held.untilWaiting(7);
    expect((await c.record("base"))!.result).toBe("pending");
    held.release();
    await pending;
    expect((await c.record("base"))!.result).toBe("complete");
  });

  it("refuses a name that exists on any VM before taking anything", async () => {
    c.hv.vm(c.target("k8s-worker2").vmx)!.snapshots.push("base");
    await expect(create("base")).rejects.toThrow(
      "snapshot set base already exists on k8s-worker2: choose another name, or delete it first (npm run snapshot -- delete base); no snapshot was taken",
    );
    expect(c.hv.calls.map((x) => x.op)).toEqual(Array(7).fill("listSnapshots"));
    expect(c.snapshotsEverywhere()).toEqual({ ...same([]), "k8s-worker2": ["base"] });
    expect(fs.existsSync(c.manifestDir)).toBe(false);
  });

  it("refuses, having changed nothing, when a VM's snapshots cannot be listed", async () => {
    c.hv.failNext(
      "listSnapshots",
      { kind: "failed", message: "Unable to connect to host" },
      c.target("k8s-gw2").vmx,
    );
    await expect(create("base")).rejects.toThrow(
      "cannot list the snapshots of k8s-gw2 before taking set base: Unable to connect to host; nothing was changed",
    );
    expect(c.vmsCalled("snapshot")).toEqual([]);
    expect(fs.existsSync(c.manifestDir)).toBe(false);
  });

  it.each(["bad name", "a/b", "", "-x", "x".repeat(65)])(
    "refuses the name %j without calling the hypervisor",
    async (name) => {
      await expect(create(name)).rejects.toThrow("invalid snapshot set name");
      expect(c.hv.calls).toEqual([]);
    },
  );

  it("--consistent suspends every running VM, snapshots, then resumes exactly those", async () => {
    const running = ["k8s-gw1", "k8s-master1", "k8s-master2", "k8s-worker3"];
    for (const vm of running) c.hv.vm(c.target(vm).vmx)!.running = true;

    const result = await create("frozen", { consistent: true });
    expect(result.ok).toBe(true);
    expect(c.vmsCalled("suspend").sort()).toEqual(running);
    expect(c.vmsCalled("start").sort()).toEqual(running);
    expect(Math.max(...indexes("suspend"))).toBeLessThan(Math.min(...indexes("snapshot")));
    expect(Math.max(...indexes("snapshot"))).toBeLessThan(Math.min(...indexes("start")));
    // Resumed in start order: masters, workers, gateways.
    expect(c.vmsCalled("start")).toEqual(["k8s-master1", "k8s-master2", "k8s-worker3", "k8s-gw1"]);
    for (const vm of ALL) expect([vm, c.running(vm)]).toEqual([vm, running.includes(vm)]);
    expect((await c.record("frozen"))!.consistent).toBe(true);
  });

  it("--consistent resumes every suspended VM even when a snapshot fails", async () => {
    const running = ["k8s-master1", "k8s-worker1", "k8s-worker2"];
    for (const vm of running) c.hv.vm(c.target(vm).vmx)!.running = true;
    c.hv.failNext(
      "snapshot",
      { kind: "failed", message: "Insufficient disk space" },
      c.target("k8s-worker1").vmx,
    );

    const result = await create("frozen", { consistent: true });
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker1")).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("Insufficient disk space"),
    });
    expect(c.snapshotsEverywhere()).toEqual(same([]));
    for (const vm of ALL) expect([vm, c.running(vm)]).toEqual([vm, running.includes(vm)]);
    expect(c.vmsCalled("start").sort()).toEqual(running);
  });

  it("--consistent takes nothing when a VM cannot be suspended, and resumes the others", async () => {
    for (const vm of ["k8s-master1", "k8s-worker1"]) c.hv.vm(c.target(vm).vmx)!.running = true;
    c.hv.failNext(
      "suspend",
      { kind: "failed", message: "The operation is not supported" },
      c.target("k8s-worker1").vmx,
    );
    const result = await create("frozen", { consistent: true });
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker1")!.detail).toBe(
      "could not suspend k8s-worker1 for a consistent set: The operation is not supported; run npm run snapshot -- create frozen (without --consistent), or fix the VM first",
    );
    expect(result.results.find((r) => r.vm === "k8s-gw1")).toEqual({
      vm: "k8s-gw1",
      outcome: "skipped",
      detail: "no snapshot taken: k8s-worker1 could not be suspended",
    });
    expect(c.vmsCalled("snapshot")).toEqual([]);
    expect(c.running("k8s-master1")).toBe(true);
    expect(await c.record("frozen")).toBeUndefined();
  });

  it("one VM failing leaves no partial set and no record of it; the previous set is intact", async () => {
    expect((await create("base")).ok).toBe(true);
    c.hv.failNext(
      "snapshot",
      { kind: "failed", message: "vmrun snapshot k8s-master2 failed: The operation is not supported" },
      c.target("k8s-master2").vmx,
    );
    const mark = c.hv.calls.length;

    const result = await create("second");
    expect(result.ok).toBe(false);
    const byVm = Object.fromEntries(result.results.map((r) => [r.vm, r]));
    expect(byVm["k8s-master2"].outcome).toBe("failed");
    expect(byVm["k8s-master2"].detail).toContain("vmrun snapshot k8s-master2 failed");
    for (const vm of ALL.filter((v) => v !== "k8s-master2")) {
      expect([vm, byVm[vm].outcome, byVm[vm].detail]).toEqual([
        vm,
        "skipped",
        "snapshot taken, then deleted again: the set is incomplete (k8s-master2 failed)",
      ]);
    }
    expect(c.snapshotsEverywhere()).toEqual(same(["base"]));
    const deletions = c.hv.calls.slice(mark).filter((x) => x.op === "deleteSnapshot");
    expect(deletions.map((x) => x.args[0])).toEqual(Array(6).fill("second"));
    expect(await c.record("second")).toBeUndefined(); // no record outlives the snapshots it names
    expect((await c.record("base"))!.result).toBe("complete");
  });

  it("a snapshot cut off at its deadline that left nothing is failed, with what to do", async () => {
    c.hv.failNext("snapshot", { kind: "timeout" }, c.target("k8s-worker3").vmx);
    const result = await create("base");
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker3")).toEqual({
      vm: "k8s-worker3",
      outcome: "failed",
      detail:
        "vmrun snapshot k8s-worker3 did not answer within 2.5 s and was stopped; no snapshot was taken: open VMware Fusion, close any dialog or window of k8s-worker3, then run npm run snapshot -- create base again",
    });
    expect(c.snapshotsEverywhere()).toEqual(same([]));
  });

  it("a snapshot cut off at its deadline after it was taken counts as taken", async () => {
    c.hv.failNext("snapshot", { kind: "timeout", acted: true }, c.target("k8s-worker3").vmx);
    const result = await create("base");
    expect(result.ok).toBe(true);
    expect(result.results.find((r) => r.vm === "k8s-worker3")!.detail).toBe(
      "vmrun snapshot k8s-worker3 did not answer within 2.5 s and was stopped, but the snapshot exists",
    );
    expect(c.snapshotsEverywhere()).toEqual(same(["base"]));
  });

  it("a cut-off snapshot whose VM cannot be listed afterwards is unknown, and its record names that VM", async () => {
    const worker3 = c.target("k8s-worker3").vmx;
    c.hv.failNext("snapshot", { kind: "timeout", acted: true }, worker3);
    c.hv.beforeNext(
      "snapshot",
      () => {
        for (let i = 0; i < 2; i++)
          c.hv.failNext("listSnapshots", { kind: "failed", message: "Unable to connect to host" }, worker3);
      },
      worker3,
    );
    const result = await create("base");

    expect(result.ok).toBe(false);
    const w3 = result.results.find((r) => r.vm === "k8s-worker3")!;
    expect(w3.outcome).toBe("unknown");
    expect(w3.detail).toContain(
      "vmrun snapshot k8s-worker3 did not answer within 2.5 s and was stopped, and its snapshots cannot be listed",
    );
    expect(w3.detail).toContain(
      "close any dialog or window of k8s-worker3, then run npm run snapshot -- delete base (the next create or delete also removes it)",
    );
    expect(c.snapshotsEverywhere()).toEqual({ ...same([]), "k8s-worker3": ["base"] });
    // The record stays, failed, so the next create or delete knows the snapshot left there is this tool's.
    expect(await c.record("base")).toMatchObject({ result: "failed", vms: ["k8s-worker3"] });
    expect((await create("again")).ok).toBe(true);
    expect(c.snapshotsEverywhere()).toEqual(same(["again"]));
    expect(await c.record("base")).toBeUndefined();
  });
});

describe("createSnapshotSet keep/prune", () => {
  it("with keep 1, a second complete set removes the first set's snapshots and manifest", async () => {
    expect((await create("one")).ok).toBe(true);
    const second = await create("two", { keep: 1 });
    expect(second.ok).toBe(true);
    expect(second.results[0].detail).toBe("snapshot taken; deleted older one");
    expect(c.snapshotsEverywhere()).toEqual(same(["two"]));
    expect(await c.record("one")).toBeUndefined();
    expect((await c.record("two"))!.result).toBe("complete");
  });

  it("marks the older set as deleting before its first snapshot is deleted", async () => {
    await create("one");
    const held = c.hv.hold("deleteSnapshot");
    const second = create("two");
    await held.untilWaiting(7);
    expect((await c.record("one"))!.result).toBe("deleting");
    expect((await c.record("two"))!.result).toBe("complete");
    held.release();
    expect((await second).ok).toBe(true);
  });

  it("with keep 2, the oldest of three sets goes", async () => {
    await create("one", { keep: 2 });
    await create("two", { keep: 2 });
    expect(c.snapshotsEverywhere()).toEqual(same(["one", "two"]));
    await create("three", { keep: 2 });
    expect(c.snapshotsEverywhere()).toEqual(same(["two", "three"]));
  });

  it("a failed second set leaves the first set untouched", async () => {
    await create("one");
    c.hv.failNext("snapshot", { kind: "failed", message: "A file was not found" }, c.target("k8s-gw2").vmx);
    expect((await create("two", { keep: 1 })).ok).toBe(false);
    expect(c.snapshotsEverywhere()).toEqual(same(["one"]));
    expect((await c.record("one"))!.result).toBe("complete");
  });

  it("--consistent: a VM that could not be resumed stays failed when the prune deletes an older set", async () => {
    await create("one");
    c.hv.vm(c.target("k8s-worker1").vmx)!.running = true;
    c.hv.failNext(
      "start",
      { kind: "failed", message: "Unable to connect to host" },
      c.target("k8s-worker1").vmx,
    );
    const result = await create("two", { consistent: true, keep: 1 });
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker1")).toMatchObject({
      outcome: "failed",
      detail: expect.stringMatching(/could not be resumed.*; deleted older one$/),
    });
    expect(c.snapshotsEverywhere()).toEqual(same(["two"]));
  });

  it("never prunes snapshots this tool did not make", async () => {
    for (const t of c.targets) await c.hv.snapshot(t.vmx, "by-hand");
    await create("one");
    await create("two", { keep: 1 });
    expect(c.snapshotsEverywhere()).toEqual(same(["by-hand", "two"]));
  });

  it("a prune that fails is reported, the new set stays, and the next create finishes the prune", async () => {
    await create("one");
    c.hv.failNext(
      "deleteSnapshot",
      { kind: "failed", message: "Unable to connect to host" },
      c.target("k8s-worker1").vmx,
    );
    const result = await create("two", { keep: 1 });
    expect(result.results.find((r) => r.vm === "k8s-worker1")!.detail).toBe(
      "snapshot taken; but could not delete older set one (Unable to connect to host; run npm run snapshot -- delete one --vm k8s-worker1, or the next create or delete finishes it)",
    );
    expect(c.snapshotsEverywhere()).toEqual({ ...same(["two"]), "k8s-worker1": ["one", "two"] });
    expect((await c.record("two"))!.result).toBe("complete");
    expect(await c.record("one")).toMatchObject({ result: "deleting", vms: ["k8s-worker1"] });

    await create("three", { keep: 1 });
    expect(c.snapshotsEverywhere()).toEqual(same(["three"]));
    expect(fs.readdirSync(c.manifestDir)).toEqual(["three.json"]);
  });
});

describe("createSnapshotSet with a broken older manifest", () => {
  it("keeps the new set complete and says older sets were not pruned", async () => {
    await create("one");
    fs.writeFileSync(`${c.manifestDir}/one.json`, "{broken");
    const result = await create("two");
    expect(result.ok).toBe(true);
    expect(result.results[0].detail).toContain("older sets were not pruned: snapshot manifest");
    expect(c.snapshotsEverywhere()).toEqual(same(["one", "two"]));
    expect((await c.record("two"))!.result).toBe("complete");
  });
});

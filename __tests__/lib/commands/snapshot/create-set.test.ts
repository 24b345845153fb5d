import * as fs from "node:fs";
import { readManifest } from "../../../../lib/commands/snapshot/manifest";
import { createSnapshotSet } from "../../../../lib/commands/snapshot/create-set";
import { waitUntilDead } from "../../../../test-support/processes";
import { CLUSTER, createSnapshotCluster, SnapshotCluster } from "../../../../test-support/snapshot-cluster";
import { pidsOf } from "../../../../test-support/vmrun-sim";

const ALL = CLUSTER.map((c) => c.name);
const TIMEOUT_MS = 8000;

let c: SnapshotCluster;
beforeEach(() => {
  c = createSnapshotCluster();
});
afterEach(() => c.cleanup());

const create = (
  name: string,
  extra: {
    consistent?: boolean;
    keep?: number;
    timeoutMs?: number;
    onProgress?: (vm: string, m: string) => void;
  } = {},
) =>
  createSnapshotSet(c.driver, c.targets, {
    name,
    manifestDir: c.manifestDir,
    timeoutMs: extra.timeoutMs ?? TIMEOUT_MS,
    ...extra,
  });

const snapshotsEverywhere = () => Object.fromEntries(ALL.map((vm) => [vm, c.snapshotsOf(vm)]));
const same = (value: string[]) => Object.fromEntries(ALL.map((vm) => [vm, value]));

describe("createSnapshotSet", () => {
  it("takes the set on all seven VMs at once and records a complete manifest", async () => {
    c.sim.setFaults({ commands: { snapshot: { "*": { delayMs: 1000 } } } });
    const progress: string[] = [];
    const result = await create("patched-20251125", { onProgress: (vm, m) => progress.push(`${vm}: ${m}`) });

    expect(result.ok).toBe(true);
    expect(result.set).toBe("patched-20251125");
    expect(result.results.map((r) => [r.vm, r.outcome])).toEqual(ALL.map((vm) => [vm, "done"]));
    expect(snapshotsEverywhere()).toEqual(same(["patched-20251125"]));
    expect(
      c
        .callsOf("snapshot")
        .map((x) => x.vm)
        .sort(),
    ).toEqual([...ALL].sort());
    expect(c.allInFlightTogether("snapshot")).toBe(true);
    expect(progress).toContain("k8s-worker3: taking snapshot patched-20251125");

    const manifest = await readManifest(c.manifestDir, "patched-20251125");
    expect(manifest).toMatchObject({
      name: "patched-20251125",
      vms: ALL,
      consistent: false,
      result: "complete",
    });
    expect(manifest!.results.every((r) => r.outcome === "done")).toBe(true);
  });

  it("refuses a name that exists on any VM before taking anything", async () => {
    await c.driver.snapshot(c.target("k8s-worker2").vmx, "base");
    const before = c.sim.calls().length;
    await expect(create("base")).rejects.toThrow(
      "snapshot set base already exists on k8s-worker2: choose another name, or delete it first (snapshot delete base); nothing was changed",
    );
    expect(
      c.sim
        .calls()
        .slice(before)
        .map((x) => x.command),
    ).toEqual(Array(7).fill("listSnapshots"));
    expect(snapshotsEverywhere()).toEqual({ ...same([]), "k8s-worker2": ["base"] });
    expect(fs.existsSync(c.manifestDir)).toBe(false);
  });

  it.each(["bad name", "a/b", "", "-x", "x".repeat(65)])(
    "refuses the name %j without calling vmrun",
    async (name) => {
      await expect(create(name)).rejects.toThrow("invalid snapshot set name");
      expect(c.sim.calls()).toEqual([]);
    },
  );

  it("--consistent suspends every running VM, snapshots, then resumes exactly those", async () => {
    const running = ["k8s-gw1", "k8s-master1", "k8s-master2", "k8s-worker3"];
    for (const vm of running) c.sim.powerOn(c.target(vm).vmx);
    const mark = c.sim.calls().length;

    const result = await create("frozen", { consistent: true });
    expect(result.ok).toBe(true);

    const calls = c.sim
      .calls()
      .slice(mark)
      .map((x) => ({ command: x.command, vm: x.vmx ? x.vmx.replace(/^.*\/|\.vmx$/g, "") : "" }));
    const indexes = (command: string) => calls.flatMap((x, i) => (x.command === command ? [i] : []));
    const vmsOf = (command: string) =>
      calls
        .filter((x) => x.command === command)
        .map((x) => x.vm)
        .sort();
    expect(vmsOf("suspend")).toEqual(running);
    expect(vmsOf("start")).toEqual(running);
    expect(Math.max(...indexes("suspend"))).toBeLessThan(Math.min(...indexes("snapshot")));
    expect(Math.max(...indexes("snapshot"))).toBeLessThan(Math.min(...indexes("start")));
    // The running VMs were captured suspended, the others off; all are back as they were.
    for (const vm of ALL) {
      const st = c.sim.vmState(c.target(vm).vmx)!;
      expect([vm, st.snapshots.map((s) => [s.name, s.power])]).toEqual([
        vm,
        [["frozen", running.includes(vm) ? "suspended" : "off"]],
      ]);
      expect([vm, st.power]).toEqual([vm, running.includes(vm) ? "on" : "off"]);
    }
    expect((await readManifest(c.manifestDir, "frozen"))!.consistent).toBe(true);
  });

  it("--consistent resumes every suspended VM even when a snapshot fails", async () => {
    const running = ["k8s-master1", "k8s-worker1", "k8s-worker2"];
    for (const vm of running) c.sim.powerOn(c.target(vm).vmx);
    c.sim.setFaults({
      commands: { snapshot: { "k8s-worker1": { fail: "Error: Insufficient disk space" } } },
    });
    const mark = c.sim.calls().length;

    const result = await create("frozen", { consistent: true });
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker1")).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("Insufficient disk space"),
    });
    expect(snapshotsEverywhere()).toEqual(same([]));
    for (const vm of ALL) expect([vm, c.power(vm)]).toEqual([vm, running.includes(vm) ? "on" : "off"]);
    const resumed = c.sim
      .calls()
      .slice(mark)
      .filter((x) => x.command === "start");
    expect(resumed.map((x) => x.vmx!.replace(/^.*\/|\.vmx$/g, "")).sort()).toEqual(running);
  });

  it("one VM failing leaves no partial set: the others' snapshots are deleted, the previous set is intact", async () => {
    expect((await create("base")).ok).toBe(true);
    c.sim.setFaults({
      commands: {
        snapshot: {
          "k8s-master2": { fail: "Error: The operation is not supported for the specified parameters" },
        },
      },
    });
    const mark = c.sim.calls().length;

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
    expect(snapshotsEverywhere()).toEqual(same(["base"]));
    const deletions = c.sim
      .calls()
      .slice(mark)
      .filter((x) => x.command === "deleteSnapshot");
    expect(deletions.map((x) => x.argv[x.argv.length - 1])).toEqual(Array(6).fill("second"));

    expect((await readManifest(c.manifestDir, "second"))!.result).toBe("failed");
    expect((await readManifest(c.manifestDir, "base"))!.result).toBe("complete");
  });

  it("a hung snapshot is killed at the deadline and, as listSnapshots shows none, reported failed with what to do", async () => {
    c.sim.setFaults({ commands: { snapshot: { "k8s-worker3": { hang: "with-child" } } } });
    const result = await create("base", { timeoutMs: 2500 });

    const hung = c.callsOf("snapshot").filter((x) => x.vm === "k8s-worker3");
    expect(hung).toHaveLength(1);
    expect(hung[0].exitCode).toBeNull();
    expect(hung[0].childPids.length).toBeGreaterThan(0);
    expect(await waitUntilDead(pidsOf(hung))).toEqual([]);

    expect(result.ok).toBe(false);
    expect(result.results.find((r) => r.vm === "k8s-worker3")).toEqual({
      vm: "k8s-worker3",
      outcome: "failed",
      detail:
        "vmrun snapshot k8s-worker3 did not answer within 2.5 s and was stopped; no snapshot was taken: open VMware Fusion, close any dialog or window of k8s-worker3, then retry",
    });
    expect(snapshotsEverywhere()).toEqual(same([]));
  });

  it("a hung snapshot whose VM cannot be listed afterwards is reported unknown", async () => {
    c.sim.setFaults({ commands: { snapshot: { "k8s-worker3": { hang: true } } } });
    const pending = create("base", { timeoutMs: 2500 });
    await c.sim.waitForCall((x) => x.command === "snapshot" && (x.vmx ?? "").endsWith("k8s-worker3.vmx"));
    c.sim.setFaults({
      commands: {
        snapshot: { "k8s-worker3": { hang: true } },
        listSnapshots: { "k8s-worker3": { fail: "Error: Unable to connect to host." } },
      },
    });
    const result = await pending;

    expect(await waitUntilDead(pidsOf(c.callsOf("snapshot")))).toEqual([]);
    expect(result.ok).toBe(false);
    const worker3 = result.results.find((r) => r.vm === "k8s-worker3")!;
    expect(worker3.outcome).toBe("unknown");
    expect(worker3.detail).toContain(
      "vmrun snapshot k8s-worker3 did not answer within 2.5 s and was stopped, and its snapshots cannot be listed",
    );
    expect(worker3.detail).toContain(
      "close any dialog or window of k8s-worker3, then run snapshot list and delete base where it is present",
    );
    expect(
      Object.fromEntries(ALL.filter((v) => v !== "k8s-worker3").map((v) => [v, c.snapshotsOf(v)])),
    ).toEqual(Object.fromEntries(ALL.filter((v) => v !== "k8s-worker3").map((v) => [v, []])));
  });
});

describe("createSnapshotSet keep/prune", () => {
  it("with keep 1, a second complete set removes the first set's snapshots and manifest", async () => {
    expect((await create("one")).ok).toBe(true);
    const second = await create("two", { keep: 1 });
    expect(second.ok).toBe(true);
    expect(second.results[0].detail).toBe("snapshot taken; deleted older one");
    expect(snapshotsEverywhere()).toEqual(same(["two"]));
    expect(await readManifest(c.manifestDir, "one")).toBeUndefined();
    expect((await readManifest(c.manifestDir, "two"))!.result).toBe("complete");
  });

  it("with keep 2, the oldest of three sets goes", async () => {
    await create("one", { keep: 2 });
    await create("two", { keep: 2 });
    expect(snapshotsEverywhere()).toEqual(same(["one", "two"]));
    await create("three", { keep: 2 });
    expect(snapshotsEverywhere()).toEqual(same(["two", "three"]));
  });

  it("a failed second set leaves the first set untouched", async () => {
    await create("one");
    c.sim.setFaults({ commands: { snapshot: { "k8s-gw2": { fail: "Error: A file was not found" } } } });
    expect((await create("two", { keep: 1 })).ok).toBe(false);
    expect(snapshotsEverywhere()).toEqual(same(["one"]));
    expect((await readManifest(c.manifestDir, "one"))!.result).toBe("complete");
  });

  it("never prunes snapshots this tool did not make", async () => {
    for (const t of c.targets) await c.driver.snapshot(t.vmx, "by-hand");
    await create("one");
    await create("two", { keep: 1 });
    expect(snapshotsEverywhere()).toEqual(same(["by-hand", "two"]));
  });

  it("a prune that fails is reported, and the new set stays", async () => {
    await create("one");
    c.sim.setFaults({
      commands: { deleteSnapshot: { "k8s-worker1": { fail: "Error: Unable to connect to host." } } },
    });
    const result = await create("two", { keep: 1 });
    expect(result.results.find((r) => r.vm === "k8s-worker1")!.detail).toContain(
      "but could not delete older set one",
    );
    expect(snapshotsEverywhere()).toEqual({ ...same(["two"]), "k8s-worker1": ["one", "two"] });
    expect((await readManifest(c.manifestDir, "two"))!.result).toBe("complete");
    expect((await readManifest(c.manifestDir, "one"))!.vms).toEqual(["k8s-worker1"]);
  });
});

describe("createSnapshotSet with a broken older manifest", () => {
  it("keeps the new set complete and says older sets were not pruned", async () => {
    await create("one");
    fs.writeFileSync(`${c.manifestDir}/one.json`, "{broken");
    const result = await create("two");
    expect(result.ok).toBe(true);
    expect(result.results[0].detail).toContain("older sets were not pruned: snapshot manifest");
    expect(snapshotsEverywhere()).toEqual(same(["one", "two"]));
    expect((await readManifest(c.manifestDir, "two"))!.result).toBe("complete");
  });
});

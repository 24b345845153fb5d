import * as fs from "node:fs";
import * as path from "node:path";
import { CLUSTER_VMS, CliProject, createCliProject, runCli, startCli } from "../../test-support/cli-project";

describe("scripts/snapshot.ts", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
  });
  afterEach(() => p.cleanup());
  const snapshot = (...args: string[]) => runCli(p, "snapshot", args);
  const snapshotsOf = (name: string) => p.sim.vmState(p.vmxOf(name))?.snapshots.map((s) => s.name) ?? [];

  it("creates, lists, rolls back and deletes a set end to end", async () => {
    p.sim.powerOn(p.vmxOf("k8s-master1"));
    const created = await snapshot("create", "base");
    expect(created.code).toBe(0);
    for (const vm of CLUSTER_VMS) {
      expect(snapshotsOf(vm)).toEqual(["base"]);
      expect(created.stdout).toMatch(new RegExp(`^${vm}\\s+done`, "m"));
      expect(created.stderr).toContain(`snapshot create ${vm}: `);
    }
    expect(snapshotsOf("apt-cache-server")).toEqual([]); // the cache is never snapshotted

    expect((await snapshot("create", "second", "--keep", "2")).code).toBe(0);
    const listed = await snapshot("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^VM\s+power\s+base\s+second/m);
    expect(listed.stdout).toMatch(/^k8s-master1\s+on\s+present\s+present/m);
    expect(listed.stdout).toMatch(/^k8s-worker1\s+off\s+present\s+present/m);

    fs.writeFileSync(
      path.join(p.root, "vm-ips.env"),
      "GATEWAY1_IP=192.168.68.50\nK8S_MASTER1_IP=10.10.0.131\nK8S_WORKER1_IP=10.10.0.199\n",
    );
    const rolled = await snapshot("rollback", "base", "--vm", "k8s-worker1");
    expect(rolled.code).toBe(0);
    expect(p.sim.vmState(p.vmxOf("k8s-worker1"))).toMatchObject({ power: "on", current: "base" });
    const ip = /k8s-worker1\s+done\s+reverted to base, running at (10\.10\.0\.\d+)/.exec(rolled.stdout)?.[1];
    expect(ip).toBeDefined();
    const inventory = fs.readFileSync(path.join(p.root, "vm-ips.env"), "utf8");
    expect(inventory.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "APT_CACHE_SERVER_IP=10.10.0.148",
      "GATEWAY1_IP=192.168.68.50",
      "K8S_MASTER1_IP=10.10.0.131",
      `K8S_WORKER1_IP=${ip}`,
      "",
    ]);
    expect(
      p.sim
        .calls()
        .filter((c) => c.command === "revertToSnapshot")
        .map((c) => path.basename(c.vmx!)),
    ).toEqual(["k8s-worker1.vmx"]);

    const deleted = await snapshot("delete", "base");
    expect(deleted.code).toBe(0);
    for (const vm of CLUSTER_VMS) expect(snapshotsOf(vm)).toEqual(["second"]);
    const json = JSON.parse((await snapshot("list", "--json")).stdout) as {
      sets: { name: string; presence: Record<string, boolean> }[];
    };
    expect(json.sets.map((s) => s.name)).toEqual(["second"]);
    expect(json.sets[0].presence).toEqual({ gateway1: true, "k8s-master1": true, "k8s-worker1": true });
  });

  it("passes --consistent and --json through: running VMs are suspended, the result comes as JSON", async () => {
    p.sim.powerOn(p.vmxOf("k8s-master1"));
    const r = await snapshot("create", "steady", "--consistent", "--json");
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      set: string;
      ok: boolean;
      results: { vm: string; outcome: string }[];
    };
    expect(result).toMatchObject({ set: "steady", ok: true });
    expect(result.results.map((x) => [x.vm, x.outcome])).toEqual(CLUSTER_VMS.map((vm) => [vm, "done"]));
    expect(
      p.sim
        .calls()
        .filter((c) => c.command === "suspend")
        .map((c) => path.basename(c.vmx!)),
    ).toEqual(["k8s-master1.vmx"]);
    expect(p.sim.vmState(p.vmxOf("k8s-master1"))?.power).toBe("on");
  });

  it("rejects a bad --keep or --timeout before any vmrun call", async () => {
    for (const args of [
      ["create", "x", "--keep", "0"],
      ["list", "--timeout", "soon"],
    ]) {
      const r = await snapshot(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--keep takes a whole number|--timeout "soon" is not a whole number/);
    }
    expect(p.sim.calls()).toEqual([]);
  });

  it("exits 1 with the summary when one VM fails, leaving no partial set", async () => {
    p.sim.setFaults({
      commands: {
        snapshot: {
          "k8s-worker1": { fail: "Error: The operation is not supported for the specified parameters" },
        },
      },
    });
    const r = await snapshot("create", "broken");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^k8s-worker1\s+failed\s+.*not supported/m);
    expect(r.stderr).toContain("snapshot: snapshot create broken did not succeed on");
    for (const vm of CLUSTER_VMS) expect(snapshotsOf(vm)).toEqual([]);
  });

  it.each([["rollback"], ["delete"]])("%s rejects unknown --vm names before any vmrun call", async (cmd) => {
    const r = await snapshot(cmd, "base", "--vm", "k8s-worker1", "--vm", "k8s-wroker2");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "unknown VM name k8s-wroker2 in --vm; the cluster VMs are: gateway1, k8s-master1, k8s-worker1",
    );
    expect(p.sim.calls()).toEqual([]);
  });

  it("rejects an invalid set name before any vmrun call", async () => {
    const r = await snapshot("create", "no spaces/allowed");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^snapshot: .*no spaces\/allowed/m);
    expect(p.sim.calls()).toEqual([]);
  });

  it("refuses a second command while the first holds the lock", async () => {
    p.sim.setFaults({ commands: { snapshot: { gateway1: { delayMs: 4000 } } } });
    const first = startCli(p, "snapshot", ["create", "slow"]);
    await p.sim.waitForCall((c) => c.command === "snapshot");
    const second = await snapshot("delete", "slow");
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("another operation is running: snapshot create (pid ");
    expect(p.sim.calls().some((c) => c.command === "deleteSnapshot")).toBe(false);
    expect((await first.done).code).toBe(0);
    for (const vm of CLUSTER_VMS) expect(snapshotsOf(vm)).toEqual(["slow"]);
  });
});

describe("scripts/snapshot.ts when the cluster is not built", () => {
  const NOT_BUILT = "not built yet: run npm run deploy";
  let p: CliProject;
  afterEach(() => p.cleanup());
  const snapshot = (...args: string[]) => runCli(p, "snapshot", args);

  it("answers every command with the same 'not built yet' when no VM exists, and calls no vmrun", async () => {
    p = createCliProject({ absent: [...CLUSTER_VMS] });
    for (const args of [["create", "base"], ["list"], ["delete", "base"], ["rollback", "base"]]) {
      const r = await snapshot(...args);
      expect([args[0], r.code]).toEqual([args[0], 1]);
      expect(r.stderr).toMatch(/not built yet: run npm run deploy/);
      // Said once, not beside a table of failures.
      expect(r.stderr.match(/not built yet/g)).toHaveLength(1);
      expect(r.stdout).toBe("");
    }
    expect(p.sim.calls().filter((c) => c.command !== "list")).toEqual([]);
  });

  it("with one VM missing: create and rollback refuse it before anything, list says so, delete skips it", async () => {
    p = createCliProject();
    expect((await snapshot("create", "base")).code).toBe(0);
    fs.rmSync(path.dirname(p.vmxOf("k8s-worker1")), { recursive: true });

    const created = await snapshot("create", "second");
    expect(created.code).toBe(1);
    expect(created.stderr).toContain(`k8s-worker1 ${NOT_BUILT}`);
    expect(p.sim.calls().filter((c) => c.command === "snapshot")).toHaveLength(CLUSTER_VMS.length);

    const rolled = await snapshot("rollback", "base", "--vm", "k8s-worker1");
    expect(rolled.code).toBe(1);
    expect(rolled.stderr).toContain(`k8s-worker1 ${NOT_BUILT}`);

    const listed = await snapshot("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/k8s-worker1\s+not built/);

    const deleted = await snapshot("delete", "base");
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(new RegExp(`k8s-worker1\\s+skipped\\s+${NOT_BUILT}`));
    expect(deleted.stdout).toMatch(/k8s-master1\s+done/);
    const onlyMissing = await snapshot("delete", "base", "--vm", "k8s-worker1");
    expect(onlyMissing.code).toBe(0);
    expect(p.sim.calls().filter((c) => c.command === "deleteSnapshot")).toHaveLength(2);
  });
});

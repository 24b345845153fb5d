import { loadCliContext } from "../../../../lib/commands/common/context";
import { collectClusterStatus } from "../../../../lib/commands/status/cluster-status";
import { VmrunDriver } from "../../../../lib/runtime/hypervisor/vmrun/driver";
import { APT_CACHE, CliProject, createCliProject, vmsCalled } from "../../../../test-support/cli-project";

describe("collectClusterStatus", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject({ absent: ["gateway1"] });
  });
  afterEach(() => p.cleanup());

  it("reports power, IP, Tools and snapshots of running, off and absent VMs", async () => {
    const ctx = loadCliContext(p.root, { env: { ...process.env, ...p.env } });
    p.sim.powerOn(p.vmxOf("k8s-master1"));
    await ctx.driver.snapshot(p.vmxOf("k8s-worker1"), "before-upgrade");
    const rows = await collectClusterStatus(ctx.driver, [ctx.aptCache, ...ctx.targets], {
      timeoutMs: 10_000,
    });
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));

    expect(rows.map((r) => r.name)).toEqual([APT_CACHE, "gateway1", "k8s-master1", "k8s-worker1"]);
    expect(byName["k8s-master1"]).toMatchObject({ power: "on", tools: "running", snapshots: [], detail: "" });
    expect(byName["k8s-master1"].ip).toMatch(/^10\.10\.0\.\d+$/);
    expect(byName["k8s-worker1"]).toMatchObject({
      power: "off",
      ip: "",
      tools: "installed",
      snapshots: ["before-upgrade"],
      detail: "",
    });
    expect(byName.gateway1).toMatchObject({ power: "absent", ip: "", tools: "", snapshots: [] });
    expect(byName.gateway1.detail).toBe("not built yet: run npm run deploy (gateway1.vmx is missing)");
    // An absent VM costs no vmrun call, and the IP is asked without -wait.
    expect(p.sim.calls().some((c) => c.vmx?.includes("gateway1"))).toBe(false);
    expect(
      p.sim
        .calls()
        .filter((c) => c.command === "getGuestIPAddress")
        .every((c) => !c.argv.includes("-wait")),
    ).toBe(true);
    expect(vmsCalled(p.sim, "getGuestIPAddress")).toEqual(["k8s-master1"]);
  });

  it("shows an empty IP, without a problem, for a running guest that has no address yet", async () => {
    const ctx = loadCliContext(p.root, { env: { ...process.env, ...p.env } });
    p.sim.setFaults({ vms: { "k8s-worker1": { ip: "" } } });
    p.sim.powerOn(p.vmxOf("k8s-worker1"));
    const [row] = await collectClusterStatus(
      ctx.driver,
      ctx.targets.filter((t) => t.name === "k8s-worker1"),
      { timeoutMs: 10_000 },
    );
    expect(row).toMatchObject({ power: "on", ip: "", detail: "" });
  });
});

describe("collectClusterStatus, its calls", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
  });
  afterEach(() => p.cleanup());

  it("asks one list, then each running VM its IP and snapshots only (its answer shows Tools run), at most vmrunLimit at once", async () => {
    const ctx = loadCliContext(p.root, { env: { ...process.env, ...p.env } });
    const targets = [ctx.aptCache, ...ctx.targets];
    for (const t of targets) p.sim.powerOn(t.vmx);
    p.sim.setFaults({ commands: { "*": { "*": { delayMs: 300 } } } });
    const before = p.sim.calls().length;
    const rows = await collectClusterStatus(ctx.driver, targets, { timeoutMs: 10_000, vmrunLimit: 2 });
    expect(rows.map((r) => [r.power, r.tools, r.detail])).toEqual(targets.map(() => ["on", "running", ""]));
    const calls = p.sim.calls().slice(before);
    expect(calls.map((c) => c.command).sort()).toEqual(
      ["list", ...targets.flatMap(() => ["getGuestIPAddress", "listSnapshots"])].sort(),
    );
    // Never more than 2 vmrun processes alive at once: count, at each start, the calls still running.
    const span = calls.map((c) => [Date.parse(c.startedAt), Date.parse(c.endedAt!)] as const);
    const alive = span.map(([start]) => span.filter(([s, e]) => s <= start && e > start).length);
    // (At most, not exactly: on a loaded machine one process's start-up can outlast the other's delay.)
    expect(Math.max(...alive)).toBeLessThanOrEqual(2);
  });

  it("says so when the IP question is cut by its deadline, instead of an empty cell with no reason", async () => {
    const ctx = loadCliContext(p.root, { env: { ...process.env, ...p.env } });
    p.sim.powerOn(p.vmxOf("k8s-worker1"));
    p.sim.setFaults({ commands: { getGuestIPAddress: { "k8s-worker1": { hang: true } } } });
    const [row] = await collectClusterStatus(
      ctx.driver,
      ctx.targets.filter((t) => t.name === "k8s-worker1"),
      { timeoutMs: 10_000, ipTimeoutMs: 1000 },
    );
    expect(row).toMatchObject({ power: "on", ip: "", tools: "running", detail: "IP: no answer within 1 s" });
  });
});

describe("collectClusterStatus when vmrun list fails", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
  });
  afterEach(() => p.cleanup());

  it("marks the power unknown and says why, still answering the other questions", async () => {
    const located = loadCliContext(p.root, { env: { ...process.env, ...p.env } }).driver as VmrunDriver;
    const driver = new VmrunDriver({
      binary: located.binary,
      hostType: located.hostType,
      cwd: p.root,
      env: { ...process.env, ...p.env },
      retryPauseMs: 10,
    });
    p.sim.setFaults({ commands: { list: { "*": { fail: "Error: Unable to connect to host" } } } });
    const rows = await collectClusterStatus(
      driver,
      [{ name: "k8s-worker1", role: "worker", vmx: p.vmxOf("k8s-worker1") }],
      { timeoutMs: 10_000 },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ power: "unknown", tools: "installed", snapshots: [] });
    expect(rows[0].detail).toBe("power unknown: vmrun list failed: Unable to connect to host (exit 255)");
  });
});

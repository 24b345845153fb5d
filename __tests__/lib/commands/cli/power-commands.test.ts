import { loadCliContext } from "../../../../lib/commands/common/context";
import { startAll, startGroups, stopAll } from "../../../../lib/commands/cli/power-commands";
import { APT_CACHE, CliProject, createCliProject, vmsCalled } from "../../../../test-support/cli-project";

describe("startAll / stopAll", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
  });
  afterEach(() => p.cleanup());
  const context = () => loadCliContext(p.root, { env: { ...process.env, ...p.env } });
  const progress: string[] = [];
  const log = (vm: string, m: string) => progress.push(`${vm}: ${m}`);

  it("groups the VMs in start order: APT cache, masters, workers, gateways", () => {
    expect(startGroups(context()).map((g) => g.map((t) => t.name))).toEqual([
      [APT_CACHE],
      ["k8s-master1"],
      ["k8s-worker1"],
      ["gateway1"],
    ]);
  });

  it("starts the VMs that are off in that order and skips running ones", async () => {
    p.sim.powerOn(p.vmxOf("k8s-worker1"));
    const rows = await startAll(context(), log);
    expect(vmsCalled(p.sim, "start")).toEqual(["k8s-worker1", APT_CACHE, "k8s-master1", "gateway1"]); // the first is the test's own powerOn
    expect(rows).toEqual([
      { vm: APT_CACHE, outcome: "done", detail: "started" },
      { vm: "k8s-master1", outcome: "done", detail: "started" },
      { vm: "k8s-worker1", outcome: "skipped", detail: "already running" },
      { vm: "gateway1", outcome: "done", detail: "started" },
    ]);
    for (const name of [APT_CACHE, "k8s-master1", "k8s-worker1", "gateway1"])
      expect(p.sim.vmState(p.vmxOf(name))?.power).toBe("on");
    expect(progress).toContain("k8s-master1: starting (nogui)");
  });

  it("reports a VM whose start fails and still starts the others", async () => {
    p.sim.setFaults({ commands: { start: { "k8s-master1": { fail: "Error: The file is locked" } } } });
    const rows = await startAll(context(), log);
    expect(rows.find((r) => r.vm === "k8s-master1")).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("The file is locked"),
    });
    expect(p.sim.vmState(p.vmxOf("gateway1"))?.power).toBe("on");
  });

  it("stops gateways first, then workers, masters and the APT cache; off VMs are skipped", async () => {
    for (const name of [APT_CACHE, "k8s-master1", "gateway1"]) p.sim.powerOn(p.vmxOf(name));
    const rows = await stopAll(context(), log);
    expect(vmsCalled(p.sim, "stop")).toEqual(["gateway1", "k8s-master1", APT_CACHE]);
    expect(rows.map((r) => [r.vm, r.outcome])).toEqual([
      ["gateway1", "done"],
      ["k8s-worker1", "skipped"],
      ["k8s-master1", "done"],
      [APT_CACHE, "done"],
    ]);
    for (const name of [APT_CACHE, "k8s-master1", "gateway1"])
      expect(p.sim.vmState(p.vmxOf(name))?.power).toBe("off");
  });
});

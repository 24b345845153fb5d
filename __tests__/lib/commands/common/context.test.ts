import * as fs from "node:fs";
import * as path from "node:path";
import { loadCliContext, parseTimeoutSeconds, selectTargets } from "../../../../lib/commands/common/context";
import { ConfigError } from "../../../../lib/model/config/errors";
import { APT_CACHE, CLUSTER_VMS, CliProject, createCliProject } from "../../../../test-support/cli-project";

describe("loadCliContext", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject({ vmrunSeconds: 42 });
  });
  afterEach(() => p.cleanup());
  const env = () => ({ ...process.env, ...p.env });

  it("gives the cluster VMs as targets with absolute vmx paths and the APT cache apart", () => {
    const ctx = loadCliContext(p.root, { env: env() });
    expect(ctx.targets.map((t) => t.name)).toEqual([...CLUSTER_VMS]);
    expect(ctx.targets.every((t) => path.isAbsolute(t.vmx) && fs.existsSync(t.vmx))).toBe(true);
    expect(ctx.aptCache).toMatchObject({ name: APT_CACHE, role: "apt-cache", vmx: p.vmxOf(APT_CACHE) });
    expect(ctx.generatedDir).toBe(path.join(p.root, "generated"));
    expect(ctx.inventoryFile).toBe(path.join(p.root, "vm-ips.env"));
  });

  it("takes the vmrun deadline from the config, overridden by --timeout", () => {
    expect(loadCliContext(p.root, { env: env() }).driver.timeoutMs).toBe(42_000);
    expect(loadCliContext(p.root, { env: env(), timeoutSeconds: 7 }).driver.timeoutMs).toBe(7_000);
  });

  it("throws a ConfigError for an invalid cluster.yaml", () => {
    fs.writeFileSync(path.join(p.root, "cluster.yaml"), "vms:\n  - {name: Bad_Name, role: worker}\n");
    expect(() => loadCliContext(p.root, { env: env() })).toThrow(ConfigError);
  });
});

describe("selectTargets", () => {
  const targets = CLUSTER_VMS.map((name) => ({ name, vmx: `/x/${name}.vmx`, role: "worker" as const }));

  it("returns all targets without names and the named ones in cluster order", () => {
    expect(selectTargets(targets, undefined)).toHaveLength(3);
    expect(selectTargets(targets, ["k8s-worker1", "gateway1"]).map((t) => t.name)).toEqual([
      "gateway1",
      "k8s-worker1",
    ]);
  });

  it("rejects unknown names and lists the valid ones", () => {
    expect(() => selectTargets(targets, ["k8s-worker1", "k8s-worker9"])).toThrow(
      "unknown VM name k8s-worker9 in --vm; the cluster VMs are: gateway1, k8s-master1, k8s-worker1",
    );
  });
});

describe("parseTimeoutSeconds", () => {
  it("accepts whole seconds and rejects anything else", () => {
    expect(parseTimeoutSeconds("30")).toBe(30);
    for (const bad of ["0", "-1", "1.5", "abc", ""])
      expect(() => parseTimeoutSeconds(bad)).toThrow(/--timeout/);
  });
});

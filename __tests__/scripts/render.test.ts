import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseVmx } from "../../lib/model/render/vmx";
import { CliProject, createCliProject, runCli } from "../../test-support/cli-project";

describe("scripts/render.ts (npm run render -- <vm>)", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
  });
  afterEach(() => p.cleanup());

  it("prints a VM's seed, .vmx and role files before any deploy, unknown addresses as placeholders", async () => {
    const r = await runCli(p, "render", ["gateway1"]);
    expect(r.code).toBe(0);
    const headers = r.stdout.split("\n").filter((l) => l.startsWith("==> "));
    expect(headers).toEqual(
      [
        "seed/user-data",
        "seed/meta-data",
        "seed/network-config",
        "gateway1.vmx",
        "guest/hosts",
        "guest/nginx.conf",
        "guest/keepalived.conf",
      ].map((f) => `==> generated/gateway1/${f} <==`),
    );
    const fileOf = (name: string) =>
      r.stdout.split(`==> generated/gateway1/${name} <==\n`)[1].split("\n==> ")[0];
    const userData = parse(fileOf("seed/user-data")) as { hostname: string; packages: string[] };
    expect(userData.hostname).toBe("gateway1");
    expect(userData.packages).toContain("keepalived");
    expect(fileOf("seed/meta-data")).toMatch(/^instance-id: "gateway1-[0-9a-f]{12}"$/m);
    expect(parseVmx(fileOf("gateway1.vmx")).displayName).toBe("gateway1");
    // The variables at their defaults; the masters' addresses are not known before a deploy.
    expect(fileOf("guest/keepalived.conf")).toContain("192.168.68.210");
    expect(fileOf("guest/nginx.conf")).toContain("<address of k8s-master1: known after the deploy>");
    expect(fileOf("guest/hosts")).toContain("10.10.0.148 apt-cache-server");
    expect(r.stderr).toContain("no address known yet for gateway1, k8s-master1, k8s-worker1");
    expect(p.sim.calls()).toEqual([]);
    expect(fs.existsSync(path.join(p.root, "generated"))).toBe(false);
  });

  it("takes the addresses vm-ips.env has, and writes into --out, never into the deploy's folders", async () => {
    fs.writeFileSync(
      path.join(p.root, "vm-ips.env"),
      "GATEWAY1_IP=10.10.0.131\nK8S_MASTER1_IP=10.10.0.132\n",
    );
    const out = path.join(p.root, "preview");
    const r = await runCli(p, "render", ["gateway1", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(fs.readFileSync(path.join(out, "guest/nginx.conf"), "utf8")).toContain("server 10.10.0.132:6443");
    expect(fs.statSync(path.join(out, "guest/keepalived.conf")).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.join(out, "seed")).sort()).toEqual([
      "meta-data",
      "network-config",
      "user-data",
    ]);
    expect(r.stderr).toContain("no address known yet for k8s-worker1");

    const refused = await runCli(p, "render", ["gateway1", "--out", "generated/preview"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "--out generated/preview is inside generated, which the deploy writes itself",
    );
  });

  it("the APT cache has no role files; an unknown VM gets the list of VMs", async () => {
    const cache = await runCli(p, "render", ["apt-cache-server"]);
    expect(cache.code).toBe(0);
    expect(cache.stdout.split("\n").filter((l) => l.startsWith("==> "))).toHaveLength(4);
    const wrong = await runCli(p, "render", ["k8s-master9"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      'render: no VM named "k8s-master9" in the config; the VMs are: gateway1, k8s-master1, k8s-worker1, apt-cache-server\n',
    );
  });

  it("on vSphere renders the seed and role files but no .vmx (a clone has none of the project's)", async () => {
    const example = fs.readFileSync(path.join(__dirname, "../../cluster.vsphere.example.yaml"), "utf8");
    fs.writeFileSync(path.join(p.root, "cluster.vsphere.yaml"), `sshPublicKeyFile: id_test.pub\n${example}`);
    const r = await runCli(p, "render", ["k8s-master1"], { env: { CLUSTER_CONFIG: "cluster.vsphere.yaml" } });
    expect(r.code).toBe(0);
    const headers = r.stdout.split("\n").filter((l) => l.startsWith("==> "));
    expect(headers).toEqual(
      ["seed/user-data", "seed/meta-data", "seed/network-config", "guest/hosts"].map(
        (f) => `==> generated/k8s-master1/${f} <==`,
      ),
    );
    expect(r.stdout).toContain("10.10.0.21 k8s-master1");
  });
});

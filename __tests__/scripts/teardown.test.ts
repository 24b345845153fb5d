import * as fs from "node:fs";
import * as path from "node:path";
import {
  APT_CACHE,
  CLUSTER_VMS,
  CliProject,
  createCliProject,
  runCli,
  vmsCalled,
} from "../../test-support/cli-project";

const VMS = "VMs/k8s_cluster";

describe("scripts/teardown.ts", () => {
  let p: CliProject;
  beforeEach(() => {
    p = createCliProject();
    for (const name of CLUSTER_VMS)
      fs.writeFileSync(path.join(path.dirname(p.vmxOf(name)), "seed.iso"), "iso");
    for (const name of [APT_CACHE, ...CLUSTER_VMS]) {
      fs.mkdirSync(path.join(p.root, "generated", name), { recursive: true });
      fs.writeFileSync(path.join(p.root, "generated", name, `${name}.vmx`), "rendered");
    }
    fs.writeFileSync(path.join(p.root, "terraform.k8s-cluster.tfstate"), "{}");
    fs.writeFileSync(path.join(p.root, "terraform.apt-cache.tfstate"), "{}");
    fs.writeFileSync(path.join(p.root, "vm-ips.env"), "K8S_MASTER1_IP=10.10.0.131\n");
    p.sim.powerOn(p.vmxOf("k8s-worker1"));
  });
  afterEach(() => p.cleanup());
  const exists = (rel: string) => fs.existsSync(path.join(p.root, rel));

  it("--yes --skip-destroy removes the cluster, prints the table and exits 0", async () => {
    const r = await runCli(p, "teardown", ["--yes", "--skip-destroy"]);
    expect(r.stderr).toContain("teardown k8s-worker1: stopped (hard)");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/terraform destroy\s+skipped/);
    expect(r.stdout).toMatch(new RegExp(`${VMS}/gateway1\\.vmwarevm\\s+removed`));
    expect(r.stdout).toMatch(/vm-ips\.env\s+removed/);
    expect(r.stdout).toContain("teardown complete: nothing of the cluster remains");
    expect(fs.readdirSync(path.join(p.root, VMS))).toEqual([`${APT_CACHE}.vmwarevm`]);
    expect(fs.readdirSync(path.join(p.root, "generated")).sort()).toEqual([APT_CACHE]);
    expect(exists("terraform.k8s-cluster.tfstate")).toBe(false);
    expect(exists("terraform.apt-cache.tfstate")).toBe(true);
  });

  it("names VMs left in the VMs folder from an earlier config, and removes them with --orphans", async () => {
    const orphan = path.join(p.root, "VMs/k8s_cluster/old-worker.vmwarevm");
    fs.mkdirSync(orphan, { recursive: true });
    fs.writeFileSync(path.join(orphan, "old-worker.vmx"), '.encoding = "UTF-8"\n');
    const first = await runCli(p, "teardown", ["--yes", "--skip-destroy"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(
      "teardown: left alone, not in the config: VMs/k8s_cluster/old-worker.vmwarevm; if they are VMs removed from vms, remove them with npm run teardown -- --orphans",
    );
    expect(fs.existsSync(orphan)).toBe(true);
    const second = await runCli(p, "teardown", ["--skip-destroy", "--orphans"], { input: "y\n" });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("old-worker (no longer in the config)");
    expect(fs.existsSync(orphan)).toBe(false);
  });

  it("answering n touches nothing and exits 1", async () => {
    const r = await runCli(p, "teardown", ["--skip-destroy"], { input: "n\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Go on? [y/N]");
    expect(r.stderr).toContain("teardown cancelled: nothing was touched");
    expect(vmsCalled(p.sim, "deleteVM")).toEqual([]);
    expect(vmsCalled(p.sim, "stop")).toEqual([]);
    for (const name of CLUSTER_VMS) expect(exists(`${VMS}/${name}.vmwarevm/${name}.vmx`)).toBe(true);
    expect(exists("terraform.k8s-cluster.tfstate")).toBe(true);
    expect(exists("vm-ips.env")).toBe(true);
  });

  it("answering y goes on", async () => {
    const r = await runCli(p, "teardown", ["--skip-destroy"], { input: "y\n" });
    expect(r.code).toBe(0);
    expect(exists(`${VMS}/k8s-master1.vmwarevm`)).toBe(false);
  });

  it("exits 1 and lists what is left when the audit finds something", async () => {
    p.sim.setFaults({
      commands: {
        deleteVM: { "k8s-master1": { fail: "Error: Insufficient permissions in the host operating system" } },
      },
    });
    const r = await runCli(p, "teardown", ["--yes", "--skip-destroy"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${VMS}/k8s-master1\\.vmwarevm\\s+failed`));
    expect(r.stderr).toContain(`  - VM folder ${VMS}/k8s-master1.vmwarevm is still there`);
    expect(r.stderr).toContain("teardown: teardown is incomplete: 2 items of the cluster remain");
    expect(exists(`${VMS}/gateway1.vmwarevm`)).toBe(false);
  });

  it("refuses while another operation holds the lock", async () => {
    // This test process is alive, so its lock is not stale.
    fs.writeFileSync(
      path.join(p.root, "generated", "operation.lock"),
      JSON.stringify({ pid: process.pid, operation: "stop-all", startedAt: "2026-01-01T00:00:00Z" }),
    );
    const r = await runCli(p, "teardown", ["--yes", "--skip-destroy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("another operation is running: stop-all");
    expect(vmsCalled(p.sim, "deleteVM")).toEqual([]);
    expect(exists(`${VMS}/gateway1.vmwarevm`)).toBe(true);
  });

  it("manager delete-vms runs the same teardown", async () => {
    const r = await runCli(p, "manager", ["delete-vms", "--yes", "--skip-destroy", "--include-apt-cache"]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(p.root, VMS))).toEqual([]);
    expect(exists("terraform.apt-cache.tfstate")).toBe(false);
  });

  // The temporary project has no cdktf.json, so the real `npx cdktf destroy` fails fast, as without Terraform.
  it("when npx cdktf destroy fails, says so and carries on with the sweep", async () => {
    const r = await runCli(p, "teardown", ["--yes"]);
    expect(r.stderr).toContain("manager: running npx cdktf destroy k8s-cluster --auto-approve");
    expect(r.stderr).toMatch(
      /teardown destroy: npx cdktf destroy k8s-cluster --auto-approve exited with \d+; sweeping what is left instead/,
    );
    expect(r.stdout).toMatch(/terraform destroy\s+failed/);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(p.root, VMS))).toEqual([`${APT_CACHE}.vmwarevm`]);
  }, 60_000);

  it('menu choice 8 runs the teardown once "delete" is typed', async () => {
    const r = await runCli(p, "manager", [], { input: "8\ndelete\nq\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("teardown complete: nothing of the cluster remains");
    expect(r.stdout).toContain("bye");
    expect(fs.readdirSync(path.join(p.root, VMS))).toEqual([`${APT_CACHE}.vmwarevm`]);
    expect(exists("vm-ips.env")).toBe(false);
  }, 60_000);
});

/**
 * scripts/deploy.ts as `npm run deploy` runs it, with the vmrun simulator. There is no VMware here, so
 * the doctor fails (vmnet2 is missing) and no run gets as far as cdktf: what comes before it is tested
 * here (the lock, the VMs cluster.yaml no longer names, their removal, the doctor's stop); the steps
 * after the doctor are __tests__/lib/commands/deploy's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CLUSTER_VMS,
  CliProject,
  createCliProject,
  runCli,
  startCli,
  vmsCalled,
} from "../../test-support/cli-project";
import { stateNaming } from "../../test-support/terraform-state";
import { writeTestVmx } from "../../test-support/vmrun-sim";

const VMS = "VMs/k8s_cluster";

let p: CliProject;
beforeEach(() => (p = createCliProject()));
afterEach(() => p.cleanup());

/** k8s-worker9 was renamed away in cluster.yaml: still in the state, its folder on disk, running. */
function renameLeavesWorker9(): string {
  const vmx = writeTestVmx(path.join(p.root, VMS, "k8s-worker9.vmwarevm"), "k8s-worker9").vmxPath;
  p.sim.powerOn(vmx);
  fs.writeFileSync(
    path.join(p.root, "terraform.k8s-cluster.tfstate"),
    stateNaming([...CLUSTER_VMS, "k8s-worker9"]),
  );
  return vmx;
}

describe("scripts/deploy.ts", () => {
  it("names a VM cluster.yaml no longer names, with what is left and the command, before the doctor stops it", async () => {
    const vmx = renameLeavesWorker9();
    const r = await runCli(p, "deploy", ["--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "deploy: 1 VM is no longer in cluster.yaml but still here (renamed or removed from vms; Terraform removes no VM whose config is gone):\n" +
        `  k8s-worker9  folder ${VMS}/k8s-worker9.vmwarevm, running, in the k8s-cluster state\n` +
        "deploy: they are left as they are; to remove them (stop, delete from VMware, remove the folder) run: npm run deploy -- --remove-orphans\n",
    );
    expect(r.stdout).toMatch(/FAIL/);
    expect(r.stderr).toMatch(
      /deploy: .*\d+ failures?: fix the failures above \(npm run doctor shows every check\), then deploy again/,
    );
    expect(r.stderr).not.toContain("running npx");
    expect(p.sim.vmState(vmx)?.power).toBe("on");
    expect(fs.existsSync(vmx)).toBe(true);
  });

  it("--remove-orphans (the command named) removes it through vmrun, touching nothing else", async () => {
    const vmx = renameLeavesWorker9();
    fs.writeFileSync(path.join(p.root, VMS, "notes.txt"), "mine");
    const r = await runCli(p, "deploy", ["--remove-orphans"]);
    expect(r.stdout).toMatch(new RegExp(`${VMS}/k8s-worker9\\.vmwarevm\\s+removed`));
    expect(vmsCalled(p.sim, "stop")).toEqual(["k8s-worker9"]);
    expect(vmsCalled(p.sim, "deleteVM")).toEqual(["k8s-worker9"]);
    expect(fs.existsSync(path.dirname(vmx))).toBe(false);
    for (const vm of [...CLUSTER_VMS, "apt-cache-server"]) expect(fs.existsSync(p.vmxOf(vm))).toBe(true);
    expect(fs.readFileSync(path.join(p.root, VMS, "notes.txt"), "utf8")).toBe("mine");
    // The doctor still stops this deploy (no VMware here); the next one has nothing left to name.
    expect(r.code).toBe(1);
    const again = await runCli(p, "deploy", []);
    expect(again.stderr).not.toContain("no longer in cluster.yaml");
  });

  it("is refused at once while a snapshot command runs, naming its pid and command, before the doctor", async () => {
    p.sim.setFaults({ commands: { snapshot: { gateway1: { delayMs: 4000 } } } });
    const snapshot = startCli(p, "snapshot", ["create", "slow"]);
    await p.sim.waitForCall((c) => c.command === "snapshot");
    const r = await runCli(p, "deploy", []);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^deploy: another operation is running: snapshot create \(pid \d+, command "scripts\/run snapshot create slow", since [^)]+\); wait for it to finish and run this again, or stop it \(kill \d+\)/m,
    );
    expect(r.stdout).toBe(""); // the doctor did not run
    expect((await snapshot.done).code).toBe(0);
  });

  it("stops on an invalid cluster.yaml with the config error, once, before anything", async () => {
    fs.writeFileSync(path.join(p.root, "cluster.yaml"), "vms: 3\n");
    const r = await runCli(p, "deploy", []);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/cluster\.yaml is invalid/g)).toHaveLength(1);
    expect(p.sim.calls()).toEqual([]);
    expect(fs.existsSync(path.join(p.root, "generated"))).toBe(false);
  });

  it("refuses a mistyped option, which cdktf would ignore, before anything", async () => {
    const vmx = renameLeavesWorker9();
    const callsBefore = p.sim.calls().length;
    const r = await runCli(p, "deploy", ["--remove-orphan"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^deploy: unknown option --remove-orphan: cdktf deploy would ignore it and go on, so nothing was done; deploy's own options are --remove-orphans, --wait, and cdktf deploy takes --app, /m,
    );
    expect(r.stderr).not.toContain("no longer in cluster.yaml");
    expect(p.sim.calls().slice(callsBefore)).toEqual([]);
    expect(p.sim.vmState(vmx)?.power).toBe("on");
  });
});

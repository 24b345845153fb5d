import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliContext } from "../../../../lib/commands/common/context";
import { withOperationLock } from "../../../../lib/runtime/ops/operation-lock";
import { destroyVm } from "../../../../lib/runtime/vm/destroy";
import { DestroyStep, runTeardown } from "../../../../lib/commands/teardown/run-teardown";
import { writeTestVmx } from "../../../../test-support/vmrun-sim";
import {
  APT_CACHE,
  CLUSTER_VMS,
  CliProject,
  createCliProject,
  fakeCliContext,
  vmsCalledOn,
} from "../../../../test-support/cli-project";
import { FakeHypervisor } from "../../../../test-support/fake-hypervisor";

const VMS = "VMs/k8s_cluster";

/** What a finished deploy leaves: seed ISOs, generated files, both states, the inventory, a base image; three VMs running. */
function deploy(p: CliProject, hv: FakeHypervisor): void {
  for (const name of [APT_CACHE, ...CLUSTER_VMS]) {
    const dir = path.dirname(p.vmxOf(name));
    if (fs.existsSync(dir)) fs.writeFileSync(path.join(dir, "seed.iso"), "iso");
    fs.mkdirSync(path.join(p.root, "generated", name, "seed"), { recursive: true });
    fs.writeFileSync(path.join(p.root, "generated", name, `${name}.vmx`), "rendered");
    fs.writeFileSync(path.join(p.root, "generated", name, "seed", "user-data"), "#cloud-config\n");
  }
  for (const f of [
    "terraform.k8s-cluster.tfstate",
    "terraform.k8s-cluster.tfstate.backup",
    "terraform.apt-cache.tfstate",
  ])
    fs.writeFileSync(path.join(p.root, f), "{}");
  fs.writeFileSync(path.join(p.root, "vm-ips.env"), "K8S_MASTER1_IP=10.10.0.131\n");
  fs.mkdirSync(path.join(p.root, "generated", "snapshots"), { recursive: true });
  fs.writeFileSync(path.join(p.root, "generated", "snapshots", "before-upgrade.json"), "{}\n");
  fs.mkdirSync(path.join(p.root, "base_images"));
  fs.writeFileSync(path.join(p.root, "base_images", "noble.qcow2"), "image");
  for (const name of [APT_CACHE, "k8s-master1", "gateway1"]) {
    const vm = hv.vm(p.vmxOf(name));
    if (vm !== undefined) vm.running = true;
  }
}

const exists = (p: CliProject, rel: string) => fs.existsSync(path.join(p.root, rel));

/** What the destroy provisioners do for the VMs in the state: destroyVm each, then the state goes. */
function provisionerDestroy(ctx: CliContext, names: readonly string[]): DestroyStep {
  return async () => {
    for (const name of names) {
      const dir = `${VMS}/${name}.vmwarevm`;
      await destroyVm(ctx.driver, {
        projectRoot: ctx.projectRoot,
        vmsDir: VMS,
        vmDir: dir,
        vmx: `${dir}/${name}.vmx`,
        log: () => {},
      });
    }
    fs.rmSync(path.join(ctx.projectRoot, "terraform.k8s-cluster.tfstate"));
    return { ok: true, detail: "destroyed" };
  };
}

const failingDestroy: DestroyStep = async () => ({
  ok: false,
  detail: "npx cdktf destroy k8s-cluster --auto-approve exited with 1",
});

describe("runTeardown", () => {
  let p: CliProject;
  let ctx: CliContext;
  let hv: FakeHypervisor;
  afterEach(() => p.cleanup());
  const setUp = (absent: string[] = []) => {
    p = createCliProject({ absent });
    ({ ctx, hv } = fakeCliContext(p));
    deploy(p, hv);
  };
  const called = (op: string) => vmsCalledOn(hv, op);

  it("after a full deploy leaves nothing of the cluster and keeps the APT cache and base images", async () => {
    setUp();
    const report = await runTeardown(ctx, {
      destroy: provisionerDestroy(ctx, ["k8s-master1", "k8s-worker1"]),
    });
    expect(report.leftovers).toEqual([]);
    expect(report.destroy).toEqual({ ok: true, detail: "destroyed" });
    for (const name of CLUSTER_VMS) {
      expect(exists(p, `${VMS}/${name}.vmwarevm`)).toBe(false);
      expect(exists(p, `generated/${name}`)).toBe(false);
    }
    // gateway1 was not in the (simulated) state: the sweep removed it, after a hard stop.
    expect(report.rows.find((r) => r.item === `${VMS}/gateway1.vmwarevm`)?.outcome).toBe("removed");
    expect(called("stopIfRunning")).toEqual(["k8s-master1", "gateway1"]);
    expect(called("deleteVmIfPresent").sort()).toEqual(["gateway1", "k8s-master1", "k8s-worker1"]);
    for (const f of [
      "terraform.k8s-cluster.tfstate",
      "terraform.k8s-cluster.tfstate.backup",
      "vm-ips.env",
      "generated/snapshots",
    ])
      expect(exists(p, f)).toBe(false);
    expect(exists(p, `${VMS}/${APT_CACHE}.vmwarevm/${APT_CACHE}.vmx`)).toBe(true);
    expect(exists(p, `generated/${APT_CACHE}/${APT_CACHE}.vmx`)).toBe(true);
    expect(exists(p, "terraform.apt-cache.tfstate")).toBe(true);
    expect(exists(p, "base_images/noble.qcow2")).toBe(true);
    expect(hv.vm(p.vmxOf(APT_CACHE))?.running).toBe(true);
  });

  it("removes every VM by the sweep when the state is lost and the destroy fails", async () => {
    setUp();
    fs.rmSync(path.join(p.root, "terraform.k8s-cluster.tfstate"));
    const report = await runTeardown(ctx, { destroy: failingDestroy });
    expect(report.destroy).toEqual({ ok: false, detail: expect.stringContaining("exited with 1") });
    expect(report.leftovers).toEqual([]);
    expect(report.rows.filter((r) => r.item.endsWith(".vmwarevm")).map((r) => [r.item, r.outcome])).toEqual(
      CLUSTER_VMS.map((n) => [`${VMS}/${n}.vmwarevm`, "removed"]),
    );
    expect(report.rows.find((r) => r.item === "terraform.k8s-cluster.tfstate")?.outcome).toBe("already gone");
    expect(fs.readdirSync(path.join(p.root, VMS))).toEqual([`${APT_CACHE}.vmwarevm`]);
  });

  it("succeeds when one VM is already gone", async () => {
    setUp(["k8s-worker1"]);
    const report = await runTeardown(ctx, {});
    expect(report.destroy).toBe("skipped");
    expect(report.leftovers).toEqual([]);
    expect(report.rows.find((r) => r.item === `${VMS}/k8s-worker1.vmwarevm`)).toEqual({
      item: `${VMS}/k8s-worker1.vmwarevm`,
      outcome: "already gone",
      detail: "no folder, not running",
    });
    expect(called("deleteVmIfPresent").sort()).toEqual(["gateway1", "k8s-master1"]);
  });

  it("with includeAptCache and purgeImages also removes the cache, its state and the base images", async () => {
    setUp();
    const report = await runTeardown(ctx, { includeAptCache: true, purgeImages: true });
    expect(report.leftovers).toEqual([]);
    expect(fs.readdirSync(path.join(p.root, VMS))).toEqual([]);
    for (const rel of [`generated/${APT_CACHE}`, "terraform.apt-cache.tfstate", "base_images"])
      expect(exists(p, rel)).toBe(false);
    expect(exists(p, "generated")).toBe(true); // the lock lives there; only the VMs' folders go
    expect(hv.vm(p.vmxOf(APT_CACHE))).toBeUndefined();
  });

  describe("the path guard", () => {
    let outside: string;
    beforeEach(() => {
      outside = fs.mkdtempSync(path.join(os.tmpdir(), "teardown-outside-"));
      fs.writeFileSync(path.join(outside, "precious.txt"), "keep");
    });
    afterEach(() => fs.rmSync(outside, { recursive: true, force: true }));

    it("leaves folders of other names alone, and refuses a cluster VM folder that is a symlink to elsewhere", async () => {
      setUp();
      const vms = path.join(p.root, VMS);
      fs.symlinkSync(outside, path.join(vms, "evil.vmwarevm"));
      fs.mkdirSync(path.join(vms, "stranger.vmwarevm"));
      fs.writeFileSync(path.join(vms, "stranger.vmwarevm", "stranger.vmx"), "x");
      fs.rmSync(path.join(vms, "k8s-worker1.vmwarevm"), { recursive: true });
      fs.symlinkSync(outside, path.join(vms, "k8s-worker1.vmwarevm"));

      const report = await runTeardown(ctx, {});
      expect(fs.readFileSync(path.join(outside, "precious.txt"), "utf8")).toBe("keep");
      expect(fs.lstatSync(path.join(vms, "evil.vmwarevm")).isSymbolicLink()).toBe(true);
      expect(fs.existsSync(path.join(vms, "stranger.vmwarevm", "stranger.vmx"))).toBe(true);
      expect(report.rows.some((r) => r.item.includes("evil") || r.item.includes("stranger"))).toBe(false);
      const worker = report.rows.find((r) => r.item === `${VMS}/k8s-worker1.vmwarevm`)!;
      expect(worker.outcome).toBe("failed");
      expect(worker.detail).toContain("symlink");
      expect(report.leftovers).toEqual([`VM folder ${VMS}/k8s-worker1.vmwarevm is still there`]);
      expect(called("deleteVmIfPresent").sort()).toEqual(["gateway1", "k8s-master1"]);
    });

    it("refuses a generated folder that is a symlink to elsewhere", async () => {
      setUp();
      fs.rmSync(path.join(p.root, "generated/k8s-master1"), { recursive: true });
      fs.symlinkSync(outside, path.join(p.root, "generated/k8s-master1"));
      const report = await runTeardown(ctx, {});
      expect(report.rows.find((r) => r.item === "generated/k8s-master1")?.outcome).toBe("failed");
      expect(fs.readFileSync(path.join(outside, "precious.txt"), "utf8")).toBe("keep");
      expect(report.leftovers).toEqual(["generated folder generated/k8s-master1 is still there"]);
    });
  });

  it("stops a VM running from another .vmx in a cluster VM folder before removing the folder", async () => {
    setUp();
    const other = writeTestVmx(path.join(p.root, VMS, "k8s-worker1.vmwarevm"), "k8s-worker1-old").vmxPath;
    hv.addVm(other, { running: true });
    const report = await runTeardown(ctx, {});
    expect(report.leftovers).toEqual([]);
    expect(hv.vm(other)?.running).toBe(false);
    expect(called("stopIfRunning")).toContain("k8s-worker1-old");
    expect(exists(p, `${VMS}/k8s-worker1.vmwarevm`)).toBe(false);
  });

  it("reports a VM whose deleteVM fails as left behind", async () => {
    setUp();
    hv.failNext(
      "deleteVmIfPresent",
      { kind: "failed", message: "vmrun deleteVM k8s-worker1 failed: Insufficient permissions" },
      p.vmxOf("k8s-worker1"),
    );
    const report = await runTeardown(ctx, {});
    expect(report.rows.find((r) => r.item === `${VMS}/k8s-worker1.vmwarevm`)?.outcome).toBe("failed");
    expect(report.leftovers).toEqual([
      `VM folder ${VMS}/k8s-worker1.vmwarevm is still there`,
      `seed ISO ${VMS}/k8s-worker1.vmwarevm/seed.iso is still there`,
    ]);
    expect(exists(p, `${VMS}/k8s-master1.vmwarevm`)).toBe(false);
  });

  it("refuses while another operation holds the lock, touching nothing", async () => {
    setUp();
    await withOperationLock(ctx.generatedDir, "snapshot create", async () => {
      await expect(runTeardown(ctx, { destroy: failingDestroy })).rejects.toThrow(
        "another operation is running: snapshot create",
      );
    });
    expect(called("deleteVmIfPresent")).toEqual([]);
    expect(exists(p, `${VMS}/k8s-master1.vmwarevm`)).toBe(true);
    expect(exists(p, "terraform.k8s-cluster.tfstate")).toBe(true);
  });
});

describe("VMs of an earlier config (orphans)", () => {
  let p: CliProject;
  afterEach(() => p.cleanup());

  it("are removed with includeOrphans, stopped first, and audited; folders with other shapes are still left alone", async () => {
    p = createCliProject();
    const { ctx, hv } = fakeCliContext(p);
    deploy(p, hv);
    // k8s-worker9 was in vms once: Terraform dropped it from the state without running its destroy step.
    const orphanDir = path.join(p.root, VMS, "k8s-worker9.vmwarevm");
    writeTestVmx(orphanDir, "k8s-worker9");
    hv.addVm(path.join(orphanDir, "k8s-worker9.vmx"), { running: true });
    fs.mkdirSync(path.join(p.root, VMS, "Not_A_Name.vmwarevm"));
    fs.writeFileSync(path.join(p.root, VMS, "notes.txt"), "mine");

    const without = await runTeardown(ctx, {});
    expect(fs.existsSync(orphanDir)).toBe(true);
    expect(without.rows.some((r) => r.item.includes("k8s-worker9"))).toBe(false);

    const report = await runTeardown(ctx, { includeOrphans: true });
    const row = report.rows.find((r) => r.item === `${VMS}/k8s-worker9.vmwarevm`);
    expect(row?.outcome).toBe("removed");
    expect(fs.existsSync(orphanDir)).toBe(false);
    expect(vmsCalledOn(hv, "deleteVmIfPresent")).toContain("k8s-worker9");
    expect(hv.vm(path.join(orphanDir, "k8s-worker9.vmx"))).toBeUndefined();
    expect(report.leftovers).toEqual([]);
    expect(fs.existsSync(path.join(p.root, VMS, "Not_A_Name.vmwarevm"))).toBe(true);
    expect(fs.readFileSync(path.join(p.root, VMS, "notes.txt"), "utf8")).toBe("mine");
  });
});

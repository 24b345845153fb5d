import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { CliContext } from "../../../../lib/commands/common/context";
import { findLeftoverVms, vmNamesInState } from "../../../../lib/commands/deploy/leftover-vms";
import { DeploySteps, runDeploy } from "../../../../lib/commands/deploy/run-deploy";
import { DoctorReport } from "../../../../lib/commands/doctor/run-doctor";
import { withOperationLock } from "../../../../lib/runtime/ops/operation-lock";
import {
  CliProject,
  createCliProject,
  fakeCliContext,
  vmsCalledOn,
} from "../../../../test-support/cli-project";
import { FakeHypervisor } from "../../../../test-support/fake-hypervisor";
import { stateNaming } from "../../../../test-support/terraform-state";
import { writeTestVmx } from "../../../../test-support/vmrun-sim";

const VMS = "VMs/k8s_cluster";

const okDoctor = async (): Promise<DoctorReport> => ({ ok: true, results: [] });
const failingDoctor = async (): Promise<DoctorReport> => ({
  ok: false,
  results: [
    {
      check: "vmnet2 NAT",
      status: "failure",
      detail: "VNET_2_NAT: expected yes, found no",
      fix: "turn NAT on",
    },
  ],
});

interface Run {
  readonly out: string;
  readonly err: string;
  readonly error?: Error;
  readonly cdktfCalls: (readonly string[])[];
}

let p: CliProject;
let ctx: CliContext;
let hv: FakeHypervisor;
let outside: string;
beforeEach(() => {
  p = createCliProject();
  ({ ctx, hv } = fakeCliContext(p));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-outside-"));
  fs.writeFileSync(path.join(outside, "precious.txt"), "keep");
});
afterEach(() => {
  p.cleanup();
  fs.rmSync(outside, { recursive: true, force: true });
});

async function deploy(
  opts: Parameters<typeof runDeploy>[1] = {},
  steps: Partial<DeploySteps> = {},
  onErr: (text: string) => void = () => {},
): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (d) => (o += d));
  err.on("data", (d) => onErr((e += d)));
  const cdktfCalls: (readonly string[])[] = [];
  let error: Error | undefined;
  try {
    await runDeploy(
      ctx,
      opts,
      {
        doctor: steps.doctor ?? okDoctor,
        cdktf:
          steps.cdktf ??
          (async (args) => {
            cdktfCalls.push(args);
            return 0;
          }),
      },
      { out, err },
    );
  } catch (x) {
    error = x as Error;
  }
  return { out: o, err: e, error, cdktfCalls };
}

/** k8s-worker9 was in vms once (in the state and on disk, running); old-gw only has a folder left. */
function leaveOrphans(): { worker9: string; oldGw: string } {
  const worker9 = writeTestVmx(path.join(p.root, VMS, "k8s-worker9.vmwarevm"), "k8s-worker9").vmxPath;
  hv.addVm(worker9, { running: true });
  fs.mkdirSync(path.join(p.root, "generated", "k8s-worker9"), { recursive: true });
  const oldGw = writeTestVmx(path.join(p.root, VMS, "old-gw.vmwarevm"), "old-gw").vmxPath;
  hv.addVm(oldGw);
  fs.writeFileSync(
    path.join(p.root, "terraform.k8s-cluster.tfstate"),
    stateNaming(["gateway1", "k8s-master1", "k8s-worker1", "k8s-worker9"]),
  );
  // Not VMs of this project: never touched.
  fs.mkdirSync(path.join(p.root, VMS, "Not_A_Name.vmwarevm"));
  fs.symlinkSync(outside, path.join(p.root, VMS, "linked.vmwarevm"));
  return { worker9, oldGw };
}

describe("the VMs cluster.yaml no longer names", () => {
  it("are read from the states' vm_name triggers and the VMs folder, without Terraform", () => {
    leaveOrphans();
    expect(vmNamesInState(path.join(p.root, "terraform.k8s-cluster.tfstate"))).toEqual([
      "gateway1",
      "k8s-master1",
      "k8s-worker1",
      "k8s-worker9",
    ]);
    expect(vmNamesInState(path.join(p.root, "terraform.apt-cache.tfstate"))).toEqual([]);
    const { leftovers, problems } = findLeftoverVms(p.root, ctx.model);
    expect(problems).toEqual([]);
    expect(leftovers.map((l) => [l.vm.name, l.inState])).toEqual([
      ["k8s-worker9", ["k8s-cluster"]],
      ["old-gw", []],
    ]);
    // Only named by a state, with no folder: nothing of it is left on the Mac, the apply forgets it.
    fs.writeFileSync(
      path.join(p.root, "terraform.apt-cache.tfstate"),
      stateNaming(["apt-cache-server", "ghost"]),
    );
    expect(findLeftoverVms(p.root, ctx.model).leftovers.map((l) => l.vm.name)).toEqual([
      "k8s-worker9",
      "old-gw",
    ]);
  });

  it("a state file that is not JSON is named, and the folder is still looked at", () => {
    leaveOrphans();
    fs.writeFileSync(path.join(p.root, "terraform.apt-cache.tfstate"), "{");
    const { leftovers, problems } = findLeftoverVms(p.root, ctx.model);
    expect(problems).toEqual([expect.stringContaining("terraform.apt-cache.tfstate is not valid JSON")]);
    expect(leftovers.map((l) => l.vm.name)).toEqual(["k8s-worker9", "old-gw"]);
  });

  it("are named in one block before the apply, with what is left and the command that removes them, and left alone", async () => {
    const { worker9, oldGw } = leaveOrphans();
    const r = await deploy({ cdktfArgs: ["--auto-approve"] });
    expect(r.error).toBeUndefined();
    expect(r.err).toBe(
      [
        "deploy: 2 VMs are no longer in cluster.yaml but still here (renamed or removed from vms; Terraform removes no VM whose config is gone):",
        `  k8s-worker9  folder ${VMS}/k8s-worker9.vmwarevm, running, in the k8s-cluster state`,
        `  old-gw       folder ${VMS}/old-gw.vmwarevm, not running`,
        "deploy: they are left as they are; to remove them (stop, delete from VMware, remove the folder) run: npm run deploy -- --remove-orphans",
        "",
      ].join("\n"),
    );
    expect(r.cdktfCalls).toEqual([["--auto-approve"]]);
    expect(hv.vm(worker9)?.running).toBe(true);
    expect(hv.vm(oldGw)).toBeDefined();
    expect(fs.existsSync(path.dirname(worker9))).toBe(true);
  });

  it("with --remove-orphans (the command the block names) are removed as teardown --orphans does, then the apply runs", async () => {
    const { worker9, oldGw } = leaveOrphans();
    const r = await deploy({ removeOrphans: true });
    expect(r.error).toBeUndefined();
    expect(r.err).toContain("deploy: removing them first");
    expect(r.out).toMatch(new RegExp(`${VMS}/k8s-worker9\\.vmwarevm\\s+removed`));
    expect(r.out).toMatch(new RegExp(`${VMS}/old-gw\\.vmwarevm\\s+removed`));
    expect(vmsCalledOn(hv, "stopIfRunning")).toEqual(["k8s-worker9"]);
    expect(vmsCalledOn(hv, "deleteVmIfPresent").sort()).toEqual(["k8s-worker9", "old-gw"]);
    expect(hv.vm(worker9)).toBeUndefined();
    expect(hv.vm(oldGw)).toBeUndefined();
    for (const gone of [
      path.dirname(worker9),
      path.dirname(oldGw),
      path.join(p.root, "generated", "k8s-worker9"),
    ])
      expect(fs.existsSync(gone)).toBe(false);
    expect(r.cdktfCalls).toEqual([[]]);
    // Nothing else was touched: the cluster's VMs, folders of other shapes, a link to elsewhere, its target.
    for (const name of ["gateway1", "k8s-master1", "k8s-worker1", "apt-cache-server"])
      expect(fs.existsSync(p.vmxOf(name))).toBe(true);
    expect(fs.existsSync(path.join(p.root, VMS, "Not_A_Name.vmwarevm"))).toBe(true);
    expect(fs.lstatSync(path.join(p.root, VMS, "linked.vmwarevm")).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(outside, "precious.txt"), "utf8")).toBe("keep");
    // And the next deploy finds nothing left.
    const again = await deploy();
    expect(again.err).toBe("");
  });

  it("a removal that fails stops the deploy before the apply, with a command that finishes it", async () => {
    const { worker9 } = leaveOrphans();
    hv.failNext("deleteVmIfPresent", { kind: "failed", message: "Insufficient permissions" }, worker9);
    const r = await deploy({ removeOrphans: true });
    expect(r.error?.message).toBe(
      "could not remove every VM no longer in cluster.yaml (listed above), and nothing was deployed: fix the cause and run npm run deploy -- --remove-orphans again",
    );
    expect(r.err).toContain(`  - VM folder ${VMS}/k8s-worker9.vmwarevm is still there`);
    expect(r.cdktfCalls).toEqual([]);
    const fixed = await deploy({ removeOrphans: true });
    expect(fixed.error).toBeUndefined();
    expect(fs.existsSync(path.dirname(worker9))).toBe(false);
  });

  it("with none left, the deploy says nothing about them and asks vmrun nothing", async () => {
    const r = await deploy();
    expect(r.err).toBe("");
    expect(hv.calls).toEqual([]);
  });
});

describe("runDeploy", () => {
  it("stops on the doctor's failures before cdktf, printing only them", async () => {
    const r = await deploy({}, { doctor: failingDoctor });
    expect(r.out).toContain("vmnet2 NAT");
    expect(r.error?.message).toMatch(
      /1 failure: fix the failures above \(npm run doctor shows every check\), then deploy again$/,
    );
    expect(r.cdktfCalls).toEqual([]);
  });

  it("reports a failed cdktf with the command to run again", async () => {
    const r = await deploy({ cdktfArgs: ["--auto-approve"] }, { cdktf: async () => 1 });
    expect(r.error?.message).toBe(
      "npx cdktf deploy apt-cache k8s-cluster --auto-approve exited with 1; read its output above, fix the cause and run npm run deploy again (it resumes)",
    );
    // The fix it names works: the lock was released, and the next deploy runs cdktf again.
    const again = await deploy({ cdktfArgs: ["--auto-approve"] });
    expect(again.error).toBeUndefined();
    expect(again.cdktfCalls).toEqual([["--auto-approve"]]);
  });

  it("refuses at once while another operation holds the lock, naming its pid and command; nothing runs", async () => {
    let doctorRan = false;
    await withOperationLock(
      ctx.generatedDir,
      "snapshot create",
      async () => {
        const r = await deploy({}, { doctor: async () => ((doctorRan = true), okDoctor()) });
        expect(r.error?.message).toMatch(
          new RegExp(
            `^another operation is running: snapshot create \\(pid ${process.pid}, command "scripts/run snapshot create base", since .*\\); wait for it to finish and run this again, or stop it \\(kill ${process.pid}\\)`,
          ),
        );
        expect(r.cdktfCalls).toEqual([]);
      },
      { command: "scripts/run snapshot create base" },
    );
    expect(doctorRan).toBe(false);
  });

  it("with --wait, says it waits for the holder and runs once the holder is done", async () => {
    let release!: () => void;
    const holder = withOperationLock(
      ctx.generatedDir,
      "teardown",
      () => new Promise<void>((r) => (release = r)),
      {
        command: "scripts/run teardown --yes",
      },
    );
    await new Promise((r) => setImmediate(r));
    let waiting = false;
    const pending = deploy({ waitSeconds: 60 }, {}, (e) => (waiting = e.includes("waiting up to")));
    while (!waiting) await new Promise((r) => setTimeout(r, 10));
    release();
    await holder;
    const r = await pending;
    expect(r.error).toBeUndefined();
    expect(r.err).toMatch(
      /^deploy: waiting up to 60 s for teardown \(pid \d+, command "scripts\/run teardown --yes", since .*\) to finish\n/,
    );
    expect(r.cdktfCalls).toEqual([[]]);
  });

  it("two deploys at once: the second is refused while the first's cdktf runs, so cdktf.out has one writer", async () => {
    let finish!: (code: number) => void;
    let running = 0;
    let most = 0;
    const cdktf = () => {
      running++;
      most = Math.max(most, running);
      return new Promise<number>((r) => (finish = (c) => (running--, r(c))));
    };
    const first = deploy({}, { cdktf });
    while (running === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await deploy({}, { cdktf });
    expect(second.error?.message).toMatch(/^another operation is running: deploy \(pid \d+, command /);
    finish(0);
    expect((await first).error).toBeUndefined();
    expect(most).toBe(1);
  });
});

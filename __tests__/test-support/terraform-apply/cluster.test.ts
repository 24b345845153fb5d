import * as fs from "node:fs";
import * as path from "node:path";
import { sha256File } from "../../../lib/runtime/image/checksums";
import { FakeGuest } from "../../../test-support/fake-guest";
import { makeQcow2, makeTempDir } from "../../../test-support/fixtures";
import {
  applyStack,
  destroyStack,
  planStack,
  type PlanResult,
  type StackOptions,
  StackResult,
} from "../../../test-support/terraform-apply";
import { createDeployProject, DeployProject } from "../../../test-support/terraform-apply/project";
import { createVmrunSim, VmrunSim } from "../../../test-support/vmrun-sim";
import { requireTools } from "../../../test-support/required-tools";

const deployTools = requireTools("qemu-img", "iso-tool", "python3");

/**
 * The real stacks (apt-cache and a two-VM k8s-cluster) synthesized from a small cluster.yaml, deployed,
 * re-deployed and destroyed with the real entry points, the vmrun simulator and the ssh test double
 * (which runs the real guest applier on a fake root) first on PATH.
 */

jest.setTimeout(180_000);

const SSH_SIM = path.resolve(__dirname, "../../../test-support/ssh-sim");

let fixtures: string;
let project: DeployProject;
let sim: VmrunSim;
let guest: FakeGuest;
let sshSimDir: string;
/** Aborted after the tests, so a hung entry point cannot outlive them. */
const stop = new AbortController();

beforeAll(async () => {
  fixtures = makeTempDir("fusion-lab-image-");
  const image = await makeQcow2(path.join(fixtures, "noble-test.img"));
  project = createDeployProject(
    [
      "arch: amd64",
      "vms:",
      "  - {name: gateway1, role: gateway}",
      "  - {name: k8s-master1, role: master}",
      "roleDefaults:",
      "  gateway: {cpus: 2, memoryMb: 2048, diskGb: 4}",
      "  master: {cpus: 2, memoryMb: 4096, diskGb: 4}",
      "  worker: {cpus: 2, memoryMb: 4096, diskGb: 4}",
      "aptCache: {diskGb: 4}",
      "baseImage:",
      `  url: ${image}`,
      `  sha256: ${await sha256File(image)}`,
      "  virtualSizeGb: 1",
      "timeouts: {vmrunSeconds: 30, ipWaitSeconds: 60, ipLookupSeconds: 10, diskSeconds: 120, downloadSeconds: 120}",
      "",
    ].join("\n"),
  );
  sim = createVmrunSim();
  guest = new FakeGuest();
  sshSimDir = makeTempDir("fusion-lab-ssh-sim-");
  fs.writeFileSync(path.join(sshSimDir, "config.json"), JSON.stringify({ applier: guest.applierArgv }));
});

afterAll(() => {
  stop.abort();
  sim?.cleanup();
  guest?.cleanup();
  if (sshSimDir) fs.rmSync(sshSimDir, { recursive: true, force: true });
  project?.cleanup();
  if (fixtures) fs.rmSync(fixtures, { recursive: true, force: true });
});

const STACKS = ["apt-cache", "k8s-cluster"] as const;

/** Both stacks at once, as `cdktf deploy apt-cache k8s-cluster` runs them (its --parallelism defaults to unlimited). */
async function run<R extends PlanResult>(
  fn: (opts: StackOptions) => Promise<R>,
): Promise<Record<(typeof STACKS)[number], R>> {
  const env = { ...sim.env, PATH: `${SSH_SIM}:${sim.env.PATH}`, SSH_SIM_DIR: sshSimDir };
  const [a, c] = await Promise.all(
    STACKS.map((s) =>
      fn({ stackDir: project.stackDirs[s], env, commandTimeoutMs: 60_000, signal: stop.signal }),
    ),
  );
  return { "apt-cache": a, "k8s-cluster": c };
}

/** How many times a run (plan, apply or destroy) started the stack's IP lookup: once, whatever the VM count. */
const lookupReads = (r: PlanResult) =>
  r.runs.filter((x) => x.kind === "read" && x.address.includes("ips_lookup")).map((x) => x.address);
/** And its step check: once per plan, never deferred (it depends on nothing). */
const stepCheckReads = (r: PlanResult) =>
  r.runs.filter((x) => x.kind === "read" && x.address.includes("steps_check")).map((x) => x.address);

/** No failure, nothing skipped; on a mismatch the diff shows the failed commands' output. */
const expectClean = (r: StackResult) =>
  expect({ failed: r.failed, skipped: r.skipped, failedRuns: r.runs.filter((x) => x.code !== 0) }).toEqual({
    failed: [],
    skipped: [],
    failedRuns: [],
  });

deployTools.describe("the real stacks against the vmrun simulator", () => {
  it("deploys, converges on a re-deploy, and destroys", async () => {
    const vms = [project.model.aptCache.vm, ...project.model.vms];
    expect(vms.map((vm) => vm.name)).toEqual(["apt-cache-server", "gateway1", "k8s-master1"]);

    // ---- deploy
    const first = await run(applyStack);
    for (const s of STACKS) {
      expectClean(first[s]);
      expect(new Set(first[s].changes.map((c) => c.action))).toEqual(new Set(["create", "read"]));
      expect(lookupReads(first[s])).toEqual([expect.stringMatching(/^data\.external\.ips_lookup_/)]);
      expect(stepCheckReads(first[s])).toEqual([expect.stringMatching(/^data\.external\.steps_check_/)]);
    }
    for (const vm of vms) {
      const vmx = project.abs(vm.vmxPath);
      expect(sim.vmState(vmx)?.power).toBe("on");
      expect(fs.statSync(project.abs(vm.diskPath)).size).toBeGreaterThan(0);
      expect(fs.existsSync(project.abs(vm.seedIsoPath))).toBe(true);
    }
    const outputs = first["k8s-cluster"].outputs as Record<string, string>;
    expect(outputs.gateway1_ip).toMatch(/^10\.10\.0\.\d+$/);
    expect(outputs.k8s_master1_ip).toMatch(/^10\.10\.0\.\d+$/);
    const inventory = fs.readFileSync(project.abs(project.model.paths.inventoryFile), "utf8");
    expect(inventory).toContain(`GATEWAY1_IP=${outputs.gateway1_ip}\n`);
    expect(inventory).toContain(`K8S_MASTER1_IP=${outputs.k8s_master1_ip}\n`);
    expect(first["apt-cache"].outputs.apt_cache_ip).toMatch(/^10\.10\.0\.\d+$/);

    // ---- re-deploy: nothing to do, only the IP lookups and the step checks read during the plan
    const diskStats = vms.map((vm) => fs.statSync(project.abs(vm.diskPath)).mtimeMs);
    const callsBefore = sim
      .calls()
      .filter((c) => ["start", "stop", "deleteVM"].includes(c.command ?? "")).length;
    const second = await run(applyStack);
    for (const s of STACKS) {
      expectClean(second[s]);
      for (const c of second[s].changes)
        expect(`${c.address} ${c.action}`).toBe(
          `${c.address} ${c.address.startsWith("data.") ? "read" : "keep"}`,
        );
      expect(new Set(second[s].runs.map((x) => x.kind))).toEqual(new Set(["read"]));
      expect(lookupReads(second[s])).toHaveLength(1);
      expect(stepCheckReads(second[s])).toHaveLength(1);
    }
    expect(second["k8s-cluster"].outputs).toEqual(outputs);
    expect(vms.map((vm) => fs.statSync(project.abs(vm.diskPath)).mtimeMs)).toEqual(diskStats);
    expect(sim.calls().filter((c) => ["start", "stop", "deleteVM"].includes(c.command ?? "")).length).toBe(
      callsBefore,
    );

    // ---- every VM stopped by hand: a plan reads the lookups at once and changes nothing, because an
    // off VM answers its last known address (no blanked inventory, no role files to push again)
    for (const vm of vms) sim.powerOff(project.abs(vm.vmxPath));
    const planned = await run(planStack);
    for (const s of STACKS) {
      expect(planned[s].failed).toEqual([]);
      expect(lookupReads(planned[s])).toHaveLength(1);
      for (const c of planned[s].changes)
        expect(`${c.address} ${c.action}`).toBe(
          `${c.address} ${c.address.startsWith("data.") ? "read" : "keep"}`,
        );
    }
    expect(fs.readFileSync(project.abs(project.model.paths.inventoryFile), "utf8")).toBe(inventory);

    // ---- and one VM deleted by hand too: the destroy still completes, and removes the rest
    fs.rmSync(project.abs(project.model.vms[0].vmDir), { recursive: true });

    // ---- destroy
    const gone = await run(destroyStack);
    for (const s of STACKS) {
      expectClean(gone[s]);
      // The plan before the destroy (a normal plan in Terraform 1.11.4, context_plan.go destroyPlan) reads the
      // step check; it finds gateway1's disk gone, plans its steps again, and so leaves the cluster's lookup,
      // which depends on the power steps, for an apply that never comes.
      expect(stepCheckReads(gone[s])).toHaveLength(1);
      expect(lookupReads(gone[s])).toHaveLength(s === "k8s-cluster" ? 0 : 1);
      expect(JSON.parse(fs.readFileSync(gone[s].statePath, "utf8")).resources).toEqual([]);
    }
    for (const vm of vms) {
      expect(fs.existsSync(project.abs(vm.vmDir))).toBe(false);
      expect(sim.vmState(project.abs(vm.vmxPath))?.power ?? "off").toBe("off");
    }
  });
});

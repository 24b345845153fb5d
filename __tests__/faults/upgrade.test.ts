/**
 * Upgrade: a lab built by the release before the step check keeps every disk, seed and VM when the user
 * pulls this one and deploys. The default cluster (7 VMs and the APT cache) is deployed with that
 * release's synthesized stacks (__tests__/stacks/previous-release, only the base image pointed at a local
 * test image), then the current stacks are planned and applied: the plan creates the step check's
 * terraform_data and nothing else, no step runs, every disk and seed ISO keeps its inode and mtime, no VM
 * is restarted, and the plan after is clean. Once with the interpreter, once with the real Terraform
 * (the real-Terraform tier).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256File } from "../../lib/runtime/image/checksums";
import { FakeGuest } from "../../test-support/fake-guest";
import { gateLauncher } from "../../test-support/faults/gates";
import { makeQcow2, makeTempDir } from "../../test-support/fixtures";
import {
  currentWithoutStepCheck,
  PREVIOUS_IMAGE_NAME,
  previousReleaseConfig,
  previousReleaseStack,
  withoutComments,
} from "../../test-support/previous-release";
import {
  startTerraform,
  terraformEnv,
  terraformInit,
  terraformPlanActions,
} from "../../test-support/real-terraform";
import { requireTools } from "../../test-support/required-tools";
import { TfJson } from "../../test-support/synth";
import { applyStack, planStack } from "../../test-support/terraform-apply";
import { createDeployProject, DeployProject } from "../../test-support/terraform-apply/project";
import { createVmrunSim, VmrunSim } from "../../test-support/vmrun-sim";

jest.setTimeout(600_000);

const STACKS = ["apt-cache", "k8s-cluster"] as const;
type Stack = (typeof STACKS)[number];
type Engine = "interpreter" | "terraform";
const SSH_SIM = path.resolve(__dirname, "../../test-support/ssh-sim");

interface Lab {
  readonly project: DeployProject;
  readonly sim: VmrunSim;
  readonly env: NodeJS.ProcessEnv;
  readonly previous: Record<Stack, TfJson>;
  readonly current: Record<Stack, TfJson>;
  cleanup(): void;
}

async function buildLab(engine: Engine): Promise<Lab> {
  const fixtures = makeTempDir("fusion-lab-upgrade-image-");
  const image = await makeQcow2(path.join(fixtures, PREVIOUS_IMAGE_NAME));
  const sha = await sha256File(image);
  const project = createDeployProject(
    `${previousReleaseConfig()}baseImage:\n  url: ${image}\n  sha256: ${sha}\n  virtualSizeGb: 1\n`,
  );
  gateLauncher(project.root);
  const sim = createVmrunSim();
  const guest = new FakeGuest();
  const sshSimDir = makeTempDir("fusion-lab-upgrade-ssh-");
  fs.writeFileSync(path.join(sshSimDir, "config.json"), JSON.stringify({ applier: guest.applierArgv }));
  let env: NodeJS.ProcessEnv = {
    ...sim.env,
    PATH: `${SSH_SIM}:${sim.env.PATH}`,
    SSH_SIM_DIR: sshSimDir,
    LAB_TRACE_FILE: project.abs("trace.log"),
  };
  if (engine === "terraform") env = terraformEnv(env, makeTempDir("fusion-lab-upgrade-tf-"));
  const read = (s: Stack) => JSON.parse(fs.readFileSync(stackFile(project, s), "utf8")) as TfJson;
  return {
    project,
    sim,
    env,
    current: { "apt-cache": read("apt-cache"), "k8s-cluster": read("k8s-cluster") },
    previous: {
      "apt-cache": previousReleaseStack("apt-cache", {
        url: image,
        sha256: sha,
        sshIdentityFile: "id_fixture",
      }),
      "k8s-cluster": previousReleaseStack("k8s-cluster", {
        url: image,
        sha256: sha,
        sshIdentityFile: "id_fixture",
      }),
    },
    cleanup() {
      sim.cleanup();
      guest.cleanup();
      for (const dir of [sshSimDir, fixtures]) fs.rmSync(dir, { recursive: true, force: true });
      project.cleanup();
    },
  };
}

const stackFile = (p: DeployProject, s: Stack) => path.join(p.stackDirs[s], "cdk.tf.json");

/** Both stacks at once, as `cdktf deploy apt-cache k8s-cluster` runs them; throws on a failure. */
async function applyBoth(lab: Lab, engine: Engine): Promise<void> {
  await Promise.all(
    STACKS.map(async (s) => {
      const dir = lab.project.stackDirs[s];
      if (engine === "terraform") {
        const r = await startTerraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"], lab.env)
          .done;
        if (r.code !== 0) throw new Error(`terraform apply of ${s} failed: ${r.output}`);
        return;
      }
      const r = await applyStack({ stackDir: dir, env: lab.env, commandTimeoutMs: 120_000 });
      if (r.failed.length > 0 || r.skipped.length > 0) throw new Error(`${s}: ${JSON.stringify(r.failed)}`);
    }),
  );
}

/** What a plan of a stack would do besides reading: `<address without hash> <action>`. */
async function planned(lab: Lab, engine: Engine, s: Stack): Promise<string[]> {
  const short = (a: string) => a.replace(/_[0-9A-F]{8}$/, "");
  const dir = lab.project.stackDirs[s];
  if (engine === "terraform")
    return (await terraformPlanActions(dir, lab.env))
      .filter((c) => !c.actions.every((a) => a === "no-op" || a === "read"))
      .map((c) => `${short(c.address)} ${c.actions.join("+")}`);
  const p = await planStack({ stackDir: dir, env: lab.env });
  expect(p.failed).toEqual([]);
  return p.changes
    .filter((c) => c.action !== "keep" && c.action !== "read")
    .map((c) => `${short(c.address)} ${c.action}`);
}

/** Every VM's disk and seed ISO (inode, mtime) and when it was last powered on. */
function vmFacts(lab: Lab): Record<string, unknown> {
  const { model } = lab.project;
  return Object.fromEntries(
    [model.aptCache.vm, ...model.vms].map((vm) => {
      const stat = (rel: string) => {
        const st = fs.statSync(lab.project.abs(rel));
        return `${st.ino}@${st.mtimeMs}`;
      };
      return [
        vm.name,
        {
          disk: stat(vm.diskPath),
          seed: stat(vm.seedIsoPath),
          bootedAt: lab.sim.vmState(lab.project.abs(vm.vmxPath))?.bootedAt,
        },
      ];
    }),
  );
}

/** The entry points the gated launcher saw start, apart from the data sources. */
const stepsRun = (lab: Lab) =>
  fs.existsSync(lab.env.LAB_TRACE_FILE!)
    ? fs
        .readFileSync(lab.env.LAB_TRACE_FILE!, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("start ") && !/ (step-check|guest-ip) /.test(l))
    : [];

async function upgrade(engine: Engine): Promise<void> {
  const lab = await buildLab(engine);
  try {
    // The previous release's stacks differ from the current ones by the step check, and by the host-key
    // pins' environment of guest-config (no trigger: nothing is replaced for it).
    for (const s of STACKS)
      expect(withoutComments(currentWithoutStepCheck(lab.current[s]))).toEqual(
        withoutComments(lab.previous[s]),
      );

    for (const s of STACKS)
      fs.writeFileSync(stackFile(lab.project, s), JSON.stringify(lab.previous[s], null, 2));
    if (engine === "terraform") for (const s of STACKS) terraformInit(lab.project.stackDirs[s], lab.env);
    await applyBoth(lab, engine);
    const before = vmFacts(lab);
    expect(stepsRun(lab).length).toBeGreaterThan(0);
    fs.rmSync(lab.env.LAB_TRACE_FILE!);

    // The user pulls this release and deploys.
    for (const s of STACKS)
      fs.writeFileSync(stackFile(lab.project, s), JSON.stringify(lab.current[s], null, 2));
    for (const s of STACKS) {
      const changes = await planned(lab, engine, s);
      expect(changes).toEqual(["terraform_data.steps_tokens create"]);
    }
    await applyBoth(lab, engine);
    expect(stepsRun(lab)).toEqual([]);
    for (const s of STACKS) expect(await planned(lab, engine, s)).toEqual([]);
    expect(vmFacts(lab)).toEqual(before);
  } finally {
    lab.cleanup();
  }
}

requireTools("qemu-img", "iso-tool", "python3").describe(
  "upgrade from the release before the step check",
  () => {
    it("the interpreter: no disk re-made, no VM replaced or restarted, only the step check created", () =>
      upgrade("interpreter"));
  },
);

requireTools("qemu-img", "iso-tool", "python3", "real-terraform").describe(
  "upgrade from the release before the step check, real Terraform 1.11.4",
  () => {
    it("no disk re-made, no VM replaced or restarted, only the step check created", () =>
      upgrade("terraform"));
  },
);

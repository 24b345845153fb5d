/**
 * Every message of the deploy that names a command as the fix, checked in the state that prints it: the
 * state is made, the message is seen, the command it names is run, and then a plain deploy converges
 * (plan clean, the VM running with its address). One small cluster (one VM) deployed once, with the
 * interpreter, broken and mended message after message.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Rig, RigTemplate } from "../../test-support/faults/deploy-rig";
import { requireTools } from "../../test-support/required-tools";
import { runEntry } from "../../test-support/run-entry";

jest.setTimeout(180_000);

const VM = "k8s-master1";
let template: RigTemplate;
let rig: Rig;

const vmDir = () => rig.abs(`VMs/k8s_cluster/${VM}.vmwarevm`);
const vmx = () => path.join(vmDir(), `${VM}.vmx`);
const env = () =>
  Object.fromEntries(Object.entries(rig.env).filter((e): e is [string, string] => e[1] !== undefined));
const manager = (args: string[]) =>
  runEntry("manager", { projectRoot: rig.root, env: env(), args, timeoutMs: 60_000 });
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

/** A plain deploy converges: it succeeds, the plan after is clean, the VM runs with its address recorded. */
async function expectDeployConverges(): Promise<void> {
  expect(await rig.apply()).toEqual({ code: 0, output: "" });
  expect(await rig.planChanges()).toEqual([]);
  expect(rig.sim.vmState(vmx())?.power).toBe("on");
  expect(fs.readFileSync(rig.abs(`generated/${VM}/last-ip`), "utf8")).toMatch(/^10\.10\.0\.\d+\n$/);
}

/** The role files' step made to run again at the next deploy (as after an interrupted one). */
function interruptConfigStep(): void {
  fs.writeFileSync(
    path.join(vmDir(), ".lab-steps", "config.attempt.json"),
    JSON.stringify({ token: "t", pid: deadPid(), startedAt: "2026-01-01T00:00:00Z" }),
  );
}

const tools = requireTools("qemu-img", "xorriso", "python3");

tools.describe("messages whose fix works, in the state that prints them", () => {
  beforeAll(async () => {
    template = await RigTemplate.create([VM]);
    rig = await template.fresh("interpreter");
  });
  afterAll(() => {
    rig?.cleanup();
    template?.cleanup();
  });

  it("before anything is built, start-all says npm run deploy, and the deploy builds the VM", async () => {
    const r = await manager(["start-all"]);
    expect(r.stdout).toMatch(new RegExp(`${VM} +skipped +not built yet: run npm run deploy`));
    await expectDeployConverges();
  });

  it("the issue's loop: the .vmx missing beside a partial one; start-all names npm run deploy, which repairs it", async () => {
    rig.sim.powerOff(vmx());
    fs.rmSync(vmx());
    fs.writeFileSync(path.join(vmDir(), `.${VM}.vmx.partial-${deadPid()}`), "half");
    const r = await manager(["start-all"]);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      `${VM} skipped its .vmx is not installed (a deploy stopped before it started this VM): run npm run deploy, which installs it and starts the VM`,
    );
    await expectDeployConverges();
    expect(fs.readdirSync(vmDir()).filter((f) => f.includes(".partial-"))).toEqual([]);
  });

  it("guest-config without an address, the VM off: start-all, then npm run deploy", async () => {
    rig.sim.powerOff(vmx());
    fs.rmSync(rig.abs(`generated/${VM}/last-ip`));
    interruptConfigStep();
    const failed = await rig.apply();
    expect(failed.code).toBe(1);
    expect(failed.output).toContain(
      `${VM} has no known address: it is off or has not reported one yet. Start it (npm run manager -- start-all), then run npm run deploy again`,
    );
    expect((await manager(["start-all"])).stdout).toMatch(new RegExp(`${VM} +done +started`));
    await expectDeployConverges();
  });

  it("guest-config without an address, the .vmx gone: npm run deploy starts the VM again", async () => {
    // As Terraform runs it when the VM vanished after the plan read its address.
    rig.sim.powerOff(vmx());
    fs.rmSync(vmx());
    const r = await runEntry("guest-config", {
      projectRoot: rig.root,
      env: {
        ...env(),
        VM_NAME: VM,
        SSH_HOST: "",
        SSH_USER: "ubuntu",
        GUEST_MANIFEST: `generated/${VM}/guest/manifest.json`,
        SSH_KNOWN_HOSTS: `VMs/k8s_cluster/${VM}.vmwarevm/known_hosts`,
        SSH_CONSOLE_LOG: `VMs/k8s_cluster/${VM}.vmwarevm/console.log`,
        VMX_PATH: `VMs/k8s_cluster/${VM}.vmwarevm/${VM}.vmx`,
      },
    });
    expect(r.stderr).toContain(
      `${VM} has no known address: its .vmx is missing (it was never started, or was deleted). Run npm run deploy again: its plan finds the .vmx missing and starts ${VM} again`,
    );
    await expectDeployConverges();
  });

  it("no IP within the wait: npm run deploy again resumes the wait and does not restart the VM", async () => {
    // The power step run as Terraform runs it, with a 1 s wait and a guest that reports nothing yet.
    rig.sim.powerOff(vmx());
    rig.sim.setFaults({ vms: { [VM]: { ip: "" } } });
    const vmRel = `VMs/k8s_cluster/${VM}.vmwarevm`;
    const r = await runEntry("vm-start", {
      projectRoot: rig.root,
      env: {
        ...env(),
        VM_NAME: VM,
        VMS_DIR: "VMs/k8s_cluster",
        VMX_PATH: `${vmRel}/${VM}.vmx`,
        VMX_SOURCE: `generated/${VM}/${VM}.vmx`,
        SEED_ISO_PATH: `${vmRel}/seed.iso`,
        IP_NETWORKS: "10.10.0.0/24",
        IP_WAIT_SECONDS: "1",
        STEP_DIR: `${vmRel}/.lab-steps`,
        STEP_TOKEN: "",
      },
    });
    expect(r.stderr).toContain(`${VM} was started but reported no usable IP within 1 s`);
    expect(r.stderr).toContain(
      `then run npm run deploy again (it resumes the wait without restarting ${VM})`,
    );
    const bootedAt = rig.sim.vmState(vmx())?.bootedAt;
    rig.sim.setFaults({});
    await expectDeployConverges();
    expect(rig.sim.vmState(vmx())?.bootedAt).toBe(bootedAt);
  });

  it("the VM folder deleted by hand: npm run deploy builds the VM again", async () => {
    rig.sim.powerOff(vmx());
    fs.rmSync(vmDir(), { recursive: true });
    await expectDeployConverges();
    expect(fs.existsSync(path.join(vmDir(), `${VM}.vmdk`))).toBe(true);
  });

  it("generated files deleted (the rendered .vmx, the seed sources, the role-file manifest): npm run deploy writes them and converges", async () => {
    for (const rel of [
      `generated/${VM}/${VM}.vmx`,
      `generated/${VM}/seed`,
      `generated/${VM}/guest/manifest.json`,
    ])
      fs.rmSync(rig.abs(rel), { recursive: true });
    await expectDeployConverges();
  });

  it("the base image and the disk gone: npm run deploy fetches the image again and clones the disk", async () => {
    rig.sim.powerOff(vmx());
    fs.rmSync(rig.abs("base_images"), { recursive: true });
    fs.rmSync(vmDir(), { recursive: true });
    await expectDeployConverges();
  });
});

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { destroyVm, DestroyVmOptions } from "../../../../lib/runtime/vm/destroy";
import { FakeHypervisor } from "../../../../test-support/fake-hypervisor";
import { writeTestVmx } from "../../../../test-support/vmrun-sim";

let root: string;
let outside: string;
let hv: FakeHypervisor;
let messages: string[];

const VMS = "VMs/k8s_cluster";
const vmDirOf = (name: string) => `${VMS}/${name}.vmwarevm`;
const vmxOf = (name: string) => `${vmDirOf(name)}/${name}.vmx`;
const abs = (rel: string) => path.join(root, rel);

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "vm-destroy-test-")));
  outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "vm-destroy-outside-")));
  hv = new FakeHypervisor({ cwd: root });
  for (const name of ["k8s-m1", "k8s-w1"]) {
    writeTestVmx(abs(vmDirOf(name)), name, { iso: true });
    hv.addVm(abs(vmxOf(name)));
    fs.writeFileSync(abs(`${vmDirOf(name)}/console.log`), "boot log\n"); // a file deleteVM does not know
  }
  fs.mkdirSync(abs("generated/k8s-m1"), { recursive: true });
  fs.writeFileSync(abs("generated/k8s-m1/k8s-m1.vmx"), "rendered\n");
  fs.writeFileSync(abs(`${VMS}/notes.txt`), "keep\n");
  writeTestVmx(abs("VMs/stray.vmwarevm"), "stray"); // a VM bundle outside VMS_DIR
  writeTestVmx(abs(`${VMS}/plain`), "plain"); // a folder inside VMS_DIR that is not a bundle
  fs.writeFileSync(path.join(outside, "precious.txt"), "keep\n");
  messages = [];
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

const options = (over: Partial<DestroyVmOptions> = {}): DestroyVmOptions => ({
  projectRoot: root,
  vmsDir: VMS,
  vmDir: vmDirOf("k8s-m1"),
  vmx: vmxOf("k8s-m1"),
  log: (m) => messages.push(m),
  ...over,
});

function expectOthersUntouched(): void {
  for (const f of [
    `${vmDirOf("k8s-w1")}/k8s-w1.vmx`,
    `${vmDirOf("k8s-w1")}/k8s-w1.vmdk`,
    `${vmDirOf("k8s-w1")}/k8s-w1-seed.iso`,
    `${vmDirOf("k8s-w1")}/console.log`,
    "generated/k8s-m1/k8s-m1.vmx",
    `${VMS}/notes.txt`,
    "VMs/stray.vmwarevm/stray.vmx",
    `${VMS}/plain/plain.vmx`,
  ]) {
    expect(fs.existsSync(abs(f))).toBe(true);
  }
  expect(fs.readdirSync(outside)).toEqual(["precious.txt"]);
}

describe("destroyVm", () => {
  it("hard-stops a running VM, deletes it through vmrun and removes its folder", async () => {
    const vmx = abs(vmxOf("k8s-m1"));
    const sibling = abs(vmxOf("k8s-w1"));
    hv.vm(vmx)!.running = true;
    hv.vm(sibling)!.running = true;
    await destroyVm(hv, options());
    expect(hv.log()).toEqual(["listRunning", "stopIfRunning k8s-m1", "deleteVmIfPresent k8s-m1"]);
    // Gone from the hypervisor too (its stop was a hard one: messages below).
    expect(hv.vm(vmx)).toBeUndefined();
    expect(fs.existsSync(abs(vmDirOf("k8s-m1")))).toBe(false);
    expect(messages).toEqual([
      "stopped (hard)",
      "deleted from VMware (deleteVM)",
      `removed ${vmDirOf("k8s-m1")}`,
    ]);
    expectOthersUntouched();
    expect(hv.vm(sibling)?.running).toBe(true);
  });

  it("is idempotent: a second run, or a folder deleted by hand, is fine", async () => {
    await destroyVm(hv, options());
    expect(fs.existsSync(abs(vmDirOf("k8s-m1")))).toBe(false);
    const before = hv.calls.length;
    messages = [];
    await destroyVm(hv, options());
    expect(hv.log().slice(before)).toEqual(["listRunning"]);
    expect(messages).toEqual([`${vmDirOf("k8s-m1")} was already gone`]);
    expectOthersUntouched();
  });

  it("a whole VMs folder deleted by hand is fine too", async () => {
    fs.rmSync(abs("VMs"), { recursive: true });
    await destroyVm(hv, options());
    expect(messages).toEqual([`${vmDirOf("k8s-m1")} was already gone`]);
    expect(fs.existsSync(abs("generated/k8s-m1/k8s-m1.vmx"))).toBe(true);
  });

  it.each([
    [
      "outside the VMs folder",
      { vmDir: "generated/k8s-m1.vmwarevm", vmx: "generated/k8s-m1.vmwarevm/k8s-m1.vmx" },
      /VM directory=.*outside/,
    ],
    [
      "not named .vmwarevm",
      { vmDir: `${VMS}/gone`, vmx: `${VMS}/gone/gone.vmx` },
      /does not end in \.vmwarevm/,
    ],
    ["outside the project", { vmDir: "../gone.vmwarevm", vmx: "../gone.vmwarevm/gone.vmx" }, /outside/],
    ["with a .vmx elsewhere", { vmDir: vmDirOf("gone"), vmx: vmxOf("k8s-w1") }, /VMX path=.*outside/],
  ])("a folder that is gone is still refused when %s", async (_what, over, message) => {
    await expect(destroyVm(hv, options(over))).rejects.toThrow(message);
    expect(hv.calls).toEqual([]);
    expectOthersUntouched();
  });

  it("removes a folder whose .vmx is already gone without calling deleteVM", async () => {
    fs.rmSync(abs(vmxOf("k8s-m1")));
    await destroyVm(hv, options());
    expect(hv.log()).toEqual(["listRunning"]);
    expect(fs.existsSync(abs(vmDirOf("k8s-m1")))).toBe(false);
    expectOthersUntouched();
  });

  it.each([
    [
      "a bundle outside the VMs folder",
      { vmDir: "VMs/stray.vmwarevm", vmx: "VMs/stray.vmwarevm/stray.vmx" },
      /outside/,
    ],
    [
      "a folder climbing out with ..",
      { vmDir: `${VMS}/../../generated.vmwarevm`, vmx: `${VMS}/../../generated.vmwarevm/x.vmx` },
      /outside/,
    ],
    ["an absolute folder elsewhere", { vmDir: "/tmp/x.vmwarevm", vmx: "/tmp/x.vmwarevm/x.vmx" }, /outside/],
    [
      "a folder not named .vmwarevm",
      { vmDir: `${VMS}/plain`, vmx: `${VMS}/plain/plain.vmx` },
      /does not end in \.vmwarevm/,
    ],
    ["the VMs folder itself", { vmDir: VMS, vmx: vmxOf("k8s-m1") }, /is the directory/],
    ["a .vmx outside the VM folder", { vmx: vmxOf("k8s-w1") }, /outside/],
  ])("refuses %s before any vmrun call", async (_what, over, message) => {
    await expect(destroyVm(hv, options(over))).rejects.toThrow(message);
    expect(hv.calls).toEqual([]);
    expect(fs.existsSync(abs(vmxOf("k8s-m1")))).toBe(true);
    expectOthersUntouched();
  });

  it("refuses a VM folder that is a symlink to a folder outside, and removes nothing", async () => {
    fs.mkdirSync(path.join(outside, "evil.vmwarevm"));
    fs.writeFileSync(path.join(outside, "evil.vmwarevm", "evil.vmx"), "x\n");
    fs.symlinkSync(path.join(outside, "evil.vmwarevm"), abs(vmDirOf("evil")));
    await expect(destroyVm(hv, options({ vmDir: vmDirOf("evil"), vmx: vmxOf("evil") }))).rejects.toThrow(
      /symlink/,
    );
    expect(hv.calls).toEqual([]);
    expect(fs.existsSync(path.join(outside, "evil.vmwarevm", "evil.vmx"))).toBe(true);
    expect(fs.lstatSync(abs(vmDirOf("evil"))).isSymbolicLink()).toBe(true);
  });

  it("refuses a VM folder that is a symlink to a sibling VM inside the VMs folder", async () => {
    fs.symlinkSync(abs(vmDirOf("k8s-w1")), abs(vmDirOf("alias")));
    await expect(
      destroyVm(hv, options({ vmDir: vmDirOf("alias"), vmx: `${vmDirOf("alias")}/k8s-w1.vmx` })),
    ).rejects.toThrow(/symlink/);
    expect(hv.calls).toEqual([]);
    expectOthersUntouched();
  });

  it("a deleteVM that fails for another reason is reported and the folder is kept", async () => {
    hv.failNext(
      "deleteVmIfPresent",
      {
        kind: "failed",
        message: "vmrun deleteVM k8s-m1 failed: Insufficient permissions in host operating system",
      },
      abs(vmxOf("k8s-m1")),
    );
    await expect(destroyVm(hv, options())).rejects.toThrow(
      "vmrun deleteVM k8s-m1 failed: Insufficient permissions in host operating system",
    );
    expect(fs.existsSync(abs(vmxOf("k8s-m1")))).toBe(true);
  });
});

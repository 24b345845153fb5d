import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runEntry } from "../../test-support/run-entry";
import { createVmProject, VmProject, VMS_DIR as VMS } from "../../test-support/vm-project";
import { VmrunSim, writeTestVmx } from "../../test-support/vmrun-sim";

const NAME = "k8s-m1";
const VM_DIR = `${VMS}/${NAME}.vmwarevm`;
const VMX = `${VM_DIR}/${NAME}.vmx`;

let vm: VmProject;
let sim: VmrunSim;
let root: string;
let outside: string;
let siblingVmx: string;

/** Every file of the project except the VM under test, with its content. */
let keep: Map<string, string>;

beforeEach(() => {
  vm = createVmProject(NAME, { renderedVmx: true });
  ({ sim, root } = vm);
  outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "vm-destroy-outside-")));
  fs.writeFileSync(path.join(root, VM_DIR, "console.log"), "boot\n"); // not a file deleteVM knows
  siblingVmx = writeTestVmx(path.join(root, VMS, "k8s-w1.vmwarevm"), "k8s-w1", { iso: true }).vmxPath;
  writeTestVmx(path.join(root, "VMs", "stray.vmwarevm"), "stray");
  fs.writeFileSync(path.join(root, VMS, "notes.txt"), "keep\n");
  fs.writeFileSync(path.join(outside, "precious.vmx"), "keep\n");
  keep = snapshotFiles();
});

afterEach(() => {
  vm.cleanup();
  fs.rmSync(outside, { recursive: true, force: true });
});

/** Regular files under the project (not following the code symlinks) and the outside folder, minus the VM under test. */
function snapshotFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !p.startsWith(path.join(root, VM_DIR) + path.sep))
        files.set(p, fs.readFileSync(p, "utf8"));
    }
  };
  walk(path.join(root, "VMs"));
  walk(path.join(root, "generated"));
  walk(outside);
  return files;
}

function expectOthersUntouched(): void {
  expect(snapshotFiles()).toEqual(keep);
  for (const link of ["lib", "scripts", "node_modules"])
    expect(fs.lstatSync(path.join(root, link)).isSymbolicLink()).toBe(true);
}

const vmDestroy = (over: Record<string, string> = {}) =>
  runEntry("vm-destroy", { env: vm.entryEnv({ VM_DIR, ...over }), projectRoot: root });

describe("vm-destroy", () => {
  it("stops a running VM hard, deletes it with deleteVM and removes its folder, touching nothing else", async () => {
    sim.powerOn(vm.vmxAbs);
    sim.powerOn(siblingVmx);
    const r = await vmDestroy();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [`stopped (hard)`, `deleted from VMware (deleteVM)`, `removed ${VM_DIR}`]
        .map((m) => `vm-destroy ${NAME}: ${m}\n`)
        .join(""),
    );
    expect(
      sim
        .calls()
        .slice(2)
        .map((c) => c.argv.slice(2)),
    ).toEqual([["list"], ["list"], ["stop", vm.vmxAbs, "hard"], ["deleteVM", vm.vmxAbs]]);
    expect(fs.existsSync(path.join(root, VM_DIR))).toBe(false);
    expect(sim.vmState(siblingVmx)?.power).toBe("on");
    expectOthersUntouched();
  });

  it("is idempotent: a rerun after success exits 0", async () => {
    expect((await vmDestroy()).code).toBe(0);
    const before = sim.calls().length;
    const again = await vmDestroy();
    expect({ code: again.code, stderr: again.stderr }).toEqual({
      code: 0,
      stderr: `vm-destroy ${NAME}: ${VM_DIR} was already gone\n`,
    });
    expect(
      sim
        .calls()
        .slice(before)
        .map((c) => c.command),
    ).toEqual(["list"]);
    expectOthersUntouched();
  });

  it("a VM folder deleted by hand exits 0", async () => {
    fs.rmSync(path.join(root, VM_DIR), { recursive: true });
    const r = await vmDestroy();
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 0,
      stderr: `vm-destroy ${NAME}: ${VM_DIR} was already gone\n`,
    });
    expect(sim.calls().map((c) => c.command)).not.toContain("deleteVM");
    expectOthersUntouched();
  });

  describe("refuses, removes nothing and makes no vmrun call", () => {
    it.each([
      [
        "VM_DIR escaping VMS_DIR with ..",
        { VM_DIR: `${VMS}/../stray.vmwarevm`, VMX_PATH: `${VMS}/../stray.vmwarevm/stray.vmx` },
        /outside/,
      ],
      [
        "VM_DIR absolute, outside the project",
        { VM_DIR: "OUTSIDE", VMX_PATH: "OUTSIDE/precious.vmx" },
        /outside/,
      ],
      [
        "VM_DIR not ending in .vmwarevm",
        { VM_DIR: "generated", VMX_PATH: `generated/${NAME}/${NAME}.vmx` },
        /outside|does not end in \.vmwarevm/,
      ],
      [
        "VM_DIR not ending in .vmwarevm, inside VMS_DIR",
        { VM_DIR: `${VMS}/notes`, VMX_PATH: `${VMS}/notes/x.vmx` },
        /does not end in \.vmwarevm/,
      ],
      ["VM_DIR = VMS_DIR", { VM_DIR: VMS, VMX_PATH: VMX }, /itself/],
      ["VMX_PATH outside VM_DIR", { VMX_PATH: `${VMS}/k8s-w1.vmwarevm/k8s-w1.vmx` }, /VMX path=.*outside/],
    ])("%s", async (_what, over, message) => {
      fs.mkdirSync(path.join(root, VMS, "notes"));
      fs.writeFileSync(path.join(root, VMS, "notes", "x.vmx"), "keep\n");
      keep = snapshotFiles();
      const resolved = Object.fromEntries(
        Object.entries(over).map(([k, v]) => [k, v.replace("OUTSIDE", outside)]),
      );
      const r = await vmDestroy(resolved);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(sim.calls()).toEqual([]);
      expect(fs.existsSync(vm.vmxAbs)).toBe(true);
      expectOthersUntouched();
    });

    it("VM_DIR that is a symlink pointing outside", async () => {
      fs.mkdirSync(path.join(outside, "evil.vmwarevm"));
      fs.writeFileSync(path.join(outside, "evil.vmwarevm", "evil.vmx"), "x\n");
      fs.symlinkSync(path.join(outside, "evil.vmwarevm"), path.join(root, VMS, "evil.vmwarevm"));
      keep = snapshotFiles();
      const r = await vmDestroy({
        VM_NAME: "evil",
        VM_DIR: `${VMS}/evil.vmwarevm`,
        VMX_PATH: `${VMS}/evil.vmwarevm/evil.vmx`,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^vm-destroy: .*symlink.*\n$/);
      expect(sim.calls()).toEqual([]);
      expect(fs.readFileSync(path.join(outside, "evil.vmwarevm", "evil.vmx"), "utf8")).toBe("x\n");
      expect(fs.lstatSync(path.join(root, VMS, "evil.vmwarevm")).isSymbolicLink()).toBe(true);
      expectOthersUntouched();
    });

    it("VM_DIR that is a dangling symlink", async () => {
      fs.symlinkSync(path.join(outside, "gone.vmwarevm"), path.join(root, VMS, "gone.vmwarevm"));
      const r = await vmDestroy({
        VM_NAME: "gone",
        VM_DIR: `${VMS}/gone.vmwarevm`,
        VMX_PATH: `${VMS}/gone.vmwarevm/gone.vmx`,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/symlink/);
      expect(sim.calls()).toEqual([]);
      expect(fs.lstatSync(path.join(root, VMS, "gone.vmwarevm")).isSymbolicLink()).toBe(true);
      expectOthersUntouched();
    });

    it("VMS_DIR that leads outside the project through a symlink", async () => {
      fs.symlinkSync(outside, path.join(root, "VMs", "linked"));
      fs.mkdirSync(path.join(outside, "x.vmwarevm"));
      fs.writeFileSync(path.join(outside, "x.vmwarevm", "x.vmx"), "x\n");
      keep = snapshotFiles();
      const r = await vmDestroy({
        VMS_DIR: "VMs/linked",
        VM_DIR: "VMs/linked/x.vmwarevm",
        VMX_PATH: "VMs/linked/x.vmwarevm/x.vmx",
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/symlink/);
      expect(sim.calls()).toEqual([]);
      expectOthersUntouched();
    });
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import {
  assertRemovableVmDir,
  isStrictlyInside,
  removeVmDir,
  resolveInside,
} from "../../../../lib/runtime/fs/path-guard";
import { makeTempDir } from "../../../../test-support/fixtures";

let root: string;
let outside: string;

beforeEach(() => {
  root = makeTempDir();
  outside = makeTempDir();
  fs.mkdirSync(path.join(root, "VMs", "k8s", "m1.vmwarevm"), { recursive: true });
  fs.writeFileSync(path.join(outside, "precious"), "keep me");
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe("isStrictlyInside", () => {
  it("accepts descendants and rejects the parent itself, siblings with a common prefix and ..", () => {
    expect(isStrictlyInside("/a/b", "/a/b/c")).toBe(true);
    expect(isStrictlyInside("/a/b", "/a/b")).toBe(false);
    expect(isStrictlyInside("/a/b", "/a/bc")).toBe(false);
    expect(isStrictlyInside("/a/b", "/a")).toBe(false);
    expect(isStrictlyInside("/a/b", "/a/b/..foo")).toBe(true);
  });
});

describe("resolveInside", () => {
  it("resolves relative paths, including ones that do not exist yet, to absolute paths under the root", () => {
    expect(resolveInside(root, "VMs/k8s/m1.vmwarevm/m1.vmdk")).toBe(
      path.join(root, "VMs/k8s/m1.vmwarevm/m1.vmdk"),
    );
    expect(resolveInside(root, "new/deeper/file")).toBe(path.join(root, "new/deeper/file"));
    expect(resolveInside(root, "VMs/../VMs/x")).toBe(path.join(root, "VMs/x"));
  });

  it("accepts an absolute path inside the root", () => {
    const abs = path.join(root, "VMs", "a");
    expect(resolveInside(root, abs)).toBe(abs);
  });

  it("refuses .. escapes and names the label, the value and the fix", () => {
    expect(() => resolveInside(root, "../x", { label: "DISK_PATH" })).toThrow(
      /DISK_PATH="\.\.\/x" resolves to .* outside .*use a path inside/,
    );
    expect(() => resolveInside(root, "VMs/../../x")).toThrow(/outside/);
  });

  it("refuses absolute paths outside the root", () => {
    expect(() => resolveInside(root, path.join(outside, "precious"), { label: "ISO_PATH" })).toThrow(
      /ISO_PATH=.*outside/,
    );
    expect(() => resolveInside(root, "/etc/passwd")).toThrow(/outside/);
  });

  it("refuses the root itself and empty values", () => {
    expect(() => resolveInside(root, ".", { label: "VMS_DIR" })).toThrow(
      /VMS_DIR="\." is the directory .* itself/,
    );
    expect(() => resolveInside(root, root)).toThrow(/itself/);
    expect(() => resolveInside(root, "")).toThrow(/not a usable path/);
  });

  it("refuses paths through a symlink that points outside, at any depth", () => {
    fs.symlinkSync(outside, path.join(root, "VMs", "escape"));
    expect(() => resolveInside(root, "VMs/escape/precious", { label: "DISK_PATH" })).toThrow(
      /DISK_PATH=.*symlink to .*outside/,
    );
    expect(() => resolveInside(root, "VMs/escape/not-yet/file")).toThrow(/symlink/);
    expect(() => resolveInside(root, "VMs/escape")).toThrow(/symlink/);
  });

  it("refuses a dangling symlink, whose target a write would create outside", () => {
    fs.symlinkSync(path.join(outside, "created-by-write"), path.join(root, "VMs", "dangling"));
    expect(() => resolveInside(root, "VMs/dangling")).toThrow(/symlink/);
  });

  it("allows symlinks that stay inside the root", () => {
    fs.symlinkSync(path.join(root, "VMs", "k8s"), path.join(root, "alias"));
    expect(resolveInside(root, "alias/m1.vmwarevm")).toBe(path.join(root, "alias/m1.vmwarevm"));
  });

  it("resolves relative to `base` but checks against the root", () => {
    const vms = path.join(root, "VMs");
    expect(resolveInside(vms, "VMs/k8s/m1.vmwarevm/m1.vmdk", { base: root })).toBe(
      path.join(vms, "k8s/m1.vmwarevm/m1.vmdk"),
    );
    expect(() => resolveInside(vms, "generated/x", { base: root, label: "DISK_PATH" })).toThrow(
      /DISK_PATH="generated\/x" resolves to .* outside/,
    );
  });

  it("accepts a root that does not exist yet (the VMs directory before the first apply)", () => {
    expect(resolveInside(path.join(root, "VMs", "new"), "a/b")).toBe(path.join(root, "VMs", "new", "a", "b"));
    expect(() => resolveInside(path.join(root, "VMs", "new"), "../b")).toThrow(/outside/);
  });
});

describe("assertRemovableVmDir / removeVmDir", () => {
  it("accepts a .vmwarevm directory strictly inside the VMs directory and removes it", async () => {
    fs.writeFileSync(path.join(root, "VMs/k8s/m1.vmwarevm/m1.vmx"), "x");
    expect(assertRemovableVmDir(root, "VMs", "VMs/k8s/m1.vmwarevm")).toBe(
      path.join(root, "VMs/k8s/m1.vmwarevm"),
    );
    await removeVmDir(root, "VMs", "VMs/k8s/m1.vmwarevm");
    expect(fs.existsSync(path.join(root, "VMs/k8s/m1.vmwarevm"))).toBe(false);
    expect(fs.existsSync(path.join(root, "VMs/k8s"))).toBe(true);
  });

  it("treats a missing VM directory as already removed", async () => {
    await expect(removeVmDir(root, "VMs", "VMs/k8s/gone.vmwarevm")).resolves.toBe(
      path.join(root, "VMs/k8s/gone.vmwarevm"),
    );
  });

  it("refuses directories not named .vmwarevm", async () => {
    await expect(removeVmDir(root, "VMs", "VMs/k8s")).rejects.toThrow(/does not end in \.vmwarevm/);
    expect(fs.existsSync(path.join(root, "VMs/k8s/m1.vmwarevm"))).toBe(true);
    expect(() => assertRemovableVmDir(root, "VMs", "VMs/.vmwarevm")).toThrow(/\.vmwarevm/);
  });

  it("refuses the VMs directory itself, paths outside it and a VMs directory outside the project", () => {
    expect(() => assertRemovableVmDir(root, "VMs", "VMs")).toThrow(/itself/);
    expect(() => assertRemovableVmDir(root, "VMs/k8s", "VMs/other.vmwarevm")).toThrow(/outside/);
    expect(() => assertRemovableVmDir(root, "VMs", "../x.vmwarevm")).toThrow(/outside/);
    expect(() => assertRemovableVmDir(root, outside, path.join(outside, "x.vmwarevm"))).toThrow(/outside/);
    expect(() => assertRemovableVmDir(root, ".", "m1.vmwarevm")).toThrow(/itself/);
  });

  it("refuses a VM directory that is a symlink, even to a place inside the project, and leaves the target alone", async () => {
    fs.symlinkSync(path.join(root, "VMs/k8s/m1.vmwarevm"), path.join(root, "VMs/k8s/link.vmwarevm"));
    await expect(removeVmDir(root, "VMs", "VMs/k8s/link.vmwarevm")).rejects.toThrow(/is a symlink/);
    expect(fs.existsSync(path.join(root, "VMs/k8s/m1.vmwarevm"))).toBe(true);
  });

  it("refuses a VM directory reached through a symlink that leads outside", async () => {
    fs.mkdirSync(path.join(outside, "victim.vmwarevm"));
    fs.symlinkSync(outside, path.join(root, "VMs", "out"));
    await expect(removeVmDir(root, "VMs", "VMs/out/victim.vmwarevm")).rejects.toThrow(/symlink/);
    expect(fs.existsSync(path.join(outside, "victim.vmwarevm"))).toBe(true);
    expect(fs.readFileSync(path.join(outside, "precious"), "utf8")).toBe("keep me");
  });
});

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempSibling } from "../../../lib/fs/atomic";
import { prepareVmDisk } from "../../../lib/disk/prepare-disk";
import { qemuImgInfo } from "../../../lib/disk/qemu-img";
import { runWithDeadline } from "../../../lib/process/run-with-deadline";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../../test-support/fixtures";

const BASE_SIZE = 2 * GIB;
let dir: string;
let vmDir: string;
let target: string;
let base: string;

beforeEach(async () => {
  dir = makeTempDir();
  vmDir = path.join(dir, "VMs", "m1.vmwarevm");
  target = path.join(vmDir, "m1.vmdk");
  base = await cachedQcow2({ virtualSize: BASE_SIZE });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(() => removeFixtureCache());

function snapshot(file: string) {
  const st = fs.statSync(file);
  return { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
}

describe("prepareVmDisk", () => {
  it("creates a monolithicSparse lsilogic vmdk of the configured size holding the base image's data", async () => {
    const result = await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
    expect(result).toEqual({ action: "created", path: target, virtualSize: 3 * GIB });
    const info = await qemuImgInfo(target);
    expect(info).toMatchObject({ format: "vmdk", virtualSize: 3 * GIB, createType: "monolithicSparse" });
    expect(info.backingFilename).toBeUndefined();
    // The embedded descriptor names the final file (it was written under that name) and the adapter.
    const head = fs.readFileSync(target).subarray(0, 64 * 1024).toString("latin1");
    expect(head).toContain(`RW ${(3 * GIB) / 512} SPARSE "m1.vmdk"`);
    expect(head).toContain('ddb.adapterType = "lsilogic"');
    // Same guest-visible content as the base (compare ignores the extra, unallocated size).
    const cmp = await runWithDeadline("qemu-img", ["compare", base, target], { timeoutMs: 60_000 });
    expect(cmp.stdout).toContain("Images are identical");
    expect(fs.readdirSync(vmDir)).toEqual(["m1.vmdk"]);
    // The base is only read.
    expect((await qemuImgInfo(base)).virtualSize).toBe(BASE_SIZE);
  });

  it("accepts a disk exactly the size of the image", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 2, timeoutMs: 60_000 })).resolves.toMatchObject({ action: "created" });
  });

  it("keeps an existing disk of the right size without rewriting it", async () => {
    await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
    const before = snapshot(target);
    const result = await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
    expect(result.action).toBe("kept-existing");
    expect(snapshot(target)).toEqual(before);
  });

  it("keeps an existing disk even when the base image is gone", async () => {
    await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
    await expect(prepareVmDisk({ baseImage: path.join(dir, "deleted.img"), target, sizeGb: 3, timeoutMs: 60_000 })).resolves.toMatchObject({ action: "kept-existing" });
  });

  it("refuses a disk smaller than the image before writing anything", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 1, timeoutMs: 60_000 })).rejects.toThrow(
      /disk size 1 GiB is smaller than the base image's 2 GiB .* at least 2 GiB/,
    );
    expect(fs.existsSync(path.join(dir, "VMs"))).toBe(false);
  });

  it("refuses sizes that are not whole GiB", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 2.5, timeoutMs: 60_000 })).rejects.toThrow(/whole number/);
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 0, timeoutMs: 60_000 })).rejects.toThrow(/whole number/);
  });

  it("refuses to touch an existing disk of another size", async () => {
    await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
    const before = snapshot(target);
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 4, timeoutMs: 60_000 })).rejects.toThrow(
      /virtual size of 3 GiB, but 4 GiB is configured: disks are never resized .*delete .*m1\.vmwarevm/,
    );
    expect(snapshot(target)).toEqual(before);
  });

  it("refuses to touch an existing file that is not a vmdk", async () => {
    fs.mkdirSync(vmDir, { recursive: true });
    fs.writeFileSync(target, "my notes, not a disk\n");
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 })).rejects.toThrow(/exists but is a raw image, not a vmdk: it was left untouched/);
    expect(fs.readFileSync(target, "utf8")).toBe("my notes, not a disk\n");
  });

  it("refuses a base image that is missing or not qcow2", async () => {
    await expect(prepareVmDisk({ baseImage: path.join(dir, "none.img"), target, sizeGb: 3, timeoutMs: 60_000 })).rejects.toThrow(/base image .*none\.img does not exist/);
    const raw = path.join(dir, "raw.img");
    fs.writeFileSync(raw, Buffer.alloc(1024 * 1024));
    await expect(prepareVmDisk({ baseImage: raw, target, sizeGb: 3, timeoutMs: 60_000 })).rejects.toThrow(/is raw, not qcow2/);
    expect(fs.existsSync(vmDir)).toBe(false);
  });

  it("removes the scratch directory of a dead run and keeps that of a live one", async () => {
    fs.mkdirSync(vmDir, { recursive: true });
    const sleeper = spawn("sleep", ["30"]);
    try {
      const finished = spawn("true");
      await new Promise((r) => finished.once("exit", r));
      const dead = makeTempSibling(target, { pid: finished.pid! });
      const live = makeTempSibling(target, { pid: sleeper.pid! });
      fs.mkdirSync(dead);
      fs.writeFileSync(path.join(dead, "m1.vmdk"), "half a disk");
      fs.mkdirSync(live);
      await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
      expect(fs.readdirSync(vmDir).sort()).toEqual([path.basename(live), "m1.vmdk"].sort());
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("fails on its deadline without leaving a disk", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 1 })).rejects.toThrow(/did not finish within/);
    expect(fs.existsSync(target)).toBe(false);
  });
});

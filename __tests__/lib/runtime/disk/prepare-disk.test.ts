import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempSibling } from "../../../../lib/runtime/fs/atomic";
import { convertBaseToVmdk, prepareVmDisk } from "../../../../lib/runtime/disk/prepare-disk";
import { qemuImgInfo } from "../../../../lib/runtime/disk/qemu-img";
import { sizedVmdkCacheDir } from "../../../../lib/runtime/disk/sized-vmdk-cache";
import { readEmbeddedDescriptor } from "../../../../lib/runtime/disk/vmdk-descriptor";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../../../test-support/fixtures";
import { requireTools } from "../../../../test-support/required-tools";

const qemuImg = requireTools("qemu-img");

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

/** `qemu-img info` without what differs between two equal disks: paths, allocation, the random CID. */
function comparable(raw: Record<string, unknown>): unknown {
  const copy = structuredClone(raw) as Record<string, any>;
  for (const key of ["filename", "actual-size", "dirty-flag"]) delete copy[key];
  const data = copy["format-specific"].data;
  delete data.cid;
  for (const extent of data.extents) delete extent.filename;
  return copy;
}

qemuImg.describe("prepareVmDisk", () => {
  it("creates a monolithicSparse lsilogic vmdk of the configured size holding the base image's data", async () => {
    const result = await prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 });
    expect(result).toEqual({ action: "created", path: target, virtualSize: 3 * GIB });
    const info = await qemuImgInfo(target);
    expect(info).toMatchObject({ format: "vmdk", virtualSize: 3 * GIB, createType: "monolithicSparse" });
    expect(info.backingFilename).toBeUndefined();
    // The embedded descriptor names the final file (it was written under that name) and the adapter.
    const head = fs
      .readFileSync(target)
      .subarray(0, 64 * 1024)
      .toString("latin1");
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
    await expect(
      prepareVmDisk({ baseImage: base, target, sizeGb: 2, timeoutMs: 60_000 }),
    ).resolves.toMatchObject({ action: "created" });
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
    await expect(
      prepareVmDisk({ baseImage: path.join(dir, "deleted.img"), target, sizeGb: 3, timeoutMs: 60_000 }),
    ).resolves.toMatchObject({ action: "kept-existing" });
  });

  it("refuses a disk smaller than the image before writing anything", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 1, timeoutMs: 60_000 })).rejects.toThrow(
      /disk size 1 GiB is smaller than the base image's 2 GiB .* at least 2 GiB/,
    );
    expect(fs.existsSync(path.join(dir, "VMs"))).toBe(false);
  });

  it("refuses sizes that are not whole GiB", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 2.5, timeoutMs: 60_000 })).rejects.toThrow(
      /whole number/,
    );
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 0, timeoutMs: 60_000 })).rejects.toThrow(
      /whole number/,
    );
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
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 60_000 })).rejects.toThrow(
      /exists but is a raw image, not a vmdk: it was left untouched/,
    );
    expect(fs.readFileSync(target, "utf8")).toBe("my notes, not a disk\n");
  });

  it("refuses a base image that is missing or not qcow2", async () => {
    await expect(
      prepareVmDisk({ baseImage: path.join(dir, "none.img"), target, sizeGb: 3, timeoutMs: 60_000 }),
    ).rejects.toThrow(/base image .*none\.img does not exist/);
    const raw = path.join(dir, "raw.img");
    fs.writeFileSync(raw, Buffer.alloc(1024 * 1024));
    await expect(prepareVmDisk({ baseImage: raw, target, sizeGb: 3, timeoutMs: 60_000 })).rejects.toThrow(
      /is raw, not qcow2/,
    );
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

  it("copies every disk from one conversion, each equal to a per-VM conversion and carrying its own name and CID", async () => {
    // A base of our own, so the cache next to it starts empty.
    const ownBase = path.join(dir, "base_images", "noble.img");
    fs.mkdirSync(path.dirname(ownBase));
    fs.copyFileSync(base, ownBase);
    const messages: string[] = [];
    const disks = ["m1", "m2"].map((n) => path.join(dir, "VMs", `${n}.vmwarevm`, `${n}.vmdk`));
    for (const disk of disks)
      await prepareVmDisk({
        baseImage: ownBase,
        target: disk,
        sizeGb: 3,
        timeoutMs: 60_000,
        onProgress: (m) => messages.push(m),
      });
    expect(messages.filter((m) => m.startsWith("converting "))).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith("copying "))).toHaveLength(2);
    expect(fs.readdirSync(sizedVmdkCacheDir(ownBase)).filter((n) => n.endsWith(".vmdk"))).toHaveLength(1);

    // The seed's way, for comparison: one conversion straight to the VM's file name.
    const perVm = path.join(dir, "per-vm", "m1.vmdk");
    fs.mkdirSync(path.dirname(perVm));
    await convertBaseToVmdk({
      baseImage: ownBase,
      sizeBytes: 3 * GIB,
      output: perVm,
      workDir: path.dirname(perVm),
      timeoutMs: 60_000,
    });
    const expected = await qemuImgInfo(perVm);
    const cids: string[] = [];
    for (const disk of disks) {
      const info = await qemuImgInfo(disk);
      expect(comparable(info.raw)).toEqual(comparable(expected.raw));
      const cmp = await runWithDeadline("qemu-img", ["compare", "-f", "vmdk", "-F", "vmdk", perVm, disk], {
        timeoutMs: 60_000,
      });
      expect(cmp.stdout).toContain("Images are identical");
      const text = (await readEmbeddedDescriptor(disk)).text;
      const own = text.replace(/^CID=\w+$/m, "CID=x");
      expect(own).toBe(
        (await readEmbeddedDescriptor(perVm)).text
          .replace(/^CID=\w+$/m, "CID=x")
          .replace('"m1.vmdk"', `"${path.basename(disk)}"`),
      );
      cids.push(/^CID=(\w+)$/m.exec(text)![1]);
      expect(fs.statSync(disk).mode & 0o777).toBe(0o644);
    }
    expect(cids[0]).not.toBe(cids[1]);
  });

  it("does not use a damaged cache entry: it converts again and the disk is whole", async () => {
    const ownBase = path.join(dir, "base_images", "noble.img");
    fs.mkdirSync(path.dirname(ownBase));
    fs.copyFileSync(base, ownBase);
    await prepareVmDisk({ baseImage: ownBase, target, sizeGb: 3, timeoutMs: 60_000 });
    const [entry] = fs
      .readdirSync(sizedVmdkCacheDir(ownBase))
      .filter((n) => n.endsWith(".vmdk"))
      .map((n) => path.join(sizedVmdkCacheDir(ownBase), n));
    fs.chmodSync(entry, 0o644);
    fs.truncateSync(entry, Math.floor(fs.statSync(entry).size / 2));
    const messages: string[] = [];
    const other = path.join(dir, "VMs", "m2.vmwarevm", "m2.vmdk");
    await expect(
      prepareVmDisk({
        baseImage: ownBase,
        target: other,
        sizeGb: 3,
        timeoutMs: 60_000,
        onProgress: (m) => messages.push(m),
      }),
    ).resolves.toMatchObject({ action: "created" });
    expect(messages.some((m) => /is unusable .*converting it again/.test(m))).toBe(true);
    const cmp = await runWithDeadline("qemu-img", ["compare", ownBase, other], { timeoutMs: 60_000 });
    expect(cmp.stdout).toContain("Images are identical");
  });

  it("fails on its deadline without leaving a disk", async () => {
    await expect(prepareVmDisk({ baseImage: base, target, sizeGb: 3, timeoutMs: 1 })).rejects.toThrow(
      /did not finish within/,
    );
    expect(fs.existsSync(target)).toBe(false);
  });
});

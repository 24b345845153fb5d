import * as fs from "node:fs";
import * as path from "node:path";
import {
  convertQcow2ToVmdk,
  createQcow2Overlay,
  qemuImgCheck,
  qemuImgInfo,
  runQemuImg,
} from "../../../../lib/runtime/disk/qemu-img";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../../../test-support/fixtures";
import { requireTools } from "../../../../test-support/required-tools";

const qemuImg = requireTools("qemu-img");

let dir: string;
beforeEach(() => (dir = makeTempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(() => removeFixtureCache());

qemuImg.describe("qemu-img wrappers", () => {
  it("reads format and virtual size of a qcow2", async () => {
    const base = await cachedQcow2({ virtualSize: GIB });
    const info = await qemuImgInfo(base);
    expect(info.format).toBe("qcow2");
    expect(info.virtualSize).toBe(GIB);
    expect(info.actualSize).toBeGreaterThan(0);
    expect(info.createType).toBeUndefined();
    expect(info.backingFilename).toBeUndefined();
  });

  it("makes a larger overlay with an absolute backing file and converts it to a monolithicSparse vmdk", async () => {
    const base = await cachedQcow2({ virtualSize: GIB });
    const overlay = path.join(dir, "overlay.qcow2");
    await createQcow2Overlay(base, overlay, 2 * GIB, 30_000);
    const overlayInfo = await qemuImgInfo(overlay);
    expect(overlayInfo.virtualSize).toBe(2 * GIB);
    expect(overlayInfo.backingFilename).toBe(base);
    expect(overlayInfo.raw["backing-filename-format"]).toBe("qcow2");

    const vmdk = path.join(dir, "disk.vmdk");
    await convertQcow2ToVmdk(overlay, vmdk, 30_000);
    const info = await qemuImgInfo(vmdk);
    expect(info).toMatchObject({ format: "vmdk", virtualSize: 2 * GIB, createType: "monolithicSparse" });
    expect(info.backingFilename).toBeUndefined();
  });

  it("turns a failure into an error quoting qemu-img", async () => {
    await expect(qemuImgInfo(path.join(dir, "missing.img"))).rejects.toThrow(
      /qemu-img info failed: .*No such file/,
    );
    await expect(
      runQemuImg(["resize", "-f", "raw", path.join(dir, "missing.img"), "1G"], 30_000),
    ).rejects.toThrow(/qemu-img resize failed/);
  });

  it("checks a vmdk's grain tables and names the first problem of a truncated one", async () => {
    const vmdk = path.join(dir, "disk.vmdk");
    await convertQcow2ToVmdk(await cachedQcow2({ virtualSize: GIB }), vmdk, 30_000);
    await expect(qemuImgCheck(vmdk, "vmdk", 30_000)).resolves.toBeUndefined();
    fs.truncateSync(vmdk, Math.floor(fs.statSync(vmdk).size / 2));
    expect((await qemuImgInfo(vmdk)).virtualSize).toBe(GIB); // info alone does not notice
    await expect(qemuImgCheck(vmdk, "vmdk", 30_000)).rejects.toThrow(
      /^qemu-img check failed: ERROR: .*points after EOF/,
    );
  });
});

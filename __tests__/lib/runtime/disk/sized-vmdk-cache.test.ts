import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempSibling } from "../../../../lib/runtime/fs/atomic";
import { qemuImgInfo } from "../../../../lib/runtime/disk/qemu-img";
import {
  baseImageIdentity,
  convertBaseToVmdk,
  ensureSizedVmdk,
  sizedVmdkCacheDir,
  sizedVmdkName,
  sparseVmdkProblem,
  stampPath,
  vmdkInfoProblem,
} from "../../../../lib/runtime/disk/sized-vmdk-cache";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../../../test-support/fixtures";
import { requireTools } from "../../../../test-support/required-tools";

const qemuImg = requireTools("qemu-img");

let dir: string;
let base: string;
let cacheDir: string;

beforeEach(async () => {
  dir = makeTempDir();
  fs.mkdirSync(path.join(dir, "base_images"));
  base = path.join(dir, "base_images", "noble-server-cloudimg-amd64.img");
  fs.copyFileSync(await cachedQcow2({ virtualSize: 2 * GIB }), base);
  cacheDir = sizedVmdkCacheDir(base);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(() => removeFixtureCache());

function ensure(sizeGb = 3, messages: string[] = []) {
  return ensureSizedVmdk({ baseImage: base, sizeGb, timeoutMs: 60_000, onProgress: (m) => messages.push(m) });
}

const stamp = (file: string) => {
  const st = fs.statSync(file);
  return { ino: st.ino, mtimeMs: st.mtimeMs };
};

qemuImg.describe("sized VMDK cache", () => {
  it("lives in sized/ next to the base image, named after the image, its identity and the size", async () => {
    expect(cacheDir).toBe(path.join(dir, "base_images", "sized"));
    const id = await baseImageIdentity(base);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(sizedVmdkName(base, id, 40)).toBe(`noble-server-cloudimg-amd64-${id}-40G.vmdk`);
    expect(sizedVmdkName('/x/odd name".img', id, 4)).toBe(`odd_name_-${id}-4G.vmdk`);
  });

  it("converts once, read-only and checked, then reuses the entry untouched", async () => {
    const messages: string[] = [];
    const first = await ensure(3, messages);
    expect(first.action).toBe("converted");
    expect(path.dirname(first.path)).toBe(cacheDir);
    expect(messages.filter((m) => m.startsWith("converting "))).toHaveLength(1);
    expect(await qemuImgInfo(first.path)).toMatchObject({
      format: "vmdk",
      virtualSize: 3 * GIB,
      createType: "monolithicSparse",
    });
    expect(fs.statSync(first.path).mode & 0o777).toBe(0o444);
    const cmp = await runWithDeadline("qemu-img", ["compare", base, first.path], { timeoutMs: 60_000 });
    expect(cmp.stdout).toContain("Images are identical");
    const before = stamp(first.path);

    const again = await ensure(3, messages);
    expect(again).toEqual({ path: first.path, action: "reused" });
    expect(stamp(again.path)).toEqual(before);
    expect(messages.filter((m) => m.startsWith("converting "))).toHaveLength(1);
    // Nothing else is left in the cache folder but the stamp of the check: no scratch, no lock.
    expect(fs.readdirSync(cacheDir).sort()).toEqual([
      path.basename(first.path),
      path.basename(stampPath(first.path)),
    ]);
    expect(JSON.parse(fs.readFileSync(stampPath(first.path), "utf8"))).toEqual({
      size: fs.statSync(first.path).size,
      mtimeMs: before.mtimeMs,
      ino: before.ino,
    });
  });

  it("checks the base image before converting it, and not again while a usable entry exists", async () => {
    let inspections = 0;
    const inspectBase = async () => {
      inspections++;
    };
    await ensureSizedVmdk({ baseImage: base, sizeGb: 3, timeoutMs: 60_000, inspectBase });
    await ensureSizedVmdk({ baseImage: base, sizeGb: 3, timeoutMs: 60_000, inspectBase });
    expect(inspections).toBe(1);
  });

  it("verifies the base image before converting, not before reusing", async () => {
    let verifications = 0;
    const verifyBase = async () => {
      verifications++;
      return false;
    };
    await ensureSizedVmdk({ baseImage: base, sizeGb: 3, timeoutMs: 60_000, verifyBase });
    await ensureSizedVmdk({ baseImage: base, sizeGb: 3, timeoutMs: 60_000, verifyBase });
    expect(verifications).toBe(1);
  });

  it("converts the image its verification fetched again, under that image's identity", async () => {
    const damagedId = await baseImageIdentity(base);
    const good = await cachedQcow2({ virtualSize: 2 * GIB, dataMiB: 4 });
    let verifications = 0;
    const refetch = async () => {
      verifications++;
      fs.copyFileSync(good, `${base}.tmp`);
      fs.renameSync(`${base}.tmp`, base);
      return true;
    };
    const result = await ensureSizedVmdk({
      baseImage: base,
      sizeGb: 3,
      timeoutMs: 60_000,
      verifyBase: refetch,
    });
    expect(verifications).toBe(1); // the fetch verified the new file
    expect(result.action).toBe("converted");
    expect(path.basename(result.path)).toBe(sizedVmdkName(base, await baseImageIdentity(base), 3));
    expect(path.basename(result.path)).not.toContain(damagedId);
    const cmp = await runWithDeadline("qemu-img", ["compare", good, result.path], { timeoutMs: 60_000 });
    expect(cmp.stdout).toContain("Images are identical");
  });

  it("keeps no conversion of a base image whose verification fails", async () => {
    const unverifiable = async (): Promise<boolean> => {
      await new Promise((r) => setTimeout(r, 50));
      throw new Error("cannot read the checksums https://example.invalid/SHA256SUMS");
    };
    await expect(
      ensureSizedVmdk({ baseImage: base, sizeGb: 3, timeoutMs: 60_000, verifyBase: unverifiable }),
    ).rejects.toThrow("cannot read the checksums");
    expect(fs.existsSync(cacheDir)).toBe(false);
  });

  it("writes nothing when the base image check refuses it", async () => {
    const refuse = async () => {
      throw new Error("base image is raw, not qcow2");
    };
    await expect(
      ensureSizedVmdk({ baseImage: base, sizeGb: 3, timeoutMs: 60_000, inspectBase: refuse }),
    ).rejects.toThrow("base image is raw, not qcow2");
    expect(fs.existsSync(cacheDir)).toBe(false);
  });

  it("tells a usable VMDK from others by what qemu-img info reads", async () => {
    const entry = await ensure(3);
    expect(await vmdkInfoProblem(entry.path, 3 * GIB, 30_000)).toBeUndefined();
    expect(await vmdkInfoProblem(entry.path, 4 * GIB, 30_000)).toBe(
      `it is vmdk/monolithicSparse of ${3 * GIB} bytes, not a monolithicSparse vmdk of ${4 * GIB} bytes`,
    );
    expect(await vmdkInfoProblem(base, 2 * GIB, 30_000)).toMatch(/^it is qcow2\/\? of/);
  });

  it("keeps one entry per size", async () => {
    const three = await ensure(3);
    const four = await ensure(4);
    expect(four.path).not.toBe(three.path);
    expect((await qemuImgInfo(four.path)).virtualSize).toBe(4 * GIB);
    expect(
      fs
        .readdirSync(cacheDir)
        .filter((n) => n.endsWith(".vmdk"))
        .sort(),
    ).toEqual([path.basename(three.path), path.basename(four.path)].sort());
  });

  it("makes a new entry when the base image is replaced (fetched again)", async () => {
    const old = await ensure(3);
    const replacement = `${base}.new`;
    fs.copyFileSync(await cachedQcow2({ virtualSize: 2 * GIB, dataMiB: 4 }), replacement);
    fs.renameSync(replacement, base); // as the base image fetch does
    const fresh = await ensure(3);
    expect(fresh.action).toBe("converted");
    expect(fresh.path).not.toBe(old.path);
    const cmp = await runWithDeadline("qemu-img", ["compare", base, fresh.path], { timeoutMs: 60_000 });
    expect(cmp.stdout).toContain("Images are identical");
  });

  it("makes a new entry when the base image is overwritten in place", async () => {
    const old = await ensure(3);
    const fd = fs.openSync(base, "r+");
    fs.writeSync(fd, Buffer.from([0]), 0, 1, fs.statSync(base).size - 1);
    fs.closeSync(fd); // the write moves the mtime, which is part of the identity
    expect((await ensure(3)).path).not.toBe(old.path);
  });

  it.each<[string, (file: string) => void | Promise<void>]>([
    ["truncated", (file: string) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))],
    [
      "replaced by a vmdk of another size",
      async (file: string) => {
        const other = path.join(dir, "other.vmdk");
        await convertBaseToVmdk({
          baseImage: base,
          sizeBytes: 5 * GIB,
          output: other,
          workDir: dir,
          timeoutMs: 60_000,
        });
        fs.renameSync(other, file);
      },
    ],
    ["not a disk at all", (file: string) => fs.writeFileSync(file, "garbage")],
  ])("detects an entry that is %s and converts it again instead of using it", async (_what, damage) => {
    const first = await ensure(3);
    fs.chmodSync(first.path, 0o644);
    await damage(first.path);
    expect(await sparseVmdkProblem(first.path, 3 * GIB, 30_000)).toBeDefined();
    const messages: string[] = [];
    const rebuilt = await ensure(3, messages);
    expect(rebuilt).toEqual({ path: first.path, action: "rebuilt" });
    expect(messages[0]).toMatch(/^the cached .* is unusable \(.+\): converting it again$/);
    expect(await sparseVmdkProblem(rebuilt.path, 3 * GIB, 30_000)).toBeUndefined();
    const cmp = await runWithDeadline("qemu-img", ["compare", base, rebuilt.path], { timeoutMs: 60_000 });
    expect(cmp.stdout).toContain("Images are identical");
  });

  it("checks an entry without a stamp in full once, then stamps it", async () => {
    const first = await ensure(3);
    fs.rmSync(stampPath(first.path));
    expect(await ensure(3)).toEqual({ path: first.path, action: "reused" });
    expect(fs.existsSync(stampPath(first.path))).toBe(true);
  });

  it("checks in full an entry written to since its check (same size), and converts it again", async () => {
    const first = await ensure(3);
    fs.chmodSync(first.path, 0o644);
    // Point the first grain table entry far past the end of the file, as a stray write could.
    const fd = fs.openSync(first.path, "r+");
    const header = Buffer.alloc(512);
    fs.readSync(fd, header, 0, 512, 0);
    const gd = Buffer.alloc(4);
    fs.readSync(fd, gd, 0, 4, Number(header.readBigUInt64LE(56)) * 512);
    fs.writeSync(fd, Buffer.from([0xf0, 0xff, 0xff, 0x7f]), 0, 4, gd.readUInt32LE(0) * 512);
    fs.closeSync(fd);
    expect(fs.statSync(first.path).size).toBe(
      JSON.parse(fs.readFileSync(stampPath(first.path), "utf8")).size,
    );
    const messages: string[] = [];
    expect(await ensure(3, messages)).toEqual({ path: first.path, action: "rebuilt" });
    expect(messages[0]).toMatch(/is unusable \(qemu-img check failed: .+\)/);
  });

  it("converts once when several callers ask at the same time", async () => {
    const results = await Promise.all([ensure(3), ensure(3), ensure(3), ensure(3)]);
    expect(results.map((r) => r.action).sort()).toEqual(["converted", "reused", "reused", "reused"]);
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
  });

  it("removes the scratch directory of a dead converter and never takes it for an entry", async () => {
    const name = sizedVmdkName(base, await baseImageIdentity(base), 3);
    fs.mkdirSync(cacheDir);
    const finished = spawn("true");
    await new Promise((r) => finished.once("exit", r));
    const dead = makeTempSibling(path.join(cacheDir, name), { pid: finished.pid! });
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, name), "half a disk");
    const result = await ensure(3);
    expect(result.action).toBe("converted");
    expect(fs.readdirSync(cacheDir).sort()).toEqual([name, `${name}.checked`]);
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import { qemuImgInfo } from "../../lib/runtime/disk/qemu-img";
import { readEmbeddedDescriptor } from "../../lib/runtime/disk/vmdk-descriptor";
import { sha256File } from "../../lib/runtime/image/checksums";
import { cachedQcow2, GIB, makeTempDir, removeFixtureCache } from "../../test-support/fixtures";
import { pidsMentioning } from "../../test-support/processes";
import { killGroup, makeTempProjectRoot, runEntry, startEntry } from "../../test-support/run-entry";
import { requireTools } from "../../test-support/required-tools";

const qemuImg = requireTools("qemu-img");

let root: string;
let outside: string;

const VMS_DIR = "VMs/k8s_cluster";
const DISK = `${VMS_DIR}/m1.vmwarevm/m1.vmdk`;

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    VM_NAME: "m1",
    BASE_IMAGE: "base_images/noble.img",
    VMS_DIR,
    DISK_PATH: DISK,
    DISK_SIZE_GB: "3",
    DISK_TIMEOUT_SECONDS: "60",
    ...overrides,
  };
}

async function installBase(spec: { dataMiB?: number } = {}): Promise<void> {
  fs.mkdirSync(path.join(root, "base_images"));
  fs.copyFileSync(
    await cachedQcow2({ virtualSize: 2 * GIB, ...spec }),
    path.join(root, "base_images", "noble.img"),
  );
}

beforeEach(() => {
  root = makeTempProjectRoot();
  outside = makeTempDir();
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});
afterAll(() => removeFixtureCache());

/**
 * Waits until qemu-img is writing the sized vmdk in the cache's scratch directory
 * `base_images/sized/.<entry>.partial-<pid>`; that directory, or undefined after 20 s.
 */
async function conversionScratch(): Promise<string | undefined> {
  const sized = path.join(root, "base_images", "sized");
  const giveUp = Date.now() + 20_000;
  while (Date.now() < giveUp) {
    const dirs = fs.existsSync(sized)
      ? fs.readdirSync(sized).filter((n) => /^\..*\.vmdk\.partial-\d+$/.test(n))
      : [];
    const scratch = dirs
      .map((n) => path.join(sized, n))
      .find((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.endsWith(".vmdk")));
    if (scratch) return scratch;
    await new Promise((r) => setImmediate(r));
  }
  return undefined;
}

/** The cached sized vmdks (complete entries only). */
function cacheEntries(): string[] {
  const sized = path.join(root, "base_images", "sized");
  return fs.existsSync(sized)
    ? fs.readdirSync(sized).filter((n) => !n.startsWith(".") && n.endsWith(".vmdk"))
    : [];
}

qemuImg.describe("scripts/disk-clone", () => {
  it("creates the VM's disk from project-relative paths, then keeps it on a rerun", async () => {
    await installBase();
    const first = await runEntry("disk-clone", { projectRoot: root, env: env() });
    expect(first.stderr).toContain("disk-clone m1: created");
    expect(first.code).toBe(0);
    const disk = path.join(root, DISK);
    expect(await qemuImgInfo(disk)).toMatchObject({
      format: "vmdk",
      virtualSize: 3 * GIB,
      createType: "monolithicSparse",
    });
    const before = fs.statSync(disk);

    const second = await runEntry("disk-clone", { projectRoot: root, env: env() });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("kept the existing");
    const after = fs.statSync(disk);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("fetches the base image again (verified) when a new disk is needed and base_images/ was emptied", async () => {
    const source = path.join(outside, "noble.img");
    fs.copyFileSync(await cachedQcow2({ virtualSize: 2 * GIB }), source);
    const image = {
      IMAGE_SOURCE: source,
      IMAGE_PATH: "base_images/noble.img",
      IMAGE_SHA256: await sha256File(source),
    };
    const res = await runEntry("disk-clone", { projectRoot: root, env: env(image) });
    expect(res.stderr).toContain("disk-clone m1: the base image is missing: fetching it again");
    expect(res.code).toBe(0);
    expect(await sha256File(path.join(root, "base_images", "noble.img"))).toBe(image.IMAGE_SHA256);
    expect(await qemuImgInfo(path.join(root, DISK))).toMatchObject({ format: "vmdk", virtualSize: 3 * GIB });

    fs.rmSync(path.join(root, "base_images"), { recursive: true });
    fs.rmSync(path.join(root, DISK));
    const wrong = await runEntry("disk-clone", {
      projectRoot: root,
      env: env({ ...image, IMAGE_SHA256: "0".repeat(64) }),
    });
    expect(wrong.code).toBe(1);
    expect(fs.existsSync(path.join(root, "base_images", "noble.img"))).toBe(false);
    expect(fs.existsSync(path.join(root, DISK))).toBe(false);
  });

  it("refuses a disk smaller than the image before writing anything", async () => {
    await installBase();
    const res = await runEntry("disk-clone", { projectRoot: root, env: env({ DISK_SIZE_GB: "1" }) });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^disk-clone: disk size 1 GiB is smaller than the base image's 2 GiB/m);
    expect(fs.existsSync(path.join(root, "VMs"))).toBe(false);
  });

  it.each([
    ["a .. escape", "../x.vmdk"],
    ["a path outside VMS_DIR but inside the project", "generated/m1.vmdk"],
    ["an absolute path", "/tmp/m1.vmdk"],
    ["a symlink out of VMS_DIR", `${VMS_DIR}/link/m1.vmdk`],
  ])("refuses DISK_PATH as %s", async (_what, diskPath) => {
    await installBase();
    fs.mkdirSync(path.join(root, VMS_DIR), { recursive: true });
    fs.symlinkSync(outside, path.join(root, VMS_DIR, "link"));
    const res = await runEntry("disk-clone", { projectRoot: root, env: env({ DISK_PATH: diskPath }) });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^disk-clone: DISK_PATH=.*(outside|symlink).*use a path inside/m);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync("/tmp/m1.vmdk")).toBe(false);
  });

  it("converts once for several VMs at once, and each disk carries its own name and CID", async () => {
    await installBase({ dataMiB: 64 });
    const names = ["m1", "m2", "m3"];
    const runs = await Promise.all(
      names.map((name) =>
        runEntry("disk-clone", {
          projectRoot: root,
          timeoutMs: 60_000,
          env: env({ VM_NAME: name, DISK_PATH: `${VMS_DIR}/${name}.vmwarevm/${name}.vmdk` }),
        }),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(runs.filter((r) => r.stderr.includes(": converting ")).length).toBe(1);
    expect(cacheEntries()).toHaveLength(1);
    const entry = cacheEntries()[0];
    expect(fs.readdirSync(path.join(root, "base_images", "sized")).sort()).toEqual([
      entry,
      `${entry}.checked`,
    ]); // no lock, no scratch
    const cids = new Set<string>();
    for (const name of names) {
      const disk = path.join(root, VMS_DIR, `${name}.vmwarevm`, `${name}.vmdk`);
      expect(await qemuImgInfo(disk)).toMatchObject({
        format: "vmdk",
        virtualSize: 3 * GIB,
        createType: "monolithicSparse",
      });
      const descriptor = (await readEmbeddedDescriptor(disk)).text;
      expect(descriptor).toContain(`RW ${(3 * GIB) / 512} SPARSE "${name}.vmdk"`);
      cids.add(/^CID=(\w+)$/m.exec(descriptor)![1]);
      expect(fs.statSync(disk).mode & 0o777).toBe(0o644);
    }
    expect(cids.size).toBe(3);
  });

  it("uses no half-made cache entry when killed during the conversion, and the next run succeeds", async () => {
    await installBase({ dataMiB: 160 }); // enough data that the conversion takes a while
    const vmDir = path.join(root, VMS_DIR, "m1.vmwarevm");
    const started = startEntry("disk-clone", { projectRoot: root, env: env() });
    const scratch = await conversionScratch();
    expect(scratch).toBeDefined();
    killGroup(started.child, "SIGKILL");
    // qemu-img runs in a process group of its own (runWithDeadline); a killed parent does not take it along.
    for (const pid of pidsMentioning(scratch!)) process.kill(pid, "SIGKILL");
    const killed = await started.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(fs.existsSync(path.join(vmDir, "m1.vmdk"))).toBe(false);
    expect(cacheEntries()).toEqual([]);
    expect(fs.existsSync(scratch!)).toBe(true);

    // The killed run's lock is taken over once stale (10 s), its scratch removed, the entry made anew.
    const rerun = await runEntry("disk-clone", { projectRoot: root, env: env(), timeoutMs: 60_000 });
    expect(rerun.stderr).toContain("created");
    expect(rerun.code).toBe(0);
    expect(fs.existsSync(scratch!)).toBe(false);
    expect(cacheEntries()).toHaveLength(1);
    expect(fs.readdirSync(vmDir)).toEqual(["m1.vmdk"]);
    expect(await qemuImgInfo(path.join(vmDir, "m1.vmdk"))).toMatchObject({
      format: "vmdk",
      virtualSize: 3 * GIB,
    });
  });

  it("stops its qemu-img too when interrupted (SIGTERM, as Terraform or Ctrl-C does), and leaves no disk", async () => {
    await installBase({ dataMiB: 160 });
    const vmDir = path.join(root, VMS_DIR, "m1.vmwarevm");
    const started = startEntry("disk-clone", { projectRoot: root, env: env() });
    const scratch = await conversionScratch();
    expect(scratch).toBeDefined();
    expect(pidsMentioning(scratch!).length).toBeGreaterThan(0);
    killGroup(started.child, "SIGTERM"); // the entry's group only: qemu-img has a group of its own
    const stopped = await started.done;
    expect({ code: stopped.code, signal: stopped.signal, stderr: stopped.stderr }).toEqual({
      code: 143,
      signal: null,
      stderr: expect.stringContaining("disk-clone: interrupted by SIGTERM; stopped 1 running tool"),
    });
    expect(pidsMentioning(scratch!)).toEqual([]);
    expect(fs.existsSync(path.join(vmDir, "m1.vmdk"))).toBe(false);
    expect(cacheEntries()).toEqual([]);
    // The lock is released on exit, so the next run does not wait for it to go stale.
    const sized = path.join(root, "base_images", "sized");
    expect((fs.existsSync(sized) ? fs.readdirSync(sized) : []).filter((n) => n.endsWith(".lock"))).toEqual(
      [],
    );
  });
});

/**
 * Fault family: the base image arrives broken (a download cut halfway, a mirror serving half the file
 * as if it were all of it, an image damaged at its final path) and a disk clone killed halfway.
 * Outcomes asserted: nothing half-made is ever left where it would be used (no image at IMAGE_PATH, no
 * VMDK at DISK_PATH, no leftovers beside them), and the next run repairs it: it completes and the result
 * verifies (the image by SHA-256 and qemu-img, the disk by qemu-img info and a content compare).
 * A clone killed with SIGKILL during the conversion is covered by __tests__/scripts/disk-clone.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { qemuImgInfo } from "../../lib/runtime/disk/qemu-img";
import { sha256File } from "../../lib/runtime/image/checksums";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { ImageServer, ServeMode, startImageServer } from "../../test-support/faults/image-server";
import { cachedQcow2, GIB, removeFixtureCache } from "../../test-support/fixtures";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";
import { requireTools } from "../../test-support/required-tools";

const qemuImg = requireTools("qemu-img");

const IMAGE_PATH = "base_images/noble.img";
const VMS_DIR = "VMs/k8s_cluster";
const DISK = `${VMS_DIR}/m1.vmwarevm/m1.vmdk`;

let server: ImageServer;
let root: string;

beforeAll(async () => {
  server = await startImageServer("noble.img", fs.readFileSync(await cachedQcow2({ virtualSize: 2 * GIB })));
});
afterAll(async () => {
  await server.close();
  removeFixtureCache();
});
beforeEach(() => {
  root = makeTempProjectRoot();
  server.mode = "ok";
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const abs = (rel: string) => path.join(root, rel);
/** Everything in a folder, hidden temporaries and lock directories included. */
const listing = (rel: string) => (fs.existsSync(abs(rel)) ? fs.readdirSync(abs(rel)).sort() : []);

/** The image's inputs as the stacks pass them; the default Ubuntu flow verifies against SHA256SUMS. */
const imageEnv = (over: Record<string, string> = {}) => ({
  IMAGE_SOURCE: server.imageUrl,
  IMAGE_PATH,
  IMAGE_CHECKSUMS_URL: server.checksumsUrl,
  DOWNLOAD_TIMEOUT_SECONDS: "30",
  ...over,
});
const baseImage = (over: Record<string, string> = {}) =>
  runEntry("base-image", { projectRoot: root, env: imageEnv(over) });
const diskClone = () =>
  runEntry("disk-clone", {
    projectRoot: root,
    env: {
      ...imageEnv(),
      VM_NAME: "m1",
      BASE_IMAGE: IMAGE_PATH,
      VMS_DIR,
      DISK_PATH: DISK,
      DISK_SIZE_GB: "3",
      DISK_TIMEOUT_SECONDS: "60",
    },
  });

/** The image at IMAGE_PATH is the served one, byte for byte, and a sound qcow2. */
async function expectVerifiedImage(): Promise<void> {
  expect(await sha256File(abs(IMAGE_PATH))).toBe(server.sha256);
  const check = await runWithDeadline("qemu-img", ["check", "-q", abs(IMAGE_PATH)], { timeoutMs: 30_000 });
  expect({ code: check.code, out: check.stdout + check.stderr }).toEqual({ code: 0, out: "" });
}

qemuImg.describe("a broken download leaves nothing at IMAGE_PATH, and the next run repairs it", () => {
  it.each<[string, ServeMode, RegExp]>([
    [
      "the connection drops halfway through the body",
      "cut",
      /^base-image: downloading http:\/\/127\.0\.0\.1:\d+\/img\/noble\.img failed \(.+\): nothing was kept/m,
    ],
    [
      "a mirror serves half the file as complete",
      "truncated",
      /^base-image: http:\/\/127\.0\.0\.1:\d+\/img\/noble\.img has SHA-256 [0-9a-f]{64} but [0-9a-f]{64} was expected: nothing was kept/m,
    ],
  ])("%s", async (_what, mode, message) => {
    server.mode = mode;
    const broken = await baseImage();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(message);
    expect(listing("base_images")).toEqual([]); // no image, no partial download, no lock left behind

    server.mode = "ok";
    const repaired = await baseImage();
    expect(repaired.code).toBe(0);
    expect(repaired.stderr).toMatch(/^base-image: downloaded .*noble\.img \(sha256 [0-9a-f]{64}\)$/m);
    await expectVerifiedImage();
    expect(listing("base_images")).toEqual(["noble.img"]);
  });
});

qemuImg.describe("an image damaged at its final path is never kept", () => {
  /** Damage as a disk error or an interrupted manual copy would leave it. */
  const damage: Record<string, (file: string) => void> = {
    "bytes flipped in the middle": (file) => {
      const fd = fs.openSync(file, "r+");
      fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(fs.statSync(file).size / 2));
      fs.closeSync(fd);
    },
    "a qcow2 truncated to half": (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)),
  };

  async function installDamaged(how: string): Promise<void> {
    expect((await baseImage()).code).toBe(0);
    damage[how](abs(IMAGE_PATH));
    expect(await sha256File(abs(IMAGE_PATH))).not.toBe(server.sha256);
  }

  it.each(Object.keys(damage))("%s: the next run fetches it again and verifies it", async (how) => {
    await installDamaged(how);
    const before = server.imageRequests();
    const r = await baseImage({ IMAGE_CHECKSUMS_URL: "", IMAGE_SHA256: server.sha256 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}: removed it, fetching it again/,
    );
    expect(server.imageRequests()).toBe(before + 1);
    await expectVerifiedImage();
  });

  it("a truncated image whose new download is cut too is removed, not left for the disks to be made from", async () => {
    await installDamaged("a qcow2 truncated to half");
    server.mode = "cut";
    const r = await baseImage();
    expect(r.code).toBe(1);
    expect(listing("base_images")).toEqual([]);
    server.mode = "ok";
    expect((await baseImage()).code).toBe(0);
    await expectVerifiedImage();
  });
});

qemuImg.describe("disk-clone fetching a missing base image", () => {
  it("a download cut halfway leaves neither image nor disk; the next run makes both, and the disk holds the image's data", async () => {
    server.mode = "cut";
    const broken = await diskClone();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^disk-clone: downloading .* failed \(.+\): nothing was kept/m);
    expect(fs.existsSync(abs(DISK))).toBe(false);
    expect(listing(path.dirname(DISK))).toEqual([]);
    expect(listing("base_images")).toEqual([]);

    server.mode = "ok";
    const repaired = await diskClone();
    expect(repaired.code).toBe(0);
    await expectVerifiedImage();
    expect(await qemuImgInfo(abs(DISK))).toMatchObject({
      format: "vmdk",
      virtualSize: 3 * GIB,
      createType: "monolithicSparse",
    });
    // Same guest-visible bytes as the image (the extra gigabyte reads as zeros).
    const compare = await runWithDeadline(
      "qemu-img",
      ["compare", "-f", "vmdk", "-F", "qcow2", abs(DISK), abs(IMAGE_PATH)],
      { timeoutMs: 60_000 },
    );
    expect({ code: compare.code, out: compare.stdout.trim().split("\n").pop() }).toEqual({
      code: 0,
      out: "Images are identical.",
    });
    expect(listing(path.dirname(DISK))).toEqual(["m1.vmdk"]);
  });
});

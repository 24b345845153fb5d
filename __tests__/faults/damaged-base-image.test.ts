/**
 * A base image damaged after the base-image step verified it (truncated by a full disk or a killed
 * copy, bytes flipped) must never become a VM disk: `qemu-img info` still reads such a qcow2 and
 * `qemu-img convert` reads missing clusters as zeros with exit 0. disk-clone verifies the image's
 * SHA-256 before each conversion and fetches it again on a mismatch (found by this suite).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256File } from "../../lib/runtime/image/checksums";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { ImageServer, startImageServer } from "../../test-support/faults/image-server";
import { cachedQcow2, GIB, removeFixtureCache } from "../../test-support/fixtures";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";
import { requireTools } from "../../test-support/required-tools";

const qemuImg = requireTools("qemu-img");

const IMAGE_PATH = "base_images/noble.img";
const DISK = "VMs/k8s_cluster/m1.vmwarevm/m1.vmdk";

let server: ImageServer;
let good: string;
let root: string;

beforeAll(async () => {
  good = await cachedQcow2({ virtualSize: 2 * GIB });
  server = await startImageServer("noble.img", fs.readFileSync(good));
});
afterAll(async () => {
  await server.close();
  removeFixtureCache();
});
beforeEach(() => (root = makeTempProjectRoot()));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const damage: Record<string, (file: string) => void> = {
  "truncated to half": (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)),
  "bytes flipped in its data": (file) => {
    const fd = fs.openSync(file, "r+");
    const size = fs.statSync(file).size;
    fs.writeSync(fd, Buffer.alloc(65536, 0x5a), 0, 65536, size - 2 * 65536); // a data cluster near the end
    fs.closeSync(fd);
  },
};

qemuImg.describe("disk-clone never makes a disk from a damaged base image", () => {
  it.each(Object.keys(damage))("base image %s after it was verified", async (how) => {
    const image = path.join(root, IMAGE_PATH);
    fs.mkdirSync(path.dirname(image));
    fs.copyFileSync(good, image);
    damage[how](image);
    const r = await runEntry("disk-clone", {
      projectRoot: root,
      env: {
        VM_NAME: "m1",
        BASE_IMAGE: IMAGE_PATH,
        VMS_DIR: "VMs/k8s_cluster",
        DISK_PATH: DISK,
        DISK_SIZE_GB: "3",
        DISK_TIMEOUT_SECONDS: "60",
        IMAGE_SOURCE: server.imageUrl,
        IMAGE_PATH,
        IMAGE_SHA256: server.sha256,
        DOWNLOAD_TIMEOUT_SECONDS: "30",
      },
    });
    if (r.code !== 0) {
      // Refusing is acceptable: then no disk exists and the message says what is wrong with which file.
      expect(fs.existsSync(path.join(root, DISK))).toBe(false);
      expect(r.stderr).toContain(image);
      return;
    }
    // Repairing is better: the image was fetched again, and the disk holds exactly its data.
    expect(await sha256File(image)).toBe(server.sha256);
    const compare = await runWithDeadline(
      "qemu-img",
      ["compare", "-f", "vmdk", "-F", "qcow2", path.join(root, DISK), good],
      { timeoutMs: 60_000 },
    );
    expect({ code: compare.code, last: compare.stdout.trim().split("\n").pop() }).toEqual({
      code: 0,
      last: "Images are identical.",
    });
  });
});

/**
 * Makes a VM's VMDK from the qcow2 cloud image, once. An existing disk holds the VM's data, so it is
 * kept when it matches and never replaced or resized. A new one is copied from the base image's
 * sized VMDK (converted once per base image and size, see sized-vmdk-cache.ts) with a copy-on-write
 * clone where the filesystem has one, given its own file name and CID in its descriptor, checked, and
 * renamed into place only when complete, so a killed run leaves no half-written disk behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanStalePartials, makeTempSibling } from "../fs/atomic";
import { qemuImgInfo, QemuImgInfo } from "./qemu-img";
import { ensureSizedVmdk, vmdkInfoProblem } from "./sized-vmdk-cache";
import { randomCid, rewriteEmbeddedDescriptor } from "./vmdk-descriptor";

export { convertBaseToVmdk } from "./sized-vmdk-cache";

const GIB = 1024 ** 3;

export interface PrepareVmDiskOptions {
  /** The qcow2 cloud image (absolute or relative to the cwd). */
  readonly baseImage: string;
  /** `<vmDir>/<name>.vmdk` */
  readonly target: string;
  /** Virtual size of the VM's disk, whole GiB. */
  readonly sizeGb: number;
  /** Deadline for the whole preparation. */
  readonly timeoutMs: number;
  readonly onProgress?: (message: string) => void;
  /** Folder of the converted sized VMDKs. @default `sized/` next to the base image */
  readonly cacheDir?: string;
  /**
   * Verifies the base image's SHA-256 before it is converted, fetching it again when it does not
   * verify; resolves true when it replaced the file. @default - the base is only checked with qemu-img info
   */
  readonly verifyBase?: () => Promise<boolean>;
}

export interface PrepareVmDiskResult {
  readonly action: "created" | "kept-existing";
  readonly path: string;
  readonly virtualSize: number;
}

function gib(bytes: number): string {
  return `${+(bytes / GIB).toFixed(2)} GiB`;
}

/** Milliseconds left before `deadline`, at least 1 so a late step still fails by timeout, not by argument. */
function remaining(deadline: number): number {
  return Math.max(deadline - Date.now(), 1);
}

/** Checks the base image and returns its info; nothing is written. */
async function inspectBaseImage(
  baseImage: string,
  sizeBytes: number,
  deadline: number,
): Promise<QemuImgInfo> {
  const info = await qemuImgInfo(baseImage, remaining(deadline));
  if (info.format !== "qcow2") {
    throw new Error(
      `base image ${baseImage} is ${info.format}, not qcow2: use the Ubuntu cloud image (.img, which is qcow2)`,
    );
  }
  if (sizeBytes < info.virtualSize) {
    throw new Error(
      `disk size ${gib(sizeBytes)} is smaller than the base image's ${gib(info.virtualSize)} (${baseImage}): set the VM's disk to at least ${Math.ceil(info.virtualSize / GIB)} GiB`,
    );
  }
  return info;
}

/** Decides whether an existing target can be kept; throws (touching nothing) when it cannot. */
async function checkExistingDisk(target: string, sizeBytes: number, deadline: number): Promise<QemuImgInfo> {
  const vmDir = path.dirname(target);
  let info: QemuImgInfo;
  try {
    info = await qemuImgInfo(target, remaining(deadline));
  } catch (err) {
    throw new Error(
      `${target} exists but cannot be read as a disk image (${(err as Error).message}): it was left untouched; move it away or delete ${vmDir} to have the disk recreated (its data is lost)`,
      { cause: err },
    );
  }
  if (info.format !== "vmdk" || info.backingFilename !== undefined) {
    const what =
      info.format !== "vmdk"
        ? `a ${info.format} image, not a vmdk`
        : `a vmdk with a parent disk (${info.backingFilename})`;
    throw new Error(
      `${target} exists but is ${what}: it was left untouched; move it away or delete ${vmDir} to have the disk recreated (its data is lost)`,
    );
  }
  if (info.virtualSize !== sizeBytes) {
    throw new Error(
      `${target} exists with a virtual size of ${gib(info.virtualSize)}, but ${gib(sizeBytes)} is configured: disks are never resized or recreated automatically; set the VM's disk size back to ${gib(info.virtualSize)}, or delete ${vmDir} to recreate the VM (its data is lost)`,
    );
  }
  return info;
}

export async function prepareVmDisk(opts: PrepareVmDiskOptions): Promise<PrepareVmDiskResult> {
  if (!Number.isInteger(opts.sizeGb) || opts.sizeGb < 1) {
    throw new Error(
      `disk size ${opts.sizeGb} GiB is not a whole number of GiB of at least 1: fix the VM's disk size in the config`,
    );
  }
  const deadline = Date.now() + opts.timeoutMs;
  const target = path.resolve(opts.target);
  const baseImage = path.resolve(opts.baseImage);
  const sizeBytes = opts.sizeGb * GIB;
  const progress = opts.onProgress ?? (() => undefined);

  // A disk that exists is the VM's data: never rebuilt, whatever the base image looks like now.
  if (fs.existsSync(target)) {
    const info = await checkExistingDisk(target, sizeBytes, deadline);
    return { action: "kept-existing", path: target, virtualSize: info.virtualSize };
  }
  if (!fs.existsSync(baseImage)) {
    throw new Error(
      `base image ${baseImage} does not exist: run npm run deploy again: its disk step fetches the image again`,
    );
  }
  // The base is verified and checked (qcow2, not larger than the disk) before it is converted; a cached
  // conversion of the same file passed those checks when it was made.
  const sized = await ensureSizedVmdk({
    baseImage,
    sizeGb: opts.sizeGb,
    cacheDir: opts.cacheDir,
    timeoutMs: remaining(deadline),
    onProgress: progress,
    verifyBase: opts.verifyBase,
    inspectBase: () => inspectBaseImage(baseImage, sizeBytes, deadline),
  });

  const vmDir = path.dirname(target);
  await fs.promises.mkdir(vmDir, { recursive: true });
  await cleanStalePartials(vmDir, path.basename(target));
  // A directory, not a file: the VMDK must already carry its final name while being written.
  const workDir = makeTempSibling(target);
  await fs.promises.rm(workDir, { recursive: true, force: true });
  await fs.promises.mkdir(workDir);
  try {
    const built = path.join(workDir, path.basename(target));
    progress(`copying ${sized.path}${sized.action === "reused" ? " (converted earlier)" : ""}`);
    // A clone on APFS (clonefile) and btrfs/xfs (reflink); libuv falls back to a plain copy elsewhere.
    await fs.promises.copyFile(sized.path, built, fs.constants.COPYFILE_FICLONE);
    await fs.promises.chmod(built, 0o644); // the cached source is read-only
    // The copy still names the cache file in its extent line and shares its CID: make it this disk's own.
    await rewriteEmbeddedDescriptor(built, { extentFileName: path.basename(target), cid: randomCid() });
    // The grain tables were checked in the cache and copied byte for byte; qemu-img info reads the new descriptor.
    const problem = await vmdkInfoProblem(built, sizeBytes, remaining(deadline));
    if (problem !== undefined)
      throw new Error(
        `the copy of ${sized.path} is unusable (${problem}): check free disk space and run again`,
      );
    if (fs.existsSync(target)) {
      throw new Error(
        `${target} appeared while this run was building it (another run for the same VM?): it was left untouched; run again`,
      );
    }
    await fs.promises.rename(built, target);
    return { action: "created", path: target, virtualSize: sizeBytes };
  } catch (err) {
    throw new Error(`building ${target} failed, nothing was kept: ${(err as Error).message}`, { cause: err });
  } finally {
    await fs.promises.rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Makes a VM's VMDK from the qcow2 cloud image, once. An existing disk holds the VM's data, so it is
 * kept when it matches and never replaced or resized; a new one is built in a temporary directory and
 * renamed into place only when complete, so a killed run leaves no half-written disk behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanStalePartials, makeTempSibling } from "../fs/atomic";
import { convertQcow2ToVmdk, createQcow2Overlay, qemuImgInfo, QemuImgInfo } from "./qemu-img";

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
async function inspectBaseImage(baseImage: string, sizeBytes: number, deadline: number): Promise<QemuImgInfo> {
  if (!fs.existsSync(baseImage)) {
    throw new Error(`base image ${baseImage} does not exist: run the base image step first (terraform apply creates it)`);
  }
  const info = await qemuImgInfo(baseImage, remaining(deadline));
  if (info.format !== "qcow2") {
    throw new Error(`base image ${baseImage} is ${info.format}, not qcow2: use the Ubuntu cloud image (.img, which is qcow2)`);
  }
  if (sizeBytes < info.virtualSize) {
    throw new Error(`disk size ${gib(sizeBytes)} is smaller than the base image's ${gib(info.virtualSize)} (${baseImage}): set the VM's disk to at least ${Math.ceil(info.virtualSize / GIB)} GiB`);
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
    throw new Error(`${target} exists but cannot be read as a disk image (${(err as Error).message}): it was left untouched; move it away or delete ${vmDir} to have the disk recreated (its data is lost)`);
  }
  if (info.format !== "vmdk" || info.backingFilename !== undefined) {
    const what = info.format !== "vmdk" ? `a ${info.format} image, not a vmdk` : `a vmdk with a parent disk (${info.backingFilename})`;
    throw new Error(`${target} exists but is ${what}: it was left untouched; move it away or delete ${vmDir} to have the disk recreated (its data is lost)`);
  }
  if (info.virtualSize !== sizeBytes) {
    throw new Error(`${target} exists with a virtual size of ${gib(info.virtualSize)}, but ${gib(sizeBytes)} is configured: disks are never resized or recreated automatically; set the VM's disk size back to ${gib(info.virtualSize)}, or delete ${vmDir} to recreate the VM (its data is lost)`);
  }
  return info;
}

export interface ConvertBaseToVmdkOptions {
  /** Absolute path of the qcow2 base. */
  readonly baseImage: string;
  readonly sizeBytes: number;
  /** Where the VMDK is written; its file name ends up in the VMDK's descriptor. */
  readonly output: string;
  /** A directory of scratch space for the overlay (removed by the caller). */
  readonly workDir: string;
  readonly timeoutMs: number;
}

/**
 * The expensive step, kept separate so it can later run once per (base image, size) and be copied per VM.
 * `qemu-img resize` cannot grow a vmdk, so the size is set on a qcow2 overlay of the base, which is then
 * converted; the base itself is never written.
 */
export async function convertBaseToVmdk(opts: ConvertBaseToVmdkOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const overlay = path.join(opts.workDir, "sized-overlay.qcow2");
  await createQcow2Overlay(path.resolve(opts.baseImage), overlay, opts.sizeBytes, remaining(deadline));
  await convertQcow2ToVmdk(overlay, opts.output, remaining(deadline));
  await fs.promises.rm(overlay, { force: true });
}

export async function prepareVmDisk(opts: PrepareVmDiskOptions): Promise<PrepareVmDiskResult> {
  if (!Number.isInteger(opts.sizeGb) || opts.sizeGb < 1) {
    throw new Error(`disk size ${opts.sizeGb} GiB is not a whole number of GiB of at least 1: fix the VM's disk size in the config`);
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
  await inspectBaseImage(baseImage, sizeBytes, deadline);

  const vmDir = path.dirname(target);
  await fs.promises.mkdir(vmDir, { recursive: true });
  await cleanStalePartials(vmDir, path.basename(target));
  // A directory, not a file: the VMDK must already carry its final name while being written.
  const workDir = makeTempSibling(target);
  await fs.promises.rm(workDir, { recursive: true, force: true });
  await fs.promises.mkdir(workDir);
  try {
    const built = path.join(workDir, path.basename(target));
    progress(`converting ${baseImage} to a ${opts.sizeGb} GiB vmdk`);
    await convertBaseToVmdk({ baseImage, sizeBytes, output: built, workDir, timeoutMs: remaining(deadline) });
    const info = await qemuImgInfo(built, remaining(deadline));
    if (info.format !== "vmdk" || info.virtualSize !== sizeBytes || info.createType !== "monolithicSparse") {
      throw new Error(`qemu-img produced ${info.format}/${info.createType ?? "?"} of ${gib(info.virtualSize)} instead of a ${opts.sizeGb} GiB monolithicSparse vmdk: check the qemu-img version (qemu-img --version)`);
    }
    if (fs.existsSync(target)) {
      throw new Error(`${target} appeared while this run was building it (another run for the same VM?): it was left untouched; run again`);
    }
    await fs.promises.rename(built, target);
    return { action: "created", path: target, virtualSize: info.virtualSize };
  } catch (err) {
    throw new Error(`building ${target} failed, nothing was kept: ${(err as Error).message}`);
  } finally {
    await fs.promises.rm(workDir, { recursive: true, force: true });
  }
}

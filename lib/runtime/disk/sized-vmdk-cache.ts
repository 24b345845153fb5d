/**
 * The base image converted once per (base image, size) into a VMDK that VM disks are copied from:
 * `<base images folder>/sized/<image>-<identity>-<N>G.vmdk`. Converting is the slow step (decompressing
 * the cloud image and writing every grain); a copy is a clone on APFS and a plain copy elsewhere.
 *
 * Identity: the base image's name, size, mtime (ns) and inode, hashed. Looking an entry up by the
 * content's SHA-256 would cost every disk-clone a full read of the image (seconds on a real one, more
 * than the copy it saves); the image only changes by being replaced (the fetch writes a temporary
 * file and renames it: new inode and mtime) or written to (new mtime). The content is hashed once,
 * when an entry is made (verifyBase, beside the conversion).
 *
 * Safety: several disk-clone processes run at once (Terraform runs up to 10), so an entry is built
 * under a lock on its path (the others wait), in a temporary directory, checked, made read-only and
 * renamed into place, with a stamp of what was checked. An existing entry is checked before every
 * use (in full when it differs from its stamp) and rebuilt when unusable. A killed converter leaves
 * only its temporary directory (removed by the next run once the process is gone) and a lock that
 * goes stale after `lockStaleMs`; never an entry.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanStalePartials, makeTempSibling, writeFileAtomic } from "../fs/atomic";
import { withFileLock } from "../fs/lock";
import { convertQcow2ToVmdk, createQcow2Overlay, qemuImgCheck, qemuImgInfo } from "./qemu-img";
import { readEmbeddedDescriptor } from "./vmdk-descriptor";

const GIB = 1024 ** 3;

/** The folder of cached sized VMDKs for a base image: `sized/` next to it. */
export function sizedVmdkCacheDir(baseImage: string): string {
  return path.join(path.dirname(path.resolve(baseImage)), "sized");
}

/** A short hash of what identifies the base image's content without reading it. */
export async function baseImageIdentity(baseImage: string): Promise<string> {
  const st = await fs.promises.stat(baseImage, { bigint: true });
  const fields = [path.basename(baseImage), st.size, st.mtimeNs, st.ino].join("\0");
  return createHash("sha256").update(fields).digest("hex").slice(0, 16);
}

/** `<image name without extension>-<identity>-<N>G.vmdk`, in characters safe in a VMDK descriptor. */
export function sizedVmdkName(baseImage: string, identity: string, sizeGb: number): string {
  const stem =
    path
      .basename(baseImage)
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9._-]/g, "_") || "base";
  return `${stem}-${identity}-${sizeGb}G.vmdk`;
}

/**
 * Why `file` is not a usable source of VM disks of `sizeBytes`, or undefined when it is: its sparse
 * header and embedded descriptor (read here: a single-file growable VMDK of that size, no parent),
 * then, unless `check` is false, qemu-img check for a truncated or damaged grain table (~80 ms of
 * CPU for 40 GiB: it reads only the metadata).
 */
export async function sparseVmdkProblem(
  file: string,
  sizeBytes: number,
  timeoutMs: number,
  opts: { check?: boolean } = {},
): Promise<string | undefined> {
  let descriptor;
  try {
    descriptor = await readEmbeddedDescriptor(file);
  } catch (err) {
    return (err as Error).message;
  }
  const createType = /^createType="([^"]*)"/m.exec(descriptor.text)?.[1];
  const hasParent = /^parentFileNameHint=/m.test(descriptor.text);
  if (createType !== "monolithicSparse" || hasParent || descriptor.capacityBytes !== sizeBytes) {
    return `it is a ${createType ?? "?"} vmdk of ${descriptor.capacityBytes} bytes${hasParent ? " with a parent disk" : ""}, not a monolithicSparse vmdk of ${sizeBytes} bytes`;
  }
  if (opts.check === false) return undefined;
  try {
    await qemuImgCheck(file, "vmdk", timeoutMs);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Why qemu-img does not read `file` as a single-file growable VMDK of `sizeBytes`, or undefined. */
export async function vmdkInfoProblem(
  file: string,
  sizeBytes: number,
  timeoutMs: number,
): Promise<string | undefined> {
  let info;
  try {
    info = await qemuImgInfo(file, timeoutMs);
  } catch (err) {
    return (err as Error).message;
  }
  if (
    info.format !== "vmdk" ||
    info.createType !== "monolithicSparse" ||
    info.backingFilename !== undefined ||
    info.virtualSize !== sizeBytes
  ) {
    const kind = `${info.format}/${info.createType ?? "?"}${info.backingFilename !== undefined ? ` with parent ${info.backingFilename}` : ""}`;
    return `it is ${kind} of ${info.virtualSize} bytes, not a monolithicSparse vmdk of ${sizeBytes} bytes`;
  }
  return undefined;
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
 * The expensive step. `qemu-img resize` cannot grow a vmdk, so the size is set on a qcow2 overlay of
 * the base, which is then converted; the base itself is never written.
 */
export async function convertBaseToVmdk(opts: ConvertBaseToVmdkOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const overlay = path.join(opts.workDir, "sized-overlay.qcow2");
  await createQcow2Overlay(
    path.resolve(opts.baseImage),
    overlay,
    opts.sizeBytes,
    Math.max(deadline - Date.now(), 1),
  );
  await convertQcow2ToVmdk(overlay, opts.output, Math.max(deadline - Date.now(), 1));
  await fs.promises.rm(overlay, { force: true });
}

export interface EnsureSizedVmdkOptions {
  /** The qcow2 base image. */
  readonly baseImage: string;
  /**
   * Verifies the base image's content (its SHA-256) before it is converted, fetching it again when
   * it does not verify; resolves true when it replaced the file. A damaged image still reads as
   * qcow2 (a truncated one converts with zeros for the missing part), so only its hash tells.
   */
  readonly verifyBase?: () => Promise<boolean>;
  /** Checks the base image's kind and size before it is converted (throws to refuse it). */
  readonly inspectBase?: () => Promise<unknown>;
  readonly sizeGb: number;
  /** @default sizedVmdkCacheDir(baseImage) */
  readonly cacheDir?: string;
  /** Deadline for waiting on another converter plus converting. */
  readonly timeoutMs: number;
  readonly onProgress?: (message: string) => void;
  /** Age after which the lock of a killed converter is taken over. @default 10000 */
  readonly lockStaleMs?: number;
}

export interface SizedVmdk {
  readonly path: string;
  /** converted: made now; reused: a checked entry was there; rebuilt: an entry was there but unusable. */
  readonly action: "converted" | "reused" | "rebuilt";
}

/**
 * The cached sized VMDK for the base image, converted now if there is no usable one. verifyBase and
 * inspectBase run only when converting: a usable entry was made from the same file (same identity)
 * after the same checks, and its copies never read the base again.
 */
export async function ensureSizedVmdk(opts: EnsureSizedVmdkOptions): Promise<SizedVmdk> {
  const deadline = Date.now() + opts.timeoutMs;
  const baseImage = path.resolve(opts.baseImage);
  const cacheDir = path.resolve(opts.cacheDir ?? sizedVmdkCacheDir(baseImage));
  const createdCacheDir = await fs.promises.mkdir(cacheDir, { recursive: true });
  try {
    const first = await sizedVmdkFor(opts, baseImage, cacheDir, deadline, true);
    if (first !== "base-replaced") return first;
    // The verification fetched the image again: its identity, and so the entry, changed. The new file was verified by its fetch.
    const second = await sizedVmdkFor(opts, baseImage, cacheDir, deadline, false);
    if (second === "base-replaced")
      throw new Error(`${baseImage} was replaced again while it was being converted: run again`);
    return second;
  } catch (err) {
    // A base image refused by its checks leaves nothing behind (rmdir only removes an empty folder).
    if (createdCacheDir !== undefined) await fs.promises.rmdir(cacheDir).catch(() => undefined);
    throw err;
  }
}

async function sizedVmdkFor(
  opts: EnsureSizedVmdkOptions,
  baseImage: string,
  cacheDir: string,
  deadline: number,
  verify: boolean,
): Promise<SizedVmdk | "base-replaced"> {
  const left = () => Math.max(deadline - Date.now(), 1);
  const progress = opts.onProgress ?? (() => undefined);
  const sizeBytes = opts.sizeGb * GIB;
  const identity = await baseImageIdentity(baseImage);
  const entry = path.join(cacheDir, sizedVmdkName(baseImage, identity, opts.sizeGb));

  // Usable entries are read without the lock, so that copies for many VMs check it side by side.
  const seen = await statOf(entry);
  let problem: string | undefined;
  if (seen) {
    // Its header and descriptor are read every time; qemu-img check runs again only when the file is
    // not the one a check passed (stamp of size, mtime and inode), e.g. truncated or written to since.
    const unchanged = sameFile(await readStamp(entry), seen);
    problem = await sparseVmdkProblem(entry, sizeBytes, left(), { check: !unchanged });
    if (problem === undefined) {
      if (!unchanged) await writeStamp(entry, seen);
      return { path: entry, action: "reused" };
    }
  }

  // Missing or unusable: build it, one run at a time (under the lock).
  const build = async (): Promise<SizedVmdk | "base-replaced"> => {
    const now = await statOf(entry);
    // Another run (re)built it while this one waited; it checked the entry before renaming it in.
    if (now && !(seen && now.ino === seen.ino && now.mtimeMs === seen.mtimeMs))
      return { path: entry, action: "reused" };
    // Only the run that converts checks the base image, so waiting runs do not compete with it. The
    // hash runs beside the conversion (both only read the base); the entry is kept only if it verifies.
    const verification = verify && opts.verifyBase ? opts.verifyBase() : Promise.resolve(false);
    verification.catch(() => undefined); // awaited below; not unhandled if the conversion fails first
    await opts.inspectBase?.();
    await cleanStalePartials(cacheDir, path.basename(entry));
    await cleanStalePartials(cacheDir, path.basename(stampPath(entry)));
    let action: SizedVmdk["action"] = "converted";
    if (now) {
      progress(`the cached ${entry} is unusable (${problem}): converting it again`);
      await fs.promises.rm(entry, { recursive: true, force: true });
      action = "rebuilt";
    }
    await fs.promises.rm(stampPath(entry), { force: true });
    // A directory, not a file: the VMDK must carry its final name while being written.
    const workDir = makeTempSibling(entry);
    await fs.promises.rm(workDir, { recursive: true, force: true });
    await fs.promises.mkdir(workDir);
    try {
      const built = path.join(workDir, path.basename(entry));
      progress(
        `converting ${baseImage} to a ${opts.sizeGb} GiB vmdk, once for every disk of this size: ${entry}`,
      );
      try {
        await convertBaseToVmdk({ baseImage, sizeBytes, output: built, workDir, timeoutMs: left() });
        const bad = await sparseVmdkProblem(built, sizeBytes, left());
        if (bad !== undefined)
          throw new Error(
            `qemu-img produced an unusable vmdk (${bad}): check the qemu-img version (qemu-img --version)`,
          );
      } catch (err) {
        // A damaged base may fail to convert; if the verification fetched it again, convert the new one.
        if ((await verification.catch(() => false)) && (await baseImageIdentity(baseImage)) !== identity)
          return "base-replaced";
        throw new Error(
          `converting ${baseImage} into ${entry} failed, nothing was kept: ${(err as Error).message}`,
          { cause: err },
        );
      }
      // A base that did not verify was fetched again: this conversion of the old file is dropped.
      if ((await verification) && (await baseImageIdentity(baseImage)) !== identity) return "base-replaced";
      await fs.promises.chmod(built, 0o444); // a source to copy from, never a disk to run
      await fs.promises.rename(built, entry);
      await writeStamp(entry, await fs.promises.stat(entry));
      return { path: entry, action };
    } finally {
      await fs.promises.rm(workDir, { recursive: true, force: true });
    }
  };
  return withFileLock(entry, build, {
    staleMs: opts.lockStaleMs,
    waitMs: left(),
    pollMs: 50,
    onWait: () => progress(`waiting for another run converting ${entry}`),
  });
}

/** What identified the entry when qemu-img check last passed it: `<entry>.checked`. */
interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export function stampPath(entry: string): string {
  return `${entry}.checked`;
}

async function readStamp(entry: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(stampPath(entry), "utf8")) as Stamp;
  } catch {
    return undefined; // missing or unreadable: the entry is checked in full
  }
}

async function writeStamp(entry: string, st: fs.Stats): Promise<void> {
  const stamp: Stamp = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  await writeFileAtomic(stampPath(entry), `${JSON.stringify(stamp)}\n`);
}

function sameFile(stamp: Stamp | undefined, st: fs.Stats): boolean {
  return (
    stamp !== undefined &&
    st.isFile() &&
    stamp.size === st.size &&
    stamp.mtimeMs === st.mtimeMs &&
    stamp.ino === st.ino
  );
}

async function statOf(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

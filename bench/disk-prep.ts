import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { convertBaseToVmdk, prepareVmDisk } from "../lib/runtime/disk/prepare-disk";
import { qemuImgCheck, qemuImgInfo, runQemuImg } from "../lib/runtime/disk/qemu-img";
import { ensureBaseImage } from "../lib/runtime/image/base-image";
import { sha256File } from "../lib/runtime/image/checksums";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { BenchFigure, figure, medianPair, roundRatios, timeIt, timePair } from "./harness";
import { tsCommand } from "../test-support/ts-runner";
import { DEFAULT_VMS } from "../lib/model/config/schema";

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
/** The disks of the default cluster (the APT cache's lives in the other stack). */
const CLUSTER_VMS = DEFAULT_VMS.map((vm) => vm.name);
const SIZE_GB = 40;
const TIMEOUT_MS = 600_000;

export interface BaseImageSpec {
  /** Virtual size, as Ubuntu's noble cloud image (3.5 GiB). */
  readonly virtualSize: number;
  /** MiB of random bytes (incompressible, like packed files). */
  readonly randomMiB: number;
  /** MiB of real files (this project's node_modules: text and binaries). */
  readonly filesMiB: number;
}

const REALISTIC_BASE: BaseImageSpec = { virtualSize: 3.5 * GIB, randomMiB: 150, filesMiB: 150 };

/** Files under `dir`, depth first, until `bytes` of content have been listed. */
function someFiles(dir: string, bytes: number, out: string[] = [], total = { n: 0 }): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (total.n >= bytes) break;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) someFiles(p, bytes, out, total);
    else if (entry.isFile()) {
      out.push(p);
      total.n += fs.statSync(p).size;
    }
  }
  return out;
}

/**
 * A qcow2 like the cloud image: compressed (`convert -c`, as Ubuntu ships it), holding random bytes
 * from 1/32 of the disk on and real files from 1/4 on, the rest unallocated.
 */
export async function makeRealisticBase(file: string, spec: BaseImageSpec = REALISTIC_BASE): Promise<string> {
  const randomAt = Math.floor(spec.virtualSize / 32 / MIB) * MIB;
  const filesAt = Math.floor(spec.virtualSize / 4 / MIB) * MIB;
  const end = filesAt + spec.filesMiB * MIB;
  if (randomAt + spec.randomMiB * MIB > filesAt || end > spec.virtualSize) {
    throw new Error(
      `${spec.randomMiB} MiB + ${spec.filesMiB} MiB of data do not fit a base of ${spec.virtualSize} bytes: make it larger`,
    );
  }
  const raw = `${file}.raw`;
  fs.writeFileSync(raw, "");
  fs.truncateSync(raw, spec.virtualSize);
  const fd = fs.openSync(raw, "r+");
  try {
    for (let i = 0; i < spec.randomMiB; i++) fs.writeSync(fd, randomBytes(MIB), 0, MIB, randomAt + i * MIB);
    let offset = filesAt;
    for (const f of someFiles(path.join(__dirname, "..", "node_modules"), spec.filesMiB * MIB)) {
      if (offset >= end) break;
      const data = fs.readFileSync(f).subarray(0, end - offset);
      fs.writeSync(fd, data, 0, data.length, offset);
      offset += data.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  await runQemuImg(["convert", "-c", "-f", "raw", "-O", "qcow2", raw, file], TIMEOUT_MS);
  fs.rmSync(raw, { force: true });
  return file;
}

/** The check disk-clone makes before a conversion: the image's SHA-256, fetched again from `source` on a mismatch. */
export function verifyBaseLikeDiskClone(
  source: string,
  dest: string,
  sha256: string,
): () => Promise<boolean> {
  return async () =>
    (await ensureBaseImage({ source, dest, sha256, timeoutMs: TIMEOUT_MS })).action !== "verified-existing";
}

/** One round: every variant once, one after another. */
export interface DiskPrepRound {
  /** One conversion of the base to a sized VMDK (with the base's qemu-img info and the result's qemu-img check), then per VM a plain copy and its `qemu-img info`, one after another. */
  readonly floorMs: number;
  /** The same with the copies made all at once, each in a process of its own. */
  readonly floorConcurrentMs: number;
  /** prepareVmDisk for every VM one after another, from an empty cache, verifying the base's SHA-256 as disk-clone does. */
  readonly sequentialMs: number;
  /** prepareVmDisk for every VM at once, each in a process of its own as Terraform runs the disk-clones, from an empty cache. */
  readonly concurrentMs: number;
  /** The seed's way: one conversion per VM. */
  readonly perVmConversionMs: number;
}

function freshDir(parent: string, name: string): string {
  const dir = path.join(parent, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A project-like folder with its own copy of the base, so every run starts with an empty cache. */
function project(parent: string, name: string, base: string): { base: string; disk: (vm: string) => string } {
  const root = freshDir(parent, name);
  const own = path.join(root, "base_images", path.basename(base));
  fs.mkdirSync(path.dirname(own));
  fs.copyFileSync(base, own);
  return { base: own, disk: (vm) => path.join(root, "VMs", `${vm}.vmwarevm`, `${vm}.vmdk`) };
}

/** Idle time after the flush: this VM's virtual disk keeps absorbing the last run's writes for a while. */
const SETTLE_PAUSE_MS = 3000;

/**
 * Flushes what earlier runs wrote and lets the disk go idle, so that one run's writeback does not
 * slow the next (on this 2-core VM it otherwise decides which variant looks fastest). Not timed.
 */
async function settle(): Promise<void> {
  await runWithDeadline("sync", [], { timeoutMs: 120_000 });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
}

interface Worker {
  /** Resolves when the worker has loaded and waits for the go. */
  readonly ready: Promise<void>;
  go(): void;
  /** Resolves with the time the worker reported its job done. */
  readonly done: Promise<number>;
  kill(): void;
}

/** Starts bench/disk-prep-worker.ts with `args`; it is killed if it is not done within TIMEOUT_MS. */
function startWorker(args: readonly string[]): Worker {
  const child = spawn(...tsCommand(path.join(__dirname, "disk-prep-worker.ts"), args), {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let doneAt: number | undefined;
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    if (d.includes("ready")) markReady();
    if (d.includes("done")) doneAt = Date.now();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const done = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0 && doneAt !== undefined) resolve(doneAt);
      else reject(new Error(`disk-prep worker ${args.join(" ")} failed (exit ${code}): ${stderr.trim()}`));
    });
  });
  // A worker that dies while loading must not leave the caller waiting for "ready".
  done.catch(() => undefined); // reported through timeWorkers
  return {
    ready: Promise.race([ready, done.then(() => undefined)]),
    go: () => child.stdin.end("go\n"),
    done,
    kill: () => child.kill("SIGKILL"),
  };
}

/** Runs `before` then lets every worker go; the time from the start of `before` to the last worker's "done". */
async function timeWorkers(
  workers: Worker[],
  before: () => Promise<unknown> = async () => undefined,
): Promise<number> {
  try {
    await Promise.all(workers.map((w) => w.ready));
    await settle();
    const start = Date.now();
    await before();
    for (const w of workers) w.go();
    const ends = await Promise.all(workers.map((w) => w.done));
    return Math.max(...ends) - start;
  } catch (err) {
    for (const w of workers) w.kill();
    throw err;
  }
}

async function floorRun(work: string, base: string, concurrent: boolean): Promise<number> {
  const dir = freshDir(work, "floor");
  const sized = path.join(dir, "sized.vmdk");
  const target = (vm: string) => path.join(dir, `${vm}.vmdk`);
  // The processes the product's converting run spawns too: qemu-img info of the base before, qemu-img
  // check of the result after (lib/runtime/disk/sized-vmdk-cache.ts); the SHA-256 it hashes beside is its own cost.
  const convert = async () => {
    await qemuImgInfo(base);
    await convertBaseToVmdk({
      baseImage: base,
      sizeBytes: SIZE_GB * GIB,
      output: sized,
      workDir: dir,
      timeoutMs: TIMEOUT_MS,
    });
    await qemuImgCheck(sized, "vmdk", TIMEOUT_MS);
  };
  if (concurrent)
    return timeWorkers(
      CLUSTER_VMS.map((vm) => startWorker(["copy", sized, target(vm)])),
      convert,
    );
  await settle();
  return timeIt(async () => {
    await convert();
    for (const vm of CLUSTER_VMS) {
      await fs.promises.copyFile(sized, target(vm));
      await qemuImgInfo(target(vm)); // prepareVmDisk checks every copy with qemu-img info too
    }
  });
}

async function perVmConversionRun(work: string, base: string): Promise<number> {
  const dir = freshDir(work, "per-vm");
  await settle();
  return timeIt(async () => {
    for (const vm of CLUSTER_VMS) {
      const out = path.join(dir, `${vm}.vmdk`);
      await convertBaseToVmdk({
        baseImage: base,
        sizeBytes: SIZE_GB * GIB,
        output: out,
        workDir: dir,
        timeoutMs: TIMEOUT_MS,
      });
      await qemuImgInfo(out); // the seed checked each result too
    }
  });
}

async function productRun(
  work: string,
  base: string,
  baseSha256: string,
  concurrent: boolean,
): Promise<number> {
  const p = project(work, concurrent ? "concurrent" : "sequential", base);
  if (concurrent)
    return timeWorkers(
      CLUSTER_VMS.map((vm) =>
        startWorker(["prepare", p.base, p.disk(vm), String(SIZE_GB), base, baseSha256]),
      ),
    );
  const verifyBase = verifyBaseLikeDiskClone(base, p.base, baseSha256);
  await settle();
  return timeIt(async () => {
    for (const vm of CLUSTER_VMS)
      await prepareVmDisk({
        baseImage: p.base,
        target: p.disk(vm),
        sizeGb: SIZE_GB,
        timeoutMs: TIMEOUT_MS,
        verifyBase,
      });
  });
}

/**
 * `rounds` rounds of every variant. Within a round each product variant runs next to its floor, so
 * that a pair sees the same load, and which of the two goes first alternates from round to round:
 * a virtual disk that has just absorbed gigabytes writes the next ones slower (measured here: a
 * 300 MiB copy takes 0.1 s on a rested disk, 0.9 s after about 1.5 GiB), so a fixed order would
 * hand the rested disk to the same variant every time.
 */
async function measureDiskPrep(
  rounds: number,
  spec: BaseImageSpec = REALISTIC_BASE,
): Promise<DiskPrepRound[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-disk-"));
  try {
    const base = await makeRealisticBase(path.join(work, "noble-server-cloudimg-amd64.img"), spec);
    const baseSha256 = await sha256File(base);
    await perVmConversionRun(work, base); // warm-up: the base and qemu-img in the page cache
    fs.rmSync(path.join(work, "per-vm"), { recursive: true, force: true });
    const all: DiskPrepRound[] = [];
    // Each run's output is deleted as soon as it is timed (this disk is mounted with online discard),
    // so that the deletion is flushed by the next run's settle instead of inside its timing.
    const removingOutputs = (run: () => Promise<number>) => async () => {
      try {
        return await run();
      } finally {
        for (const name of ["floor", "sequential", "concurrent", "per-vm"])
          fs.rmSync(path.join(work, name), { recursive: true, force: true });
      }
    };
    for (let i = 0; i < rounds; i++) {
      const { measuredMs: sequentialMs, baselineMs: floorMs } = await timePair(
        i,
        removingOutputs(() => productRun(work, base, baseSha256, false)),
        removingOutputs(() => floorRun(work, base, false)),
      );
      const { measuredMs: concurrentMs, baselineMs: floorConcurrentMs } = await timePair(
        i,
        removingOutputs(() => productRun(work, base, baseSha256, true)),
        removingOutputs(() => floorRun(work, base, true)),
      );
      const perVmConversionMs = await removingOutputs(() => perVmConversionRun(work, base))();
      all.push({ floorMs, sequentialMs, floorConcurrentMs, concurrentMs, perVmConversionMs });
    }
    return all;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function diskPrepFigures(
  rounds: readonly DiskPrepRound[],
  spec: BaseImageSpec = REALISTIC_BASE,
): BenchFigure[] {
  const setup = `${CLUSTER_VMS.length} disks of ${SIZE_GB} GiB from a compressed qcow2 with ${spec.randomMiB + spec.filesMiB} MiB of data, the base's SHA-256 checked before converting as disk-clone does; the median of ${rounds.length} rounds`;
  const floor = `1 checked convert + ${CLUSTER_VMS.length} plain copies, each checked`;
  const seqPairs = rounds.map((r) => ({ measuredMs: r.sequentialMs, baselineMs: r.floorMs }));
  const concPairs = rounds.map((r) => ({ measuredMs: r.concurrentMs, baselineMs: r.floorConcurrentMs }));
  const seedPairs = rounds.map((r) => ({ measuredMs: r.sequentialMs, baselineMs: r.perVmConversionMs }));
  const seq = medianPair(seqPairs);
  const conc = medianPair(concPairs);
  const seed = medianPair(seedPairs);
  const seedVsFloor = medianPair(
    rounds.map((r) => ({ measuredMs: r.perVmConversionMs, baselineMs: r.floorMs })),
  );
  return [
    // The goal is judged the way a deploy prepares disks: Terraform runs the disk-clones at once.
    // One after another is a diagnostic of the per-disk overhead; on a virtual disk its ratio swings
    // with the write-back state the two runs meet (see measureDiskPrep).
    figure(
      "disk prep, all at once (as Terraform)",
      conc.measuredMs,
      conc.baselineMs,
      `${floor} at once`,
      1.3,
      `${setup}; a process per disk, start-up not timed; rounds: ${roundRatios(concPairs)}`,
    ),
    figure(
      "disk prep, one after another",
      seq.measuredMs,
      seq.baselineMs,
      floor,
      null,
      `${setup}; in one process; rounds: ${roundRatios(seqPairs)}`,
    ),
    figure(
      "disk prep vs per-VM conversion",
      seed.measuredMs,
      seed.baselineMs,
      `${CLUSTER_VMS.length} conversions (seed's way)`,
      1.0,
      `below 1 means faster than the seed; the seed's way is ${(seedVsFloor.measuredMs / seedVsFloor.baselineMs).toFixed(2)} x the floor; rounds: ${roundRatios(seedPairs)}`,
    ),
  ];
}

export async function benchDiskPrep(rounds = 5): Promise<BenchFigure[]> {
  return diskPrepFigures(await measureDiskPrep(rounds));
}

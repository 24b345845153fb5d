/**
 * Test fixtures made with the real tools: small qcow2 images (cached per test file, since several tests
 * share one) and cloud-init seed directories. Everything lives under os.tmpdir().
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";

export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

export function makeTempDir(prefix = "fusion-lab-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function run(file: string, args: string[]): Promise<void> {
  const res = await runWithDeadline(file, args, { timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${res.stderr || res.stdout}`);
}

export interface Qcow2Spec {
  /** Virtual size of the image. @default 1 GiB */
  readonly virtualSize?: number;
  /** MiB of non-zero data, written half at the start and half in the middle. @default 8 */
  readonly dataMiB?: number;
}

/** Writes a qcow2 at `file` from a sparse raw image holding pattern data. */
export async function makeQcow2(file: string, spec: Qcow2Spec = {}): Promise<string> {
  const virtualSize = spec.virtualSize ?? GIB;
  const half = Math.max(1, Math.floor((spec.dataMiB ?? 8) / 2));
  const raw = `${file}.raw`;
  fs.writeFileSync(raw, "");
  fs.truncateSync(raw, virtualSize);
  const middle = Math.floor(virtualSize / 2 / MIB) * MIB;
  try {
    await run("qemu-io", [
      "-f",
      "raw",
      "-c",
      `write -P 0xab 0 ${half}M`,
      "-c",
      `write -P 0xcd ${middle} ${half}M`,
      raw,
    ]);
  } catch {
    // No qemu-io: write the same pattern with plain fs.
    const fd = fs.openSync(raw, "r+");
    try {
      fs.writeSync(fd, Buffer.alloc(half * MIB, 0xab), 0, half * MIB, 0);
      fs.writeSync(fd, Buffer.alloc(half * MIB, 0xcd), 0, half * MIB, middle);
    } finally {
      fs.closeSync(fd);
    }
  }
  await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, file]);
  fs.rmSync(raw, { force: true });
  return file;
}

let cacheDir: string | undefined;
const cached = new Map<string, Promise<string>>();

/** A read-only qcow2 shared by the tests of one file; call removeFixtureCache() in afterAll. */
export function cachedQcow2(spec: Qcow2Spec = {}): Promise<string> {
  const key = `${spec.virtualSize ?? GIB}-${spec.dataMiB ?? 8}`;
  let image = cached.get(key);
  if (!image) {
    cacheDir ??= makeTempDir("fusion-lab-fixtures-");
    image = makeQcow2(path.join(cacheDir, `base-${key}.qcow2`), spec);
    cached.set(key, image);
  }
  return image;
}

export function removeFixtureCache(): void {
  if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
  cacheDir = undefined;
  cached.clear();
}

export const SAMPLE_SEED = {
  "user-data": "#cloud-config\nhostname: k8s-m1\npackages: [curl]\n",
  "meta-data": "instance-id: k8s-m1-0001\nlocal-hostname: k8s-m1\n",
  "network-config":
    'version: 2\nethernets:\n  ens160:\n    match: {macaddress: "00:50:56:00:00:10"}\n    set-name: ens160\n    dhcp4: true\n',
} as const;

/** Writes seed files into `dir` (created); pass `omit` to leave required files out. */
export function makeSeedDir(
  dir: string,
  opts: { omit?: readonly string[]; extra?: Record<string, string> } = {},
): string {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = { ...SAMPLE_SEED, ...opts.extra };
  for (const [name, content] of Object.entries(files)) {
    if (!opts.omit?.includes(name)) fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

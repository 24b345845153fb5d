/**
 * The golden image: built (or found in the cache) by e2e/golden/build.sh, described by its
 * manifest.json. Also tells whether the image holds every package the seeds ask for, since a package
 * missing from it would make first boot need the internet, which the test network does not have.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface GoldenManifest {
  readonly key: string;
  readonly suite: string;
  readonly arch: string;
  /** How the disk boots (`efi`) and its partition table (`gpt`), as build.sh laid it out. */
  readonly firmware: string;
  readonly partitionTable: string;
  /** The loader on the EFI system partition, e.g. `EFI/BOOT/BOOTX64.EFI`. */
  readonly efiLoader: string;
  /** cloud-init's package version in the image. */
  readonly cloudInit: string;
  readonly image: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly virtualSizeMiB: number;
  readonly kernel: string;
  readonly aptRepoUrl: string;
  readonly buildSeconds: number;
}

export interface Golden {
  readonly dir: string;
  readonly imagePath: string;
  readonly manifest: GoldenManifest;
  /** True when this call built it. */
  readonly built: boolean;
  readonly seconds: number;
}

export function readManifest(dir: string): GoldenManifest {
  const m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as GoldenManifest;
  for (const k of ["key", "arch", "image", "sha256", "aptRepoUrl", "cloudInit"] as const) {
    if (typeof m[k] !== "string" || m[k] === "")
      throw new Error(`${dir}/manifest.json has no ${k}: delete ${dir} to rebuild it`);
  }
  return m;
}

/** Package names of packages.txt (comments and blank lines dropped). */
export function goldenPackages(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/** Packages a user-data asks for that the golden image does not hold. */
export function packagesMissingFromGolden(userData: string, golden: readonly string[]): string[] {
  const doc = parse(userData, { version: "1.1" }) as { packages?: unknown[] } | null;
  const wanted = (doc?.packages ?? []).map((p) => (Array.isArray(p) ? String(p[0]) : String(p)));
  return wanted.filter((p) => !golden.includes(p));
}

/** Runs build.sh for `arch` (a no-op when cached), streaming its progress lines; bounded by `timeoutMs`. */
export async function ensureGolden(
  buildScript: string,
  cacheDir: string,
  arch: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<Golden> {
  const started = Date.now();
  const child = spawn(buildScript, [cacheDir, arch], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderrTail = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderrTail = (stderrTail + d).slice(-4000);
    for (const line of d.split("\n").filter(Boolean)) log(line);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // build.sh cleans up (unmounts, removes its work folder) on SIGTERM.
    if (child.pid) process.kill(-child.pid, "SIGTERM");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(null));
    child.on("close", (c) => resolve(c));
  });
  clearTimeout(timer);
  if (code !== 0) {
    const why = timedOut ? `did not finish within ${Math.round(timeoutMs / 1000)} s` : `exited ${code}`;
    throw new Error(
      `building the golden image (${buildScript}) ${why}: ${stderrTail.trim().split("\n").slice(-3).join(" | ")}`,
    );
  }
  const dir = stdout.trim().split("\n").pop() ?? "";
  const manifest = readManifest(dir);
  const built = fs.statSync(path.join(dir, "manifest.json")).mtimeMs >= started;
  return {
    dir,
    imagePath: path.join(dir, manifest.image),
    manifest,
    built,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Builds the cloud-init NoCloud seed: an ISO 9660 volume labelled `cidata` (Joliet + Rock Ridge, so the
 * long file names survive) holding only the seed files at its root. Written to a temporary sibling
 * and renamed, so a VM never boots from a half-written seed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cleanStalePartials, makeTempSibling } from "../fs/atomic";
import { runWithDeadline } from "../process/run-with-deadline";
import { hostWords } from "../../model/host-words";

/** In order of preference: hdiutil ships with macOS; the others come from Homebrew or Linux packages. */
export const ISO_TOOLS = ["hdiutil", "xorriso", "genisoimage", "mkisofs"] as const;
export type IsoTool = (typeof ISO_TOOLS)[number];

const REQUIRED_SEED_FILES = ["user-data", "meta-data", "network-config"] as const;
const OPTIONAL_SEED_FILES = ["vendor-data"] as const;

/** Fixed timestamps make xorriso's output byte-identical for identical inputs, which keeps plans stable. */
const DEFAULT_SOURCE_DATE_EPOCH = 946684800; // 2000-01-01T00:00:00Z

export function isIsoTool(name: string): name is IsoTool {
  return (ISO_TOOLS as readonly string[]).includes(name);
}

/** True when an executable `cmd` is on `PATH`. */
function isOnPath(cmd: string, envPath: string = process.env.PATH ?? ""): boolean {
  return envPath
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      const candidate = path.join(dir, cmd);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return fs.statSync(candidate).isFile();
      } catch {
        return false;
      }
    });
}

/** The first ISO tool `isAvailable` accepts, or undefined. */
export async function findIsoTool(
  isAvailable: (tool: IsoTool) => boolean | Promise<boolean> = (t) => isOnPath(t),
): Promise<IsoTool | undefined> {
  for (const tool of ISO_TOOLS) {
    if (await isAvailable(tool)) return tool;
  }
  return undefined;
}

/** The argv (after the program name) that writes `files` to the root of `output`. */
export function isoToolArgs(
  tool: IsoTool,
  output: string,
  files: readonly string[],
  stagingDir: string,
  sourceDateEpoch: number,
): string[] {
  switch (tool) {
    case "hdiutil":
      // hdiutil takes a folder, not a file list, hence the staging directory.
      return ["makehybrid", "-iso", "-joliet", "-default-volume-name", "cidata", "-o", output, stagingDir];
    case "xorriso":
      // -r: Rock Ridge with owner root and read-only modes, so the bytes do not depend on who built it.
      return [
        "-as",
        "mkisofs",
        "-quiet",
        "-o",
        output,
        "-V",
        "cidata",
        "-J",
        "-r",
        "--set_all_file_dates",
        `=${sourceDateEpoch}`,
        ...files,
      ];
    case "genisoimage":
    case "mkisofs":
      return ["-quiet", "-output", output, "-volid", "cidata", "-joliet", "-rock", ...files];
  }
}

export interface BuildSeedIsoOptions {
  /** Directory holding user-data, meta-data, network-config (and optionally vendor-data). */
  readonly sourceDir: string;
  readonly output: string;
  /** @default the first of ISO_TOOLS found on PATH */
  readonly tool?: IsoTool;
  readonly timeoutMs: number;
  /** @default DEFAULT_SOURCE_DATE_EPOCH */
  readonly sourceDateEpoch?: number;
}

export interface BuildSeedIsoResult {
  readonly path: string;
  readonly tool: IsoTool;
  /** Names of the files on the ISO. */
  readonly files: readonly string[];
}

/** Lists the seed files in `sourceDir`, throwing for the first required one that is missing. */
function seedFiles(sourceDir: string): string[] {
  const isFile = (name: string) =>
    fs.statSync(path.join(sourceDir, name), { throwIfNoEntry: false })?.isFile() === true;
  if (!fs.statSync(sourceDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(
      `seed directory ${sourceDir} does not exist: it is rendered by the deploy (Terraform writes it before the seed is built): run npm run deploy again`,
    );
  }
  for (const name of REQUIRED_SEED_FILES) {
    if (!isFile(name)) {
      throw new Error(
        `seed directory ${sourceDir} has no ${name} file: it is rendered by the deploy: run npm run deploy again (it writes the file back) rather than building the ISO by hand`,
      );
    }
  }
  return [...REQUIRED_SEED_FILES, ...OPTIONAL_SEED_FILES.filter(isFile)];
}

export async function buildSeedIso(opts: BuildSeedIsoOptions): Promise<BuildSeedIsoResult> {
  const sourceDir = path.resolve(opts.sourceDir);
  const output = path.resolve(opts.output);
  const files = seedFiles(sourceDir);
  const tool = opts.tool ?? (await findIsoTool());
  if (!tool) {
    throw new Error(
      `no ISO tool found (looked for ${ISO_TOOLS.join(", ")} on PATH): ${hostWords(process.platform).install.xorriso}`,
    );
  }
  const epoch = opts.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH;

  await fs.promises.mkdir(path.dirname(output), { recursive: true });
  await cleanStalePartials(path.dirname(output), path.basename(output));
  // Ends in .iso because hdiutil appends .iso to an output name that lacks it.
  const tmp = makeTempSibling(output, { suffix: ".iso" });
  const staging = makeTempSibling(output, { suffix: ".d" });
  try {
    await fs.promises.rm(tmp, { force: true });
    await fs.promises.rm(staging, { recursive: true, force: true });
    if (tool === "hdiutil") {
      await fs.promises.mkdir(staging);
      for (const name of files)
        await fs.promises.copyFile(path.join(sourceDir, name), path.join(staging, name));
    }
    const args = isoToolArgs(
      tool,
      tmp,
      files.map((f) => path.join(sourceDir, f)),
      staging,
      epoch,
    );
    const res = await runWithDeadline(tool, args, {
      timeoutMs: opts.timeoutMs,
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
    });
    if (res.timedOut) {
      throw new Error(
        `${tool} did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped: run it again, or raise the ISO timeout`,
      );
    }
    if (res.code !== 0) {
      const detail = res.stderr.trim().split("\n").filter(Boolean).pop() ?? `exit ${res.code ?? res.signal}`;
      throw new Error(`${tool} failed to build ${output}: ${detail}`);
    }
    if (!(fs.statSync(tmp, { throwIfNoEntry: false })?.size ?? 0)) {
      throw new Error(
        `${tool} reported success but wrote no ${tmp}: try another tool via ISO_TOOL (one of ${ISO_TOOLS.join(", ")})`,
      );
    }
    await fs.promises.rename(tmp, output);
    return { path: output, tool, files };
  } finally {
    await fs.promises.rm(tmp, { force: true });
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

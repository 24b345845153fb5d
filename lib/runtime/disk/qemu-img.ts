/** Thin, deadline-bound wrappers around the qemu-img commands the disk preparation needs. */
import { runWithDeadline } from "../process/run-with-deadline";

export interface QemuImgInfo {
  readonly format: string;
  readonly virtualSize: number;
  readonly actualSize?: number;
  /** vmdk only: `monolithicSparse`, `streamOptimized`, … */
  readonly createType?: string;
  readonly backingFilename?: string;
  /** The whole `qemu-img info --output=json` answer. */
  readonly raw: Record<string, unknown>;
}

/** Runs qemu-img; a non-zero exit or a timeout becomes an error quoting its stderr. */
export async function runQemuImg(args: readonly string[], timeoutMs: number): Promise<string> {
  const res = await runWithDeadline("qemu-img", args, { timeoutMs });
  if (res.timedOut) {
    throw new Error(
      `qemu-img ${args[0]} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped: check free disk space, or raise the disk timeout`,
    );
  }
  if (res.code !== 0) {
    const detail = res.stderr.trim().split("\n").filter(Boolean).pop() ?? `exit ${res.code ?? res.signal}`;
    throw new Error(`qemu-img ${args[0]} failed: ${detail}`);
  }
  return res.stdout;
}

/** `qemu-img info` of one file (no backing chain). `-U` lets it read an image another process has open. */
export async function qemuImgInfo(file: string, timeoutMs = 30_000): Promise<QemuImgInfo> {
  const raw = JSON.parse(await runQemuImg(["info", "-U", "--output=json", file], timeoutMs)) as Record<
    string,
    unknown
  >;
  const specific = raw["format-specific"] as { data?: Record<string, unknown> } | undefined;
  return {
    format: String(raw["format"]),
    virtualSize: Number(raw["virtual-size"]),
    actualSize: typeof raw["actual-size"] === "number" ? raw["actual-size"] : undefined,
    createType:
      typeof specific?.data?.["create-type"] === "string" ? specific.data["create-type"] : undefined,
    backingFilename: typeof raw["backing-filename"] === "string" ? raw["backing-filename"] : undefined,
    raw,
  };
}

/** A qcow2 of `sizeBytes` whose unwritten clusters read from `backing` (absolute path, qcow2). */
export async function createQcow2Overlay(
  backing: string,
  overlay: string,
  sizeBytes: number,
  timeoutMs: number,
): Promise<void> {
  await runQemuImg(
    ["create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay, String(sizeBytes)],
    timeoutMs,
  );
}

/**
 * Converts a qcow2 chain to a single-file growable VMDK that VMware runs (not streamOptimized, which
 * Workstation/Fusion fail to write to). The descriptor embeds the output's file name.
 */
export async function convertQcow2ToVmdk(source: string, output: string, timeoutMs: number): Promise<void> {
  await runQemuImg(
    [
      "convert",
      "-f",
      "qcow2",
      "-O",
      "vmdk",
      "-o",
      "subformat=monolithicSparse,adapter_type=lsilogic",
      source,
      output,
    ],
    timeoutMs,
  );
}

/**
 * `qemu-img check` of one image: throws when it finds corruption or cannot finish (a grain table
 * pointing past the end of a truncated VMDK, for one), quoting the first problem it names. Reads
 * only the metadata, so it is quick.
 */
export async function qemuImgCheck(file: string, format: string, timeoutMs: number): Promise<void> {
  const args = ["check", "-U", "-q", "-f", format, file];
  const res = await runWithDeadline("qemu-img", args, { timeoutMs });
  if (res.timedOut)
    throw new Error(
      `qemu-img check did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped: check free disk space, or raise the disk timeout`,
    );
  if (res.code !== 0) {
    const lines = `${res.stderr}\n${res.stdout}`
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const detail =
      lines.find((l) => /^(ERROR|Leaked)/.test(l)) ?? lines.pop() ?? `exit ${res.code ?? res.signal}`;
    throw new Error(`qemu-img check failed: ${detail}`);
  }
}

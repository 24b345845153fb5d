import type { RunResult } from "../../runtime/process/run-with-deadline";

/** ok = nothing to do; warning = works but worth a look; failure = deploy would fail, exit 1. */
export type CheckStatus = "ok" | "warning" | "failure";

export interface CheckResult {
  /** Short name of what was checked, e.g. `vmrun`, `vmnet2 subnet`. */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found (and expected, for a mismatch). */
  readonly detail: string;
  /** What the user should do; absent when the row is ok. */
  readonly fix?: string;
}

/**
 * Everything the checks read from the host, injectable so tests can hand in fake Fusion files and
 * fake tool answers. `buildRealDoctorEnv` (real-env.ts) makes the real one.
 */
export interface DoctorEnv {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  /** Absolute project root; the model's paths are relative to it. */
  readonly projectRoot: string;
  readonly homeDir: string;
  readonly hostArch: string;
  /** The file's text, or undefined when it cannot be read. */
  readonly readFile: (file: string) => string | undefined;
  readonly exists: (file: string) => boolean;
  readonly isExecutable: (file: string) => boolean;
  /** Runs a program with a deadline (never a shell); throws SpawnError when it cannot start. */
  readonly run: (file: string, args: readonly string[], timeoutMs: number) => Promise<RunResult>;
  /** The host's own IPv4 addresses (loopback excluded). */
  readonly hostAddresses: () => readonly string[];
  readonly totalMemBytes: number;
  readonly cpuCount: number;
  /** Bytes available to this user on the file system holding `dir`, or undefined when unknown. */
  readonly freeDiskBytes: (dir: string) => Promise<number | undefined>;
  readonly sha256File: (file: string) => Promise<string>;
  readonly now: () => Date;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: "ok", detail });
export const warning = (check: string, detail: string, fix: string): CheckResult => ({
  check,
  status: "warning",
  detail,
  fix,
});
export const failure = (check: string, detail: string, fix: string): CheckResult => ({
  check,
  status: "failure",
  detail,
  fix,
});

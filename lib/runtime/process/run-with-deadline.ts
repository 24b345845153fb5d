import { spawn } from "node:child_process";

export interface RunOptions {
  /** Hard deadline for the whole run, in milliseconds. */
  readonly timeoutMs: number;
  /** Environment for the child. @default - the current process environment */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory. @default - the current directory */
  readonly cwd?: string;
  /** Text written to the child's stdin, which is then closed. @default - stdin is closed at once */
  readonly input?: string;
  /** How long to wait after SIGTERM before SIGKILL. @default 2000 */
  readonly killGraceMs?: number;
}

export interface RunResult {
  /** Exit code, or null when the child was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the deadline expired and the process group was killed. */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** Raised when the program cannot be started at all (missing binary, not executable). */
export class SpawnError extends Error {
  constructor(
    readonly file: string,
    readonly cause: NodeJS.ErrnoException,
  ) {
    super(
      cause.code === "ENOENT"
        ? `cannot run ${file}: no such program (is it installed and on PATH?)`
        : `cannot run ${file}: ${cause.message}`,
    );
    this.name = "SpawnError";
  }
}

/** Raised instead of starting a program once refuseNewTools was called (the process is being interrupted). */
class ToolsRefusedError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file} was not started: ${reason}`);
    this.name = "ToolsRefusedError";
  }
}

/** Process groups started here and still running, so an interrupted entry point can take them down. */
const liveGroups = new Set<number>();
/** Why no program may be started any more, once the process is being interrupted. */
let refusal: string | undefined;

/**
 * From now on every runWithDeadline call fails at once with ToolsRefusedError. An interrupted entry
 * point calls this before stopping its tools: code still unwinding must not start new ones (an undo, a
 * listing, a VM start) after the user asked it to stop.
 */
export function refuseNewTools(reason: string): void {
  refusal = reason;
}

/** Signals every process group this process started that is still running (for SIGINT/SIGTERM handlers). */
export function killLiveGroups(signal: NodeJS.Signals = "SIGTERM"): number {
  for (const pid of liveGroups) killGroup(pid, signal);
  return liveGroups.size;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid signals the whole process group: vmrun and qemu-img start helpers
    // that would otherwise outlive a killed parent.
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs a program (never through a shell) in its own process group, with a deadline.
 * On expiry the whole group gets SIGTERM, then SIGKILL after a grace period, so nothing is left behind.
 * A non-zero exit is a normal result, not an exception; only a failure to start throws.
 */
export function runWithDeadline(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  if (refusal !== undefined) return Promise.reject(new ToolsRefusedError(file, refusal));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => undefined); // the child may exit before reading its input
    child.stdin.end(opts.input ?? "");

    const deadline = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        killGroup(child.pid, "SIGTERM");
        killTimer = setTimeout(
          () => child.pid !== undefined && killGroup(child.pid, "SIGKILL"),
          opts.killGraceMs ?? 2000,
        );
      }
    }, opts.timeoutMs);

    child.on("error", (err: NodeJS.ErrnoException) => {
      if (pid !== undefined) liveGroups.delete(pid);
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      reject(new SpawnError(file, err));
    });
    child.on("close", (code, signal) => {
      if (pid !== undefined) liveGroups.delete(pid);
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      // Children of the child may still hold the group; make sure none survive a timeout.
      if (timedOut && child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

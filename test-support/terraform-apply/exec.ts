/**
 * Child processes as Terraform starts them for local-exec and the external data source. Not
 * lib/runtime/process/run-with-deadline: this one also stops on an AbortSignal (an interrupted deploy) and
 * keeps stdout and stderr interleaved in one log, as local-exec shows them. Same safety: each child
 * leads its own process group, and a deadline or an abort kills the whole group (SIGTERM, then SIGKILL).
 */
import { spawn } from "node:child_process";

export interface CommandOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. @default - stdin is /dev/null */
  readonly input?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** @default 2000 */
  readonly killGraceMs?: number;
  /**
   * Leave the child in this process's group, as Terraform starts local-exec commands and external
   * programs, so a signal to the group reaches it; a deadline or an abort then stops the child alone.
   * @default false: the child leads its own group, which a deadline or an abort kills whole
   */
  readonly sharedGroup?: boolean;
}

export interface CommandResult {
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr in the order they arrived. */
  readonly output: string;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  killProcess(-pid, signal);
}

function killProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Runs `file args` (no shell of its own); a failure to start is a result with code null, not a throw. */
export function runCommand(
  file: string,
  args: readonly string[],
  opts: CommandOptions,
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let output = "";
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: !opts.sharedGroup,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const kill = (pid: number, signal: NodeJS.Signals) =>
      opts.sharedGroup ? killProcess(pid, signal) : killGroup(pid, signal);
    const stop = (why: "timeout" | "abort") => {
      if (why === "timeout") timedOut = true;
      else aborted = true;
      if (child.pid === undefined) return;
      kill(child.pid, "SIGTERM");
      const pid = child.pid;
      setTimeout(() => kill(pid, "SIGKILL"), opts.killGraceMs ?? 2000).unref();
    };
    const deadline = setTimeout(() => stop("timeout"), opts.timeoutMs);
    const onAbort = () => stop("abort");
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = (code: number | null, exitSignal: NodeJS.Signals | null, extra = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      opts.signal?.removeEventListener("abort", onAbort);
      // A grandchild may still hold the group after a kill: make sure nothing survives.
      if ((timedOut || aborted) && child.pid !== undefined && !opts.sharedGroup)
        killGroup(child.pid, "SIGKILL");
      resolve({
        code,
        exitSignal,
        stdout,
        stderr: stderr + extra,
        output: output + extra,
        timedOut,
        aborted,
        durationMs: Date.now() - started,
      });
    };
    child.stdout!.setEncoding("utf8").on("data", (d: string) => ((stdout += d), (output += d)));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => ((stderr += d), (output += d)));
    if (opts.input !== undefined) {
      child.stdin!.on("error", () => undefined); // the child may exit without reading
      child.stdin!.end(opts.input);
    }
    child.on("error", (err) => finish(null, null, `cannot start ${file}: ${err.message}\n`));
    child.on("close", (code, sig) => finish(code, sig));
  });
}

/** One line saying how a command ended, for error messages. */
export function describeExit(r: CommandResult, timeoutMs: number): string {
  if (r.timedOut) return `did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`;
  if (r.aborted) return "was interrupted (the apply was aborted)";
  if (r.code === null && r.exitSignal) return `was ended by ${r.exitSignal}`;
  if (r.code === null) return "could not be started";
  return `exit status ${r.code}`;
}

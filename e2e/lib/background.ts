/**
 * A long-running helper (a QEMU guest, the package server) that the run starts, watches and ends by
 * its PID. It runs under coreutils `timeout` in its own process group, so it is bounded even if this
 * runner dies, and stop() ends the whole group (SIGTERM, then SIGKILL). Output goes to a log file.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";

export interface BackgroundOptions {
  /** argv of the program (prefixes such as `ip netns exec <ns>` included). */
  readonly argv: readonly string[];
  /** Hard bound on its lifetime, enforced by `timeout` (which sends SIGKILL 10 s after SIGTERM). */
  readonly lifetimeSeconds: number;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  /** Where `timeout` goes in argv: after this many leading words (e.g. 4 for `ip netns exec <ns>`). */
  readonly timeoutAfter?: number;
}

export interface BackgroundProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Settles when the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs` if it is still there; resolves when it has ended. */
  stop(graceMs?: number): Promise<void>;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** argv with `timeout -k 10 <s>` inserted after the first `at` words. */
export function boundedArgv(argv: readonly string[], lifetimeSeconds: number, at = 0): string[] {
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1)
    throw new Error(`lifetimeSeconds must be a positive whole number, got ${lifetimeSeconds}`);
  return [...argv.slice(0, at), "timeout", "-k", "10", String(lifetimeSeconds), ...argv.slice(at)];
}

export function startBackground(opts: BackgroundOptions): BackgroundProcess {
  const argv = boundedArgv(opts.argv, opts.lifetimeSeconds, opts.timeoutAfter ?? 0);
  const log = fs.openSync(opts.logFile, "a");
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]}: is it installed?`);
  const pid = child.pid;
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("error", () => {
      ended = true;
      resolve({ code: null, signal: null });
    });
    child.on("exit", (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
  });
  return {
    pid,
    argv,
    exited,
    hasExited: () => ended,
    async stop(graceMs = 5000) {
      if (!ended) signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything left in the group (a child of timeout that ignored SIGTERM) goes too.
      signalGroup(pid, "SIGKILL");
    },
  };
}

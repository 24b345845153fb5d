/**
 * Cross-process mutual exclusion on a file path (e.g. two stacks fetching the same base image).
 * proper-lockfile makes `<path>.lock` with mkdir and keeps its mtime fresh while held; a lock whose
 * holder was killed stops being refreshed and is taken over once it is older than `staleMs`.
 */
import * as lockfile from "proper-lockfile";

export interface FileLockOptions {
  /** Age after which a lock that is no longer refreshed counts as abandoned. @default 10000 (min 2000) */
  readonly staleMs?: number;
  /** How long to wait for another holder before giving up. @default 600000 */
  readonly waitMs?: number;
  /** Pause between attempts while waiting. @default 250 */
  readonly pollMs?: number;
  /** Called once when the lock is busy and this caller starts waiting. */
  readonly onWait?: () => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` while holding the lock on `file` (which need not exist) and releases it afterwards. */
export async function withFileLock<T>(
  file: string,
  fn: () => Promise<T>,
  opts: FileLockOptions = {},
): Promise<T> {
  const staleMs = Math.max(opts.staleMs ?? 10_000, 2000);
  const waitMs = opts.waitMs ?? 600_000;
  const giveUpAt = Date.now() + waitMs;
  let release: (() => Promise<void>) | undefined;
  let waiting = false;
  while (!release) {
    try {
      release = await lockfile.lock(file, {
        stale: staleMs,
        realpath: false,
        // Our writes are verified renames, so a lost lock (laptop asleep past staleMs) costs at most a
        // duplicate download; the default handler would throw from a timer and kill the process instead.
        onCompromised: () => undefined,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      if (Date.now() >= giveUpAt) {
        throw new Error(
          `${file} is locked by another run (${file}.lock) and was not released within ${Math.round(waitMs / 1000)} s: wait for that run to finish, or delete ${file}.lock if no run is active`,
          { cause: err },
        );
      }
      if (!waiting) {
        waiting = true;
        opts.onWait?.();
      }
      await sleep(opts.pollMs ?? 250);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined); // already released when compromised
  }
}

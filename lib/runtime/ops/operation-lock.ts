/**
 * One cluster operation at a time (snapshot create/rollback/delete, start/stop all): two of them at once
 * would interleave vmrun calls on the same VMs. The lock is `<generated>/operation.lock`, created with
 * O_EXCL; a second caller fails at once instead of waiting, and a lock whose process is gone is taken over.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isPidAlive } from "../fs/atomic";

export interface OperationLockHolder {
  pid: number;
  operation: string;
  startedAt: string;
}

interface LockFileContent extends OperationLockHolder {
  host: string;
}

export class OperationLockedError extends Error {
  readonly holder: OperationLockHolder;

  constructor(holder: OperationLockHolder) {
    super(
      `another operation is running: ${holder.operation} (pid ${holder.pid}, since ${holder.startedAt}); wait for it to finish. ` +
        "If that process is gone, the lock is taken over automatically.",
    );
    this.name = "OperationLockedError";
    this.holder = holder;
  }
}

const OPERATION_LOCK_FILE = "operation.lock";

// A racer writes its content right after creating the file; give it this long before calling the file junk.
const UNREADABLE_GRACE_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseLock(text: string): LockFileContent | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockFileContent>;
    if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    return {
      pid: v.pid,
      operation: typeof v.operation === "string" ? v.operation : "unknown",
      startedAt: typeof v.startedAt === "string" ? v.startedAt : "unknown",
      host: typeof v.host === "string" ? v.host : "",
    };
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Creates the lock file; false when it exists already. */
function tryCreate(file: string, content: LockFileContent): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    fs.writeFileSync(fd, `${JSON.stringify(content)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Removes a lock file whose content is `staleText`, and only that one: it is renamed away first and
 * checked, so a racer's fresh lock created meanwhile is put back instead of being deleted.
 */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // someone else removed it
    throw err;
  }
  if (readText(aside) !== staleText) {
    try {
      fs.linkSync(aside, file); // fails if yet another racer holds it now; that racer's lock stands
    } catch {
      // keep whatever lock is there now
    }
  }
  fs.rmSync(aside, { force: true });
}

async function acquire(file: string, operation: string): Promise<LockFileContent> {
  const mine: LockFileContent = {
    pid: process.pid,
    operation,
    startedAt: new Date().toISOString(),
    host: os.hostname(),
  };
  let unreadableSince: number | undefined;
  for (;;) {
    if (tryCreate(file, mine)) return mine;
    const text = readText(file);
    if (text === undefined) continue; // released just now
    const holder = parseLock(text);
    if (holder === undefined) {
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince < UNREADABLE_GRACE_MS) {
        await sleep(50);
        continue;
      }
      removeStale(file, text); // empty or garbage for a while: its writer died mid-write
      continue;
    }
    if (isPidAlive(holder.pid)) {
      throw new OperationLockedError({
        pid: holder.pid,
        operation: holder.operation,
        startedAt: holder.startedAt,
      });
    }
    removeStale(file, text);
  }
}

/** Deletes the lock file if it is still ours (never a lock someone took over). */
function release(file: string, mine: LockFileContent): void {
  const text = readText(file);
  if (text === undefined) return;
  const held = parseLock(text);
  if (held && held.pid === mine.pid && held.startedAt === mine.startedAt) fs.rmSync(file, { force: true });
}

/**
 * Runs `fn` holding `<generatedDirAbs>/operation.lock`. Throws OperationLockedError at once when a live
 * process holds it. Released when `fn` settles, and on process exit (runMain exits on SIGINT/SIGTERM).
 */
export async function withOperationLock<T>(
  generatedDirAbs: string,
  operation: string,
  fn: () => Promise<T>,
): Promise<T> {
  fs.mkdirSync(generatedDirAbs, { recursive: true });
  const file = path.join(generatedDirAbs, OPERATION_LOCK_FILE);
  const mine = await acquire(file, operation);
  const onExit = () => release(file, mine);
  process.once("exit", onExit);
  try {
    return await fn();
  } finally {
    process.removeListener("exit", onExit);
    release(file, mine);
  }
}

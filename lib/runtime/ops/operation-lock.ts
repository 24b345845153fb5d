/**
 * One cluster operation at a time (deploy, teardown, snapshot create/list/rollback/delete, start/stop all):
 * two of them at once would interleave vmrun calls on the same VMs, or two cdktf runs would write the same
 * cdktf.out. The lock is `<generated>/operation.lock`, created with O_EXCL and naming its holder (pid,
 * operation, command line). A second caller fails at once, or after waiting a bounded time it was given;
 * a lock whose process is gone is taken over.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isPidAlive } from "../fs/atomic";

export interface OperationLockHolder {
  pid: number;
  operation: string;
  /** The holder's command line as the user can recognise it, e.g. `scripts/run snapshot create base`. */
  command: string;
  startedAt: string;
}

interface LockFileContent extends OperationLockHolder {
  host: string;
}

export class OperationLockedError extends Error {
  readonly holder: OperationLockHolder;

  constructor(holder: OperationLockHolder, waitedMs = 0) {
    super(
      `another operation is running: ${describeHolder(holder)}${waitedMs > 0 ? `, still after waiting ${Math.round(waitedMs / 1000)} s` : ""}; ` +
        `wait for it to finish and run this again, or stop it (kill ${holder.pid}). ` +
        "If that process is gone, the lock is taken over automatically.",
    );
    this.name = "OperationLockedError";
    this.holder = holder;
  }
}

/** `snapshot create (pid 4242, command "scripts/run snapshot create base", since 2026-...)`. */
export function describeHolder(holder: OperationLockHolder): string {
  return `${holder.operation} (pid ${holder.pid}, command ${JSON.stringify(holder.command)}, since ${holder.startedAt})`;
}

/** This process's command line: `scripts/run <entry> <args>` for an entry point, else node's argv. */
export function currentCommand(argv: readonly string[] = process.argv): string {
  const entry = /(?:^|[\\/])scripts[\\/]([^\\/]+)\.ts$/.exec(argv[1] ?? "");
  const words = entry ? ["scripts/run", entry[1], ...argv.slice(2)] : argv.slice(1);
  return words.join(" ");
}

const OPERATION_LOCK_FILE = "operation.lock";

/** How often a waiting caller looks at the lock again. */
const WAIT_POLL_MS = 200;

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
      command: typeof v.command === "string" ? v.command : "unknown",
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

export interface LockWait {
  /** How long to wait for a live holder to finish before giving up, in ms. @default 0 (refuse at once) */
  readonly waitMs?: number;
  /** Called once, when the lock is found held and waiting starts (to say so to the user). */
  readonly onWait?: (holder: OperationLockHolder, waitMs: number) => void;
  /** The command line recorded in the lock. @default currentCommand() */
  readonly command?: string;
}

const holderOf = (h: LockFileContent): OperationLockHolder => ({
  pid: h.pid,
  operation: h.operation,
  command: h.command,
  startedAt: h.startedAt,
});

async function acquire(file: string, operation: string, wait: LockWait): Promise<LockFileContent> {
  const mine: LockFileContent = {
    pid: process.pid,
    operation,
    command: wait.command ?? currentCommand(),
    startedAt: new Date().toISOString(),
    host: os.hostname(),
  };
  const waitMs = wait.waitMs ?? 0;
  let waitingSince: number | undefined;
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
    if (!isPidAlive(holder.pid)) {
      removeStale(file, text);
      continue;
    }
    if (waitingSince === undefined) {
      waitingSince = Date.now();
      if (waitMs > 0) wait.onWait?.(holderOf(holder), waitMs);
    }
    const waited = Date.now() - waitingSince;
    if (waited >= waitMs) throw new OperationLockedError(holderOf(holder), waited);
    await sleep(Math.min(WAIT_POLL_MS, waitMs - waited));
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
 * Runs `fn` holding `<generatedDirAbs>/operation.lock`. When a live process holds it, waits up to
 * `wait.waitMs` (default: not at all) for it, then throws OperationLockedError naming the holder.
 * Released when `fn` settles, and on process exit (runMain exits on SIGINT/SIGTERM).
 */
export async function withOperationLock<T>(
  generatedDirAbs: string,
  operation: string,
  fn: () => Promise<T>,
  wait: LockWait = {},
): Promise<T> {
  fs.mkdirSync(generatedDirAbs, { recursive: true });
  const file = path.join(generatedDirAbs, OPERATION_LOCK_FILE);
  const mine = await acquire(file, operation, wait);
  const onExit = () => release(file, mine);
  process.once("exit", onExit);
  try {
    return await fn();
  } finally {
    process.removeListener("exit", onExit);
    release(file, mine);
  }
}

/**
 * Write-then-rename, so a reader (or the next run after a kill) sees either the old file or the
 * complete new one. Temporaries sit next to their target (same filesystem, so rename is atomic) and
 * are named `.<basename>.partial-<pid>[suffix]`, which lets a later run tell whose leftovers they are.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** `<dir>/.<basename>.partial-<pid><suffix>`; the suffix keeps an extension a tool insists on (".iso"). */
export function makeTempSibling(target: string, opts: { suffix?: string; pid?: number } = {}): string {
  const pid = opts.pid ?? process.pid;
  return path.join(path.dirname(target), `.${path.basename(target)}.partial-${pid}${opts.suffix ?? ""}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Linux only: a killed process whose parent died stays a zombie until init reaps it, yet answers kill(0). */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** True while a process with this pid runs (EPERM: it exists but belongs to someone else). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

/** Names of the `.<basename>.partial-<pid>*` entries in `names` whose process no longer runs. */
function stalePartialNames(names: readonly string[], basename: string): string[] {
  const pattern = new RegExp(`^\\.${escapeRegExp(basename)}\\.partial-(\\d+)(\\..*)?$`);
  return names.filter((name) => {
    const m = pattern.exec(name);
    return m !== null && !isPidAlive(Number(m[1]));
  });
}

/** The leftovers of interrupted writes of `<dir>/<basename>` (by processes that no longer run); reads only. */
export function listStalePartials(dir: string, basename: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return stalePartialNames(names, basename).map((name) => path.join(dir, name));
}

/**
 * Removes `.<basename>.partial-<pid>*` files or directories in `dir` left by processes that no longer
 * run (a killed download or conversion). Leftovers of live processes, this one included, are kept: they
 * may still be working. Returns the removed paths.
 */
export async function cleanStalePartials(dir: string, basename: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of stalePartialNames(names, basename)) {
    const p = path.join(dir, name);
    await fs.promises.rm(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

/** Writes `data` to a temporary sibling, flushes it, then renames it over `target`. */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const tmp = makeTempSibling(target);
  try {
    const handle = await fs.promises.open(tmp, "w", opts.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Looks at host processes from tests: whether a pid still runs, waiting for pids to end, and finding
 * processes by their command line. Linux only (reads /proc), like the tests that use it.
 */
import * as fs from "node:fs";

/** True while `pid` runs; false once it is gone or only a zombie (an unreaped orphan is dead, only its entry remains). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** Waits up to `timeoutMs` for every pid to end; returns the pids still alive then (expect it to be []). */
export async function waitUntilDead(pids: readonly number[], timeoutMs = 5000): Promise<number[]> {
  const giveUp = Date.now() + timeoutMs;
  while (pids.some(isAlive) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isAlive);
}

/** Pids of processes whose command line mentions `needle`. */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, "utf8").includes(needle)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

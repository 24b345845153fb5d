/**
 * The host's process table as the fault suite needs it (Linux /proc): processes that carry a given
 * environment variable (every vmrun simulator and every helper it starts inherits VMRUN_SIM_STATE, so
 * this finds them whatever their command line), live members of a process group, and ancestry.
 */
import * as fs from "node:fs";

interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid, state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Running (not zombie) processes whose environment holds `name=value`. */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`);
      return (
        (env.indexOf(needle) === 0 || env.indexOf(Buffer.concat([Buffer.from("\0"), needle])) >= 0) &&
        readStat(pid)?.state !== "Z"
      );
    } catch {
      return false;
    }
  });
}

/** Live (not zombie) members of process group `pgid`; [] once the group is gone. */
export function liveGroupMembers(pgid: number): number[] {
  return allPids().filter((pid) => {
    const st = readStat(pid);
    return st !== undefined && st.pgrp === pgid && st.state !== "Z";
  });
}

/** True when `pid` is `ancestor` or runs below it. */
export function isDescendantOf(pid: number, ancestor: number): boolean {
  for (
    let current: number | undefined = pid;
    current !== undefined && current > 1;
    current = readStat(current)?.ppid
  ) {
    if (current === ancestor) return true;
  }
  return false;
}

/** Polls `probe` until it returns [] or `timeoutMs` passes; returns its last answer (expect []). */
export async function waitForNone(probe: () => number[], timeoutMs = 5000): Promise<number[]> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const left = probe();
    if (left.length === 0 || Date.now() >= giveUp) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

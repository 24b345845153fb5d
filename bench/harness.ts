import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** One figure: a measurement divided by a baseline measured in the same run, against its goal. */
export interface BenchFigure {
  readonly name: string;
  readonly measuredMs: number;
  readonly baselineMs: number;
  readonly baseline: string;
  readonly ratio: number;
  /** The ratio must be at most this; null for a diagnostic row, printed to explain a goal row. */
  readonly goal: number | null;
  readonly ok: boolean;
  readonly note?: string;
}

export function figure(
  name: string,
  measuredMs: number,
  baselineMs: number,
  baseline: string,
  goal: number | null,
  note?: string,
): BenchFigure {
  const ratio = measuredMs / baselineMs;
  return {
    name,
    measuredMs,
    baselineMs,
    baseline,
    ratio,
    goal,
    ok: goal === null || ratio <= goal,
    ...(note ? { note } : {}),
  };
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface TimedPair {
  readonly measuredMs: number;
  readonly baselineMs: number;
}

/**
 * Both sides of round `round`'s pair, timed one after the other: the baseline first in even rounds,
 * the measured side first in odd ones, so what the first run of a pair pays (a cold cache, the other
 * side's leftovers) falls on both sides alike.
 */
export async function timePair(
  round: number,
  measured: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<TimedPair> {
  if (round % 2 === 0) {
    const baselineMs = await baseline();
    return { measuredMs: await measured(), baselineMs };
  }
  const measuredMs = await measured();
  return { measuredMs, baselineMs: await baseline() };
}

/**
 * The round whose ratio is the median (the lower one for an even count), both of its sides together.
 * Each round times its two sides back to back, so whatever slows a whole round (a virtual disk busy
 * with write-back, a CPU shared with other work) falls on both; the fastest of each side instead may
 * pair sides from different rounds: measured here, it missed three goals in nine runs (disk 1.47,
 * synth 1.21, plan 1.25) whose rounds' median ratios were 1.08, 1.11 and 0.97. The note should list
 * every round's ratio (roundRatios) so the spread stays visible.
 */
export function medianPair(pairs: readonly TimedPair[]): TimedPair {
  if (pairs.length === 0) throw new Error("no rounds were measured");
  const byRatio = [...pairs].sort((a, b) => a.measuredMs / a.baselineMs - b.measuredMs / b.baselineMs);
  return byRatio[Math.floor((byRatio.length - 1) / 2)];
}

/** `1.02, 1.10, 1.31`: the ratio of every round, in order, for a figure's note. */
export function roundRatios(pairs: readonly TimedPair[]): string {
  return pairs.map((p) => (p.measuredMs / p.baselineMs).toFixed(2)).join(", ");
}

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

export function printTable(figures: readonly BenchFigure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${f.measuredMs.toFixed(0)} ms`,
    `${f.baselineMs.toFixed(0)} ms (${f.baseline})`,
    f.ratio.toFixed(2),
    f.goal === null ? "-" : `<= ${f.goal}`,
    f.goal === null ? "(diagnostic)" : f.ok ? "ok" : "MISSED",
  ]);
  const header = ["figure", "measured", "baseline", "ratio", "goal", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** 1-, 5- and 15-minute load averages: other work on a shared machine moves every figure. */
export function loadDescription(load: readonly number[] = os.loadavg()): string {
  return `load average ${load.map((l) => l.toFixed(2)).join(", ")} on ${os.cpus().length} cores`;
}

export function writeResults(
  file: string,
  figures: readonly BenchFigure[],
  extra: Record<string, unknown> = {},
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), ...extra, figures }, null, 2)}\n`,
  );
}

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
  /** The ratio must be at most this. */
  readonly goal: number;
  readonly ok: boolean;
  readonly note?: string;
}

export function figure(name: string, measuredMs: number, baselineMs: number, baseline: string, goal: number, note?: string): BenchFigure {
  const ratio = measuredMs / baselineMs;
  return { name, measuredMs, baselineMs, baseline, ratio, goal, ok: ratio <= goal, ...(note ? { note } : {}) };
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Median of `runs` timings, to damp one slow run on a shared 2-core machine. */
export async function medianOf(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeIt(fn));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
}

export function printTable(figures: readonly BenchFigure[]): string {
  const rows = figures.map((f) => [f.name, `${f.measuredMs.toFixed(0)} ms`, `${f.baselineMs.toFixed(0)} ms (${f.baseline})`, f.ratio.toFixed(2), `<= ${f.goal}`, f.ok ? "ok" : "MISSED"]);
  const header = ["figure", "measured", "baseline", "ratio", "goal", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function writeResults(file: string, figures: readonly BenchFigure[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), figures }, null, 2)}\n`);
}

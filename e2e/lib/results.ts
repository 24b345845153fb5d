/**
 * The run's results: one row per check and guest (pipeline steps count as checks of guest "-"),
 * printed as PASS/FAIL lines with the value seen, and written as JSON for CI
 * ({passed, failed, checks: [...], timings, ...}).
 */
import * as fs from "node:fs";

export interface ResultRow {
  /** Guest name, or "-" for a step of the pipeline itself. */
  readonly vm: string;
  readonly id: string;
  readonly ok: boolean;
  readonly seen: string;
  readonly detail?: string;
}

export interface RunReport {
  readonly passed: number;
  readonly failed: number;
  readonly mode: string;
  readonly checks: readonly ResultRow[];
  /** Seconds, keyed like "golden", "apply", "gateway1.boot-to-ssh". */
  readonly timings: Readonly<Record<string, number>>;
  /** Bytes, keyed like "golden", "run". */
  readonly diskBytes: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

export function count(rows: readonly ResultRow[]): { passed: number; failed: number } {
  const failed = rows.filter((r) => !r.ok).length;
  return { passed: rows.length - failed, failed };
}

export function formatRow(row: ResultRow): string {
  const head = `${row.ok ? "PASS" : "FAIL"}  ${row.vm.padEnd(12)} ${row.id.padEnd(20)} ${row.seen}`;
  if (row.ok || !row.detail) return head;
  return `${head}\n${row.detail
    .split("\n")
    .map((l) => `        ${l}`)
    .join("\n")}`;
}

/**
 * A negative run passes when the expected checks failed (`vm/id`) and nothing else did, apart from the
 * `tolerated` ones (consequences of the same breakage, e.g. the deploy refusing a config for a NIC
 * that is missing): a broken seed must be caught by the check meant for it.
 */
export function expectedFailureVerdict(
  rows: readonly ResultRow[],
  expected: readonly string[],
  tolerated: readonly string[] = [],
): { ok: boolean; message: string } {
  const failed = rows.filter((r) => !r.ok).map((r) => `${r.vm}/${r.id}`);
  const missing = expected.filter((e) => !failed.includes(e));
  const unexpected = failed.filter((f) => !expected.includes(f) && !tolerated.includes(f));
  if (missing.length === 0 && unexpected.length === 0) {
    const seen = rows
      .filter((r) => !r.ok && expected.includes(`${r.vm}/${r.id}`))
      .map((r) => `${r.vm}/${r.id}: ${r.seen}`);
    return { ok: true, message: `the breakage was caught by ${seen.join("; ")}` };
  }
  const parts = [
    missing.length ? `expected to fail but passed: ${missing.join(", ")}` : "",
    unexpected.length ? `failed unexpectedly: ${unexpected.join(", ")}` : "",
  ].filter(Boolean);
  return { ok: false, message: parts.join("; ") };
}

export function writeReport(file: string, report: RunReport): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

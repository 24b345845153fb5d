/** Renders the doctor's rows: aligned lines for people, JSON for scripts; --failures-only for deploy. */
import { CheckResult, CheckStatus } from "./types";

const LABEL: Record<CheckStatus, string> = { ok: "ok", warning: "warning", failure: "FAIL" };

export interface FormatOptions {
  readonly json?: boolean;
  readonly failuresOnly?: boolean;
}

function selectRows(results: readonly CheckResult[], failuresOnly: boolean | undefined): CheckResult[] {
  return failuresOnly ? results.filter((r) => r.status === "failure") : [...results];
}

export function formatReport(results: readonly CheckResult[], opts: FormatOptions = {}): string {
  const rows = selectRows(results, opts.failuresOnly);
  if (opts.json)
    return `${JSON.stringify({ ok: results.every((r) => r.status !== "failure"), results: rows }, null, 2)}\n`;
  // One aligned line per check (no table): readable in a terminal, greppable, and deploy can print it as is.
  const width = Math.max(0, ...rows.map((r) => r.check.length));
  return rows
    .map(
      (r) =>
        `${LABEL[r.status].padEnd(7)}  ${r.check.padEnd(width)}  ${r.detail}${r.fix ? `  fix: ${r.fix}` : ""}\n`,
    )
    .join("");
}

export function summary(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${count("ok")} ok, ${count("warning")} warning${count("warning") === 1 ? "" : "s"}, ${count("failure")} failure${count("failure") === 1 ? "" : "s"}`;
}

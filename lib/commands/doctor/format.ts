/** Renders the doctor's rows: a compact table for people, JSON for scripts; --failures-only for deploy. */
import { renderCompactTable, terminalWidth } from "../common/report";
import { CheckResult, CheckStatus } from "./types";

const LABEL: Record<CheckStatus, string> = { ok: "ok", warning: "warning", failure: "FAIL" };

export interface FormatOptions {
  readonly json?: boolean;
  readonly failuresOnly?: boolean;
}

function selectRows(results: readonly CheckResult[], failuresOnly: boolean | undefined): CheckResult[] {
  return failuresOnly ? results.filter((r) => r.status === "failure") : [...results];
}

/**
 * The day-two tables' compact layout: status, check and detail in columns, each fix once on an
 * indented line under its row. With a width (a terminal, or COLUMNS) the detail and the fix wrap
 * to fit it; without one nothing wraps.
 */
export function formatReport(
  results: readonly CheckResult[],
  opts: FormatOptions = {},
  width: number | undefined = terminalWidth(),
): string {
  const rows = selectRows(results, opts.failuresOnly);
  if (opts.json)
    return `${JSON.stringify({ ok: results.every((r) => r.status !== "failure"), results: rows }, null, 2)}\n`;
  if (rows.length === 0) return "";
  const table = renderCompactTable(
    ["status", "check", "detail"],
    rows.map((r) => ({
      cells: [LABEL[r.status], r.check, r.detail],
      ...(r.fix ? { note: `fix: ${r.fix}` } : {}),
    })),
    {
      width,
      // The check's name wraps first (two words a line still read well), then the detail.
      shrinkable: [
        { column: 1, min: 16 },
        { column: 2, min: 20 },
      ],
    },
  );
  return `${table}\n`;
}

export function summary(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${count("ok")} ok, ${count("warning")} warning${count("warning") === 1 ? "" : "s"}, ${count("failure")} failure${count("failure") === 1 ? "" : "s"}`;
}

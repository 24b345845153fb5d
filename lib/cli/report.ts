import Table from "cli-table3";

/** How one VM fared in a command; the same shape as lib/snapshot's VmResult. */
export type Outcome = "done" | "failed" | "unknown" | "skipped";
export interface OutcomeRow {
  readonly vm: string;
  readonly outcome: Outcome;
  readonly detail: string;
}

/** Thrown after the summary table was printed, so runMain prints one line and exits 1. */
export class CommandFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandFailedError";
  }
}

/**
 * A table without colours or ANSI codes, so output piped to a file or a test reads the same. On a
 * terminal the last column (the detail) wraps to fit its width, character-wise so no path is cut off;
 * elsewhere nothing wraps.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  let colWidths: number[] | undefined;
  if (columns && head.length > 1) {
    const widthOf = (i: number) =>
      Math.max(...[head, ...rows].map((r) => Math.max(...(r[i] ?? "").split("\n").map((l) => l.length)))) + 2;
    const fixed = head.slice(0, -1).map((_, i) => widthOf(i));
    const rest = columns - fixed.reduce((a, b) => a + b, 0) - (head.length + 1);
    const last = widthOf(head.length - 1);
    if (last > rest && rest >= 20) colWidths = [...fixed, rest];
  }
  const table = new Table({
    head: [...head],
    style: { head: [], border: [] },
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: false } : {}),
  });
  for (const r of rows) table.push([...r]);
  return table.toString();
}

/** Per-VM progress on stderr (stdout stays for tables and JSON). */
export function progressLine(command: string): (vm: string, message: string) => void {
  return (vm, message) => process.stderr.write(`${command} ${vm}: ${message}\n`);
}

export function renderOutcomeTable(rows: readonly OutcomeRow[]): string {
  return renderTable(
    ["VM", "outcome", "detail"],
    rows.map((r) => [r.vm, r.outcome, r.detail]),
  );
}

/** Prints the summary table on stdout, then throws when any VM failed or its state is unknown. */
export function reportOutcomes(command: string, rows: readonly OutcomeRow[]): void {
  process.stdout.write(`${renderOutcomeTable(rows)}\n`);
  failOnBadOutcomes(command, rows);
}

/** Throws (so the entry point exits 1) when any VM failed or is unknown, or the operation says it did not succeed. */
export function failOnBadOutcomes(command: string, rows: readonly OutcomeRow[], ok = true): void {
  const bad = rows.filter((r) => r.outcome === "failed" || r.outcome === "unknown");
  if (bad.length > 0) {
    throw new CommandFailedError(
      `${command} did not succeed on ${bad.length} of ${rows.length} VM${rows.length === 1 ? "" : "s"} (${bad.map((r) => `${r.vm}: ${r.outcome}`).join(", ")}); see the summary above`,
    );
  }
  if (!ok) throw new CommandFailedError(`${command} did not succeed; see the summary above`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

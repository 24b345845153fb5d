import Table from "cli-table3";

/** How one VM fared in a command; the same shape as lib/commands/snapshot's VmResult. */
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
 * A plain table (renderCompactTable's layout): on a terminal the last column (the detail) wraps to fit
 * its width, so a long path breaks across lines but is never cut; elsewhere (a file, a pipe, a test)
 * nothing wraps.
 */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  width: number | undefined = terminalWidth(),
): string {
  return renderCompactTable(
    head,
    rows.map((cells) => ({ cells })),
    { width, shrinkable: [{ column: head.length - 1, min: 20 }] },
  );
}

/** One row of a compact table, and an optional note printed under it across the whole width. */
export interface CompactRow {
  readonly cells: readonly string[];
  readonly note?: string;
}

const NO_BORDERS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: " ",
};

/**
 * Width of the terminal stdout writes to; elsewhere (a pipe, a file) the width COLUMNS names, as
 * `ls` and other tools honour it; else undefined, and nothing wraps.
 */
export function terminalWidth(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (process.stdout.isTTY) return process.stdout.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

/** `text` in lines of at most `width` characters, broken at spaces; a longer word is broken too, never cut. */
function wrapLines(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (let word of paragraph.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        lines.push(line);
        line = "";
      }
      for (; word.length > width; word = word.slice(width)) lines.push(word.slice(0, width));
      line = line === "" ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}

/** `text` broken at spaces into lines of at most `width` characters; unchanged without a width. */
export function wrapText(text: string, width: number | undefined): string {
  return width === undefined ? text : wrapLines(text, Math.max(8, width)).join("\n");
}

/** A row's note: indented lines across the whole width (one line when there is no width). */
function noteLines(text: string, width: number | undefined, indent = "  "): string[] {
  if (width === undefined) return [`${indent}${text}`];
  return wrapLines(text, Math.max(8, width - indent.length)).map((l) => `${indent}${l}`);
}

/** How wide renderCompactTable lays these out when nothing has to be narrowed. */
export function compactTableWidth(head: readonly string[], rows: readonly CompactRow[]): number {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? "").length)));
  return widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
}

/**
 * A table without borders or colours: columns two spaces apart, a dashed line under the head, and
 * each row's note on indented lines of its own. With `width`, columns listed in `shrinkable` are
 * narrowed (their cells wrapped at spaces, a longer word broken) until the table fits, and notes wrap.
 */
export function renderCompactTable(
  head: readonly string[],
  rows: readonly CompactRow[],
  opts: {
    readonly width?: number;
    /** Columns that may be narrowed, first first, and how narrow each may go. */
    readonly shrinkable?: readonly { readonly column: number; readonly min: number }[];
  } = {},
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? "").length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  if (opts.width !== undefined) {
    for (const { column, min } of opts.shrinkable ?? []) {
      const over = total() - opts.width;
      if (over <= 0) break;
      widths[column] = Math.max(head[column].length, min, widths[column] - over);
    }
  }
  // Every row is laid out with the same column widths, so a note can go under its row without widening a
  // column; cells arrive wrapped to their width, so the table pads them and never cuts one.
  const layout = (cells: readonly string[]) => {
    const table = new Table({
      chars: NO_BORDERS,
      style: { head: [], border: [], "padding-left": 0, "padding-right": 1, compact: true },
      colWidths: widths.map((w) => w + 1),
    });
    table.push(widths.map((w, i) => wrapLines(cells[i] ?? "", w).join("\n")));
    return table
      .toString()
      .split("\n")
      .map((l) => l.trimEnd());
  };
  const out = [...layout(head), ...layout(widths.map((w) => "-".repeat(w)))];
  for (const r of rows) {
    out.push(...layout(r.cells));
    if (r.note) out.push(...noteLines(r.note, opts.width));
  }
  return out.join("\n");
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

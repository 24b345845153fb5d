/**
 * Jest global teardown: the run's one summary of what was skipped for a missing outside tool, and why,
 * on stderr (stdout may carry --json). (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OPTIONAL_ENV, SKIPS_FILE_ENV, SkipRecord, STRICT_ENV, Tool, TOOLS } from "./required-tools";

export function skipSummary(all: readonly SkipRecord[], strict: boolean): string {
  const optional = all.filter((r) => r.optional === true);
  const records = all.filter((r) => r.optional !== true);
  return `${requiredSummary(records, strict)}${optionalSummary(optional)}`;
}

/** Skips of tools declared optional (OPTIONAL_TEST_TOOLS): named every run, never a failure. */
function optionalSummary(records: readonly SkipRecord[]): string {
  if (records.length === 0) return "";
  const tools = [...new Set(records.flatMap((r) => r.tools))];
  const files = [...new Set(records.map((r) => r.file))].sort();
  return (
    `Skipped, declared optional here (${OPTIONAL_ENV}=${process.env[OPTIONAL_ENV] ?? ""}): ${files.length} test file${files.length === 1 ? "" : "s"} need ${tools.map((t) => TOOLS[t].what).join("; ")}\n` +
    `      ${files.join(", ")}\n`
  );
}

function requiredSummary(records: readonly SkipRecord[], strict: boolean): string {
  if (records.length === 0) return "";
  const filesByTool = new Map<Tool, Set<string>>();
  for (const r of records)
    for (const t of r.tools) filesByTool.set(t, (filesByTool.get(t) ?? new Set()).add(r.file));
  const files = new Set(records.map((r) => r.file));
  const lines = [
    `${strict ? "FAILED" : "Skipped"} for missing outside tools (${files.size} test file${files.size === 1 ? "" : "s"}${strict ? `; ${STRICT_ENV}=1 makes each a failure` : `; ${STRICT_ENV}=1 makes this fail the run`}):`,
  ];
  for (const [tool, where] of filesByTool) {
    lines.push(`  - ${TOOLS[tool].what}: install with ${TOOLS[tool].install}`);
    lines.push(`      ${[...where].sort().join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

export default function globalTeardown(): void {
  const file = process.env[SKIPS_FILE_ENV];
  if (!file || !fs.existsSync(file)) return;
  const records = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SkipRecord);
  process.stderr.write(skipSummary(records, process.env[STRICT_ENV] === "1"));
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

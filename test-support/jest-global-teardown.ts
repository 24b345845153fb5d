/**
 * Jest global teardown: the run's one summary of what was skipped for a missing outside tool, and why,
 * on stderr (stdout may carry --json). (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SKIPS_FILE_ENV, SkipRecord, STRICT_ENV, Tool, TOOLS } from "./required-tools";

export function skipSummary(records: readonly SkipRecord[], strict: boolean): string {
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

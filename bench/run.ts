/**
 * `npm run bench`: every figure is a ratio against a baseline measured in the same run, printed
 * as a table and written to bench/results/latest.json so that runs can be compared.
 */
import * as path from "node:path";
import { machineDescription, printTable, writeResults } from "./harness";
import { benchSnapshotSet } from "./snapshot-set";

async function main(): Promise<void> {
  const figures = [...(await benchSnapshotSet())];
  process.stdout.write(`machine: ${machineDescription()}\n\n${printTable(figures)}\n`);
  const out = path.join(__dirname, "results", "latest.json");
  writeResults(out, figures);
  process.stdout.write(`\nwritten to ${path.relative(process.cwd(), out)}\n`);
  if (figures.some((f) => !f.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});

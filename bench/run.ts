/**
 * `npm run bench`: every figure is a ratio against a baseline measured in the same run, printed
 * as a table and written to bench/results/latest.json so that runs can be compared.
 */
import * as path from "node:path";
import { Command } from "commander";
import { benchDiskPrep } from "./disk-prep";
import { BenchFigure, loadDescription, machineDescription, printTable, writeResults } from "./harness";
import { benchIpDiscovery } from "./ip-discovery";
import { benchIpLookup } from "./ip-lookup";
import { benchSnapshotSet } from "./snapshot-set";
import { benchStatus } from "./status";
import { benchStepCheck } from "./step-check";
import { benchSynthScaling } from "./synth-scaling";

/** In the order; each logs when it starts, since the whole run takes minutes. */
const BENCHES: readonly [string, () => Promise<BenchFigure[]>][] = [
  ["synth scaling", () => benchSynthScaling()],
  ["disk preparation", () => benchDiskPrep()],
  ["snapshot set", () => benchSnapshotSet()],
  ["IP lookup (plans)", () => benchIpLookup()],
  ["step check (plans)", () => benchStepCheck()],
  ["IP discovery", () => benchIpDiscovery()],
  ["status", () => benchStatus()],
];

async function main(only: readonly string[]): Promise<void> {
  const loadBefore = loadDescription();
  const figures: BenchFigure[] = [];
  for (const [name, run] of BENCHES.filter(([n]) => only.length === 0 || only.includes(n))) {
    process.stderr.write(`bench: ${name}...\n`);
    figures.push(...(await run()));
  }
  const loadAfter = loadDescription();
  process.stdout.write(
    `machine: ${machineDescription()}\n${loadBefore} before, ${loadAfter} after\n\n${printTable(figures)}\n`,
  );
  const notes = figures.filter((f) => f.note).map((f) => `- ${f.name}: ${f.note}`);
  process.stdout.write(`\n${notes.join("\n")}\n`);
  const out = path.join(__dirname, "results", "latest.json");
  writeResults(out, figures, { loadBefore, loadAfter });
  process.stdout.write(`\nwritten to ${path.relative(process.cwd(), out)}\n`);
  if (figures.some((f) => !f.ok)) process.exitCode = 1;
}

// Parsed before anything is measured: `--help` prints this and exits 0, an unknown option exits 1.
const program = new Command("bench")
  .description(
    "Benchmarks, each a ratio against a baseline measured in the same run (a few minutes; needs qemu-img).\n" +
      `Runs, in order: ${BENCHES.map(([name]) => name).join(", ")}.\n` +
      "Prints a table, writes bench/results/latest.json, exits 1 when a goal is missed.",
  )
  .option(
    "--only <names>",
    `run only these benches, comma-separated (${BENCHES.map(([name]) => JSON.stringify(name)).join(", ")})`,
  )
  .helpOption("-h, --help", "show this help and exit")
  .allowExcessArguments(false)
  .parse(process.argv);
const only = ((program.opts<{ only?: string }>().only ?? "") as string)
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only.filter((n) => !BENCHES.some(([name]) => name === n));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: --only names ${unknown.map((n) => JSON.stringify(n)).join(", ")}: not a bench; pick from ${BENCHES.map(([name]) => JSON.stringify(name)).join(", ")}\n`,
  );
  process.exit(1);
}

main(only).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});

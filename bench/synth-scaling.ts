import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { buildClusterModel, parseClusterConfig } from "../lib/config/build-model";
import { ClusterModel } from "../lib/config/model";
import { runWithDeadline } from "../lib/process/run-with-deadline";
import { loadSeedTemplates, SeedTemplates } from "../lib/render/templates";
import { AptCacheStack } from "../stacks/apt-cache-stack";
import { K8sClusterStack } from "../stacks/k8s-cluster-stack";
import { FIXTURE_SSH_PUBLIC_KEY } from "../test-support/model-fixture";
import { BenchFigure, figure, fastestPair, roundRatios, timeIt } from "./harness";

const REPO_ROOT = path.resolve(__dirname, "..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const EMPTY_APP = 'import { App, TerraformStack } from "cdktf"; const app = new App(); new TerraformStack(app, "empty"); app.synth();';

/** The default config: 7 cluster VMs plus the APT cache. */
export const DEFAULT_VM_COUNT = 8;

/**
 * A cluster config with `vmCount` VMs in all, the APT cache included (so 8 is the default's size):
 * 2 gateways, 3 masters and workers for the rest, every other setting at its default. An empty
 * text for the default size, so that it is exactly what a user without cluster.yaml gets.
 */
export function clusterConfigYaml(vmCount: number): string {
  if (!Number.isInteger(vmCount) || vmCount < 6) throw new Error(`a cluster needs at least 6 VMs (cache, 2 gateways, 3 masters), got ${vmCount}`);
  if (vmCount === DEFAULT_VM_COUNT) return "";
  const entries: string[] = [];
  for (let i = 1; i <= 2; i++) entries.push(`  - {name: gateway${i}, role: gateway}`);
  for (let i = 1; i <= 3; i++) entries.push(`  - {name: k8s-master${i}, role: master}`);
  for (let i = 1; i <= vmCount - 1 - 5; i++) entries.push(`  - {name: k8s-worker${i}, role: worker}`);
  return `vms:\n${entries.join("\n")}\n`;
}

/** The model main.ts would build from `yaml`, with a fixed key and arch so no host file is read. */
export function modelFromYaml(yaml: string): ClusterModel {
  const config = parseClusterConfig(yaml, "bench config");
  return buildClusterModel(config, { hostArch: "x64", sshPublicKey: FIXTURE_SSH_PUBLIC_KEY, sshPublicKeyPath: "bench key" }, "bench config");
}

/** One synth into a fresh output folder, as main.ts does it: both stacks, then app.synth(). */
function synthOnce(build: (app: App) => void): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  try {
    const app = new App({ outdir });
    build(app);
    app.synth();
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function labStacks(model: ClusterModel, templates: SeedTemplates): (app: App) => void {
  return (app) => {
    new AptCacheStack(app, "apt-cache", { model, templates });
    new K8sClusterStack(app, "k8s-cluster", { model, templates });
  };
}

/** One round: each synth once, one after another. */
export interface SynthRound {
  readonly emptyMs: number;
  readonly defaultMs: number;
  readonly largeMs: number;
}

async function rounds(runs: number, empty: () => Promise<unknown>, defaultCluster: () => Promise<unknown>, large: () => Promise<unknown>): Promise<SynthRound[]> {
  // Warm-up: the first synth pays for lazy requires and JIT (in-process), or tsx's cache (process).
  await empty();
  await defaultCluster();
  const all: SynthRound[] = [];
  for (let i = 0; i < runs; i++) all.push({ emptyMs: await timeIt(empty), defaultMs: await timeIt(defaultCluster), largeMs: await timeIt(large) });
  return all;
}

/**
 * In-process synths (modules loaded once) of an empty stack, the default cluster and a
 * `largeVmCount`-VM cluster. Config parsing and model building are timed with the synth, as
 * main.ts runs them on every `cdktf synth`.
 */
export async function measureSynth(runs: number, largeVmCount = 100): Promise<SynthRound[]> {
  const templates = loadSeedTemplates(path.join(__dirname, "..", "templates"));
  const defaultYaml = clusterConfigYaml(DEFAULT_VM_COUNT);
  const largeYaml = clusterConfigYaml(largeVmCount);
  const count = modelFromYaml(largeYaml).vms.length + 1;
  if (count !== largeVmCount) throw new Error(`the ${largeVmCount}-VM config built ${count} VMs`);
  const cluster = (yaml: string) => async () => synthOnce(labStacks(modelFromYaml(yaml), templates));
  return rounds(runs, async () => synthOnce((app) => new TerraformStack(app, "empty")), cluster(defaultYaml), cluster(largeYaml));
}

/** Runs one synth process (what `cdktf synth` starts: tsx on main.ts) into a fresh output folder. */
async function synthProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  try {
    const res = await runWithDeadline(TSX, args, { cwd: REPO_ROOT, env: { ...env, CDKTF_OUTDIR: outdir }, timeoutMs: 120_000 });
    if (res.code !== 0) throw new Error(`synth process ${args.join(" ")} failed (exit ${res.code ?? res.signal}): ${res.stderr.trim().split("\n").pop() ?? ""}`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The same three synths as whole processes, as the user meets them: `tsx main.ts` with the config
 * in CLUSTER_CONFIG, against `tsx -e` of an app holding one empty stack. Node, tsx and cdktf start-up
 * are in both, as in every `cdktf synth`.
 */
export async function measureSynthProcesses(runs: number, largeVmCount = 100): Promise<SynthRound[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-config-"));
  try {
    const key = path.join(dir, "id_ed25519.pub");
    fs.writeFileSync(key, `${FIXTURE_SSH_PUBLIC_KEY}\n`);
    const configFile = (vmCount: number) => {
      const file = path.join(dir, `cluster-${vmCount}.yaml`);
      fs.writeFileSync(file, `sshPublicKeyFile: ${key}\n${clusterConfigYaml(vmCount)}`);
      return file;
    };
    const main = (file: string) => () => synthProcess([path.join(REPO_ROOT, "main.ts")], { ...process.env, CLUSTER_CONFIG: file });
    return await rounds(runs, () => synthProcess(["-e", EMPTY_APP], process.env), main(configFile(DEFAULT_VM_COUNT)), main(configFile(largeVmCount)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export type SynthMode = "in-process" | "process";

export function synthFigures(all: readonly SynthRound[], mode: SynthMode, largeVmCount = 100): BenchFigure[] {
  const how = `${mode === "in-process" ? "in-process (modules loaded)" : "whole process (tsx main.ts, as cdktf synth runs it)"}, fastest of ${all.length} rounds each`;
  const defPairs = all.map((r) => ({ measuredMs: r.defaultMs, baselineMs: r.emptyMs }));
  const largePairs = all.map((r) => ({ measuredMs: r.largeMs, baselineMs: r.defaultMs }));
  const def = fastestPair(defPairs);
  const large = fastestPair(largePairs);
  return [
    figure(`synth, default cluster, ${mode}`, def.measuredMs, def.baselineMs, "empty stack's synth", 1.2, `${how}; ${DEFAULT_VM_COUNT} VMs, both stacks; rounds: ${roundRatios(defPairs)}`),
    figure(`synth, ${largeVmCount} VMs, ${mode}`, large.measuredMs, large.baselineMs, `default ${DEFAULT_VM_COUNT} VMs`, 1.5, `${how}; rounds: ${roundRatios(largePairs)}`),
  ];
}

export async function benchSynthScaling(inProcessRuns = 9, processRuns = 5): Promise<BenchFigure[]> {
  return [...synthFigures(await measureSynth(inProcessRuns), "in-process"), ...synthFigures(await measureSynthProcesses(processRuns), "process")];
}

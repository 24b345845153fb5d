import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { buildClusterModel, parseClusterConfig } from "../lib/model/config/build-model";
import { ClusterModel } from "../lib/model/config/model";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { SeedTemplates } from "../lib/model/render/templates";
import { loadSeedTemplates } from "../lib/runtime/load/seed-templates";
import { AptCacheStack } from "../stacks/apt-cache-stack";
import { K8sClusterStack } from "../stacks/k8s-cluster-stack";
import { FIXTURE_SSH_PUBLIC_KEY } from "../test-support/model-fixture";
import { BenchFigure, figure, medianPair, roundRatios, timeIt } from "./harness";

const REPO_ROOT = path.resolve(__dirname, "..");
const CDKTF = path.join(REPO_ROOT, "node_modules", ".bin", "cdktf");

/** The default config: 7 cluster VMs plus the APT cache. */
export const DEFAULT_VM_COUNT = 8;

/**
 * A cluster config with `vmCount` VMs in all, the APT cache included (so 8 is the default's size):
 * 2 gateways, 3 masters and workers for the rest, every other setting at its default. An empty
 * text for the default size, so that it is exactly what a user without cluster.yaml gets.
 */
export function clusterConfigYaml(vmCount: number): string {
  if (!Number.isInteger(vmCount) || vmCount < 6)
    throw new Error(`a cluster needs at least 6 VMs (cache, 2 gateways, 3 masters), got ${vmCount}`);
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
  return buildClusterModel(
    config,
    { hostArch: "x64", sshPublicKey: FIXTURE_SSH_PUBLIC_KEY, sshPublicKeyPath: "bench key" },
    "bench config",
  );
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

async function rounds(
  runs: number,
  empty: () => Promise<unknown>,
  defaultCluster: () => Promise<unknown>,
  large: () => Promise<unknown>,
): Promise<SynthRound[]> {
  // Warm-up: the first synth pays for lazy requires and JIT (in-process), or tsx's cache (process).
  await empty();
  await defaultCluster();
  const all: SynthRound[] = [];
  for (let i = 0; i < runs; i++)
    all.push({
      emptyMs: await timeIt(empty),
      defaultMs: await timeIt(defaultCluster),
      largeMs: await timeIt(large),
    });
  return all;
}

/**
 * In-process synths (modules loaded once) of an empty stack, the default cluster and a
 * `largeVmCount`-VM cluster. Config parsing and model building are timed with the synth, as
 * main.ts runs them on every `cdktf synth`.
 */
async function measureSynth(runs: number, largeVmCount = 100): Promise<SynthRound[]> {
  const templates = loadSeedTemplates(path.join(__dirname, "..", "templates"));
  const defaultYaml = clusterConfigYaml(DEFAULT_VM_COUNT);
  const largeYaml = clusterConfigYaml(largeVmCount);
  const count = modelFromYaml(largeYaml).vms.length + 1;
  if (count !== largeVmCount) throw new Error(`the ${largeVmCount}-VM config built ${count} VMs`);
  const cluster = (yaml: string) => async () => synthOnce(labStacks(modelFromYaml(yaml), templates));
  return rounds(
    runs,
    async () => synthOnce((app) => new TerraformStack(app, "empty")),
    cluster(defaultYaml),
    cluster(largeYaml),
  );
}

/** cdktf.json's `app`: the command every `cdktf synth` starts (plain words, no shell quoting). */
export function labAppCommand(): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "cdktf.json"), "utf8")) as { app: string }).app;
}

/** The floor's app: the lab's own runner on bench/empty-app.ts, so the two differ only in the program. */
export function emptyAppCommand(labApp: string = labAppCommand()): string {
  if (!labApp.endsWith(" main.ts"))
    throw new Error(
      `cdktf.json's app ${JSON.stringify(labApp)} does not end in main.ts; update the synth bench`,
    );
  return `${labApp.slice(0, -" main.ts".length)} bench/empty-app.ts`;
}

/** How one synth is started: `cdktf synth` as the user types it, or its app alone. */
export type SynthRunner = "command" | "app";

/** Runs one synth from the repository root into a fresh output folder. */
async function synthProcess(runner: SynthRunner, app: string, env: NodeJS.ProcessEnv): Promise<void> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  const [command, args] =
    runner === "command"
      ? [CDKTF, ["synth", "--app", app, "--output", outdir]]
      : [app.split(" ")[0], app.split(" ").slice(1)];
  try {
    const res = await runWithDeadline(command, args, {
      cwd: REPO_ROOT,
      env: { ...env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
      timeoutMs: 180_000,
    });
    if (res.code !== 0)
      throw new Error(
        `${runner} synth with ${app} failed (exit ${res.code ?? res.signal}): ${res.stderr.trim().split("\n").pop() ?? ""}`,
      );
    const stacks = fs.readdirSync(path.join(outdir, "stacks"));
    if (stacks.length === 0) throw new Error(`${runner} synth with ${app} wrote no stack`);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The same three synths as whole processes, started by `runner` from the repository root: the lab's
 * app with the config in CLUSTER_CONFIG, against bench/empty-app.ts on the same runner.
 */
async function measureSynthProcesses(
  runner: SynthRunner,
  runs: number,
  largeVmCount = 100,
): Promise<SynthRound[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-config-"));
  try {
    const key = path.join(dir, "id_ed25519.pub");
    fs.writeFileSync(key, `${FIXTURE_SSH_PUBLIC_KEY}\n`);
    const configFile = (vmCount: number) => {
      const file = path.join(dir, `cluster-${vmCount}.yaml`);
      fs.writeFileSync(file, `sshPublicKeyFile: ${key}\n${clusterConfigYaml(vmCount)}`);
      return file;
    };
    const lab = labAppCommand();
    const main = (file: string) => () => synthProcess(runner, lab, { ...process.env, CLUSTER_CONFIG: file });
    return await rounds(
      runs,
      () => synthProcess(runner, emptyAppCommand(lab), process.env),
      main(configFile(DEFAULT_VM_COUNT)),
      main(configFile(largeVmCount)),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export type SynthMode = SynthRunner | "in-process";

const MODE_TEXT: Record<SynthMode, string> = {
  command: "`cdktf synth` as the user runs it (CLI, app, files)",
  app: "cdktf.json's app alone, a whole process",
  "in-process": "in-process, modules loaded",
};

/**
 * The goals are judged on what the user waits for, `cdktf synth`; the app-alone and in-process rows are
 * diagnostic: they show where the time goes and the cost of each VM, which the CLI's start-up would hide.
 */
export function synthFigures(all: readonly SynthRound[], mode: SynthMode, largeVmCount = 100): BenchFigure[] {
  const how = `${MODE_TEXT[mode]}, the median of ${all.length} rounds`;
  const defPairs = all.map((r) => ({ measuredMs: r.defaultMs, baselineMs: r.emptyMs }));
  const largePairs = all.map((r) => ({ measuredMs: r.largeMs, baselineMs: r.defaultMs }));
  const def = medianPair(defPairs);
  const large = medianPair(largePairs);
  const judged = mode === "command";
  const perVm = (large.measuredMs - large.baselineMs) / (largeVmCount - DEFAULT_VM_COUNT);
  return [
    figure(
      `synth, default cluster, ${mode}`,
      def.measuredMs,
      def.baselineMs,
      "empty stack's synth",
      judged ? 1.2 : null,
      `${how}; ${DEFAULT_VM_COUNT} VMs, both stacks; rounds: ${roundRatios(defPairs)}`,
    ),
    figure(
      `synth, ${largeVmCount} VMs, ${mode}`,
      large.measuredMs,
      large.baselineMs,
      `default ${DEFAULT_VM_COUNT} VMs`,
      judged ? 1.5 : null,
      `${how}; ${perVm.toFixed(1)} ms per added VM; rounds: ${roundRatios(largePairs)}`,
    ),
  ];
}

// Seven rounds of whole processes: the CLI's own 3 s start-up swings by a few hundred ms from round to round.
export async function benchSynthScaling(inProcessRuns = 9, processRuns = 7): Promise<BenchFigure[]> {
  return [
    ...synthFigures(await measureSynthProcesses("command", processRuns), "command"),
    ...synthFigures(await measureSynthProcesses("app", processRuns), "app"),
    ...synthFigures(await measureSynth(inProcessRuns), "in-process"),
  ];
}

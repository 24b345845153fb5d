import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import type { VmrunSim } from "../test-support/vmrun-sim";

const REPO_ROOT = path.resolve(__dirname, "..");

export interface BenchProject {
  readonly root: string;
  /** Terraform's working directory for the cluster stack. */
  readonly stackDir: string;
  cleanup(): void;
}

/**
 * A project Terraform and the npm commands could run in: `scripts/` a real folder (the launcher cds to
 * the folder it sits in, resolving links, so a linked `scripts/` would send it to the repository),
 * holding links to the launcher and `entries`, and a do-nothing entry for the start-up floor; the
 * rest linked in.
 */
export function makeBenchProject(entries: readonly string[]): BenchProject {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "bench-project-")));
  for (const name of ["lib", "node_modules", "package.json", "tsconfig.json", "templates"])
    fs.symlinkSync(path.join(REPO_ROOT, name), path.join(root, name));
  fs.mkdirSync(path.join(root, "scripts"));
  for (const name of ["run", ...entries.map((e) => `${e}.ts`)])
    fs.symlinkSync(path.join(REPO_ROOT, "scripts", name), path.join(root, "scripts", name));
  fs.writeFileSync(
    path.join(root, "scripts", "noop.ts"),
    "// start-up floor: the launcher and tsx, nothing else\n",
  );
  const stackDir = path.join(root, "cdktf.out", "stacks", "k8s-cluster");
  fs.mkdirSync(stackDir, { recursive: true });
  return { root, stackDir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** Runs `scripts/run <entry> args` from `cwd` (a stack folder for Terraform's programs), failing on a non-zero exit. */
export async function runLauncher(
  cwd: string,
  launcher: string,
  entry: string,
  opts: { args?: readonly string[]; input?: string; sim: VmrunSim; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const res = await runWithDeadline(launcher, [entry, ...(opts.args ?? [])], {
    cwd,
    env: { ...opts.sim.env, ...opts.env },
    input: opts.input ?? "",
    timeoutMs: 60_000,
  });
  if (res.code !== 0)
    throw new Error(`scripts/run ${entry} failed (exit ${res.code ?? res.signal}): ${res.stderr.trim()}`);
  return res.stdout;
}

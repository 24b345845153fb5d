/**
 * Runs entry points as child processes, the way Terraform does. The launcher (scripts/run) always cds
 * to the repository it lives in, so tests that need their own project root start Node + tsx on the
 * repository's script directly with cwd = a temporary root, which is exactly what the launcher execs.
 */
import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "./fixtures";
import { tsCommand } from "./ts-runner";

export const REPO_ROOT = path.resolve(__dirname, "..");

export interface EntryResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface EntryOptions {
  /** Variables added to a minimal environment (PATH, HOME, TMPDIR). */
  readonly env?: Record<string, string>;
  readonly projectRoot: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** Text written to the child's stdin, which is then closed (as Terraform's external data source does). @default - no stdin */
  readonly input?: string;
  /** Command-line arguments, as `npm run <entry> -- <args>` passes them. @default [] */
  readonly args?: readonly string[];
}

export interface StartedEntry {
  readonly child: ChildProcess;
  readonly done: Promise<EntryResult>;
}

/** A temporary project root with the repository's code symlinked in (tsx reads tsconfig.json from the cwd). */
export function makeTempProjectRoot(): string {
  const root = makeTempDir("fusion-lab-project-");
  for (const name of ["scripts", "lib", "node_modules", "package.json", "tsconfig.json", "templates"]) {
    fs.symlinkSync(path.join(REPO_ROOT, name), path.join(root, name));
  }
  return root;
}

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ["PATH", "HOME", "TMPDIR"])
    if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

/** Signals the child's whole process group (it is started as a group leader). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function start(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  input?: string,
): StartedEntry {
  const child = spawn(file, args, {
    cwd,
    env,
    detached: true,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (input !== undefined) {
    child.stdin!.on("error", () => {}); // EPIPE when the entry exits without reading: its result says why
    child.stdin!.end(input);
  }
  const done = new Promise<EntryResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Starts `scripts/<entry>.ts` with cwd = `projectRoot`; the caller may kill it via `child`. */
export function startEntry(entry: string, opts: EntryOptions): StartedEntry {
  const [command, args] = tsCommand(path.join(REPO_ROOT, "scripts", `${entry}.ts`), opts.args);
  return start(command, args, opts.projectRoot, baseEnv(opts.env), opts.timeoutMs ?? 30_000, opts.input);
}

export function runEntry(entry: string, opts: EntryOptions): Promise<EntryResult> {
  return startEntry(entry, opts).done;
}

/** Runs the real launcher `scripts/run <args>` of the repository (which cds to the repository root). */
export function runLauncher(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<EntryResult> {
  return start(
    path.join(REPO_ROOT, "scripts", "run"),
    args,
    REPO_ROOT,
    baseEnv(opts.env),
    opts.timeoutMs ?? 30_000,
  ).done;
}

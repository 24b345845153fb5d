/**
 * Runs the interpreter in a process of its own (./cli.ts), leading a new process group as a deploy in a
 * terminal does, so a test can kill the deploy as a user's kill lands: the whole group at once. (Not a
 * test file.)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tsCommand } from "../ts-runner";
import type { PlanResult, StackResult } from "./apply";

export interface StackProcessEnd<R> {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The run's result, when it ended by itself. */
  readonly result?: R;
  /** The interpreter's progress lines ("null_resource.x: Creating...") and its error, if any. */
  readonly stderr: string;
}

export interface StackProcess<R> {
  /** Leader of the process group. */
  readonly pid: number;
  readonly done: Promise<StackProcessEnd<R>>;
  /** Sends `signal` to the whole group (the interpreter and every command it runs). */
  kill(signal: NodeJS.Signals): void;
}

const CLI = path.join(__dirname, "cli.ts");

/** Starts `terraform <operation>` on `stackDir` with `env`, in a new process group. */
export function startStackProcess<O extends "apply" | "plan" | "destroy">(
  operation: O,
  stackDir: string,
  env: NodeJS.ProcessEnv,
): StackProcess<O extends "plan" ? PlanResult : StackResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tf-cli-"));
  const resultFile = path.join(dir, "result.json");
  const [cmd, args] = tsCommand(CLI, [operation, stackDir, resultFile]);
  const child = spawn(cmd, args, { env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<StackProcessEnd<O extends "plan" ? PlanResult : StackResult>>((resolve) => {
    child.on("close", (code, signal) => {
      const result = fs.existsSync(resultFile)
        ? (JSON.parse(fs.readFileSync(resultFile, "utf8")) as O extends "plan" ? PlanResult : StackResult)
        : undefined;
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, stderr, ...(result ? { result } : {}) });
    });
  });
  return {
    pid: child.pid!,
    done,
    kill: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    },
  };
}

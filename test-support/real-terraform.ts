/**
 * Runs the real `terraform` (1.11.4 on this project's machines) with providers only from the
 * LAB_REAL_TOOLS mirror (test-support/real-tools.ts): nothing is downloaded, no checkpoint call.
 * (Not a test file.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline, type RunResult } from "../lib/runtime/process/run-with-deadline";
import { writeTerraformCliConfig } from "./real-tools";

export interface RealTerraform {
  run(
    stackDir: string,
    args: readonly string[],
    opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<RunResult>;
  cleanup(): void;
}

export function realTerraform(baseEnv: NodeJS.ProcessEnv = {}): RealTerraform {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "real-tf-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...baseEnv,
    TF_CLI_CONFIG_FILE: writeTerraformCliConfig(dir),
    TF_PLUGIN_CACHE_DIR: "",
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
  return {
    run: (stackDir, args, opts = {}) =>
      runWithDeadline("terraform", ["-chdir=" + stackDir, ...args], {
        timeoutMs: opts.timeoutMs ?? 600_000,
        env: { ...env, ...opts.env },
      }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

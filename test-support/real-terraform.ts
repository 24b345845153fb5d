/**
 * The real Terraform on a synthesized stack, for the real-Terraform tier (gated on requireTools
 * ("real-terraform")): `terraform init` from the filesystem mirror of LAB_REAL_TOOLS only, then apply,
 * plan or destroy in a process group of its own, so a test can kill it as a user's kill does. Version
 * checks off (CHECKPOINT_DISABLE). (Not a test file.)
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeTerraformCliConfig } from "./real-tools";

export interface TerraformRun {
  readonly pid: number;
  readonly done: Promise<{
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly output: string;
  }>;
  /** Signals the whole group: terraform, its providers and every provisioner command. */
  kill(signal: NodeJS.Signals): void;
}

/** The environment real Terraform runs with: `env`, the mirror-only CLI config, no checkpoint calls. */
export function terraformEnv(env: NodeJS.ProcessEnv, workDir: string): NodeJS.ProcessEnv {
  const cacheDir = path.join(workDir, "plugin-cache");
  fs.mkdirSync(cacheDir, { recursive: true });
  return {
    ...env,
    TF_CLI_CONFIG_FILE: writeTerraformCliConfig(workDir),
    TF_PLUGIN_CACHE_DIR: cacheDir,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
  };
}

/** `terraform init` in the stack folder (providers from the mirror, symlinked from the plugin cache). */
export function terraformInit(stackDir: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync("terraform", ["init", "-input=false", "-no-color"], {
    cwd: stackDir,
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`terraform init failed in ${stackDir}: ${r.stdout}${r.stderr}`);
}

/** Starts `terraform <args>` in `stackDir`, leading a new process group. */
export function startTerraform(
  stackDir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): TerraformRun {
  const child = spawn("terraform", [...args], {
    cwd: stackDir,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  return {
    pid: child.pid!,
    done: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, output }))),
    kill: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    },
  };
}

/** What a plan would do, as `terraform show -json` of a saved plan reports it: address -> actions. */
export async function terraformPlanActions(
  stackDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ address: string; actions: string[] }[]> {
  const planFile = path.join(stackDir, "check.tfplan");
  const planned = await startTerraform(
    stackDir,
    ["plan", "-input=false", "-no-color", `-out=${planFile}`],
    env,
  ).done;
  if (planned.code !== 0) throw new Error(`terraform plan failed: ${planned.output}`);
  const show = spawnSync("terraform", ["show", "-json", planFile], {
    cwd: stackDir,
    env,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  fs.rmSync(planFile, { force: true });
  if (show.status !== 0) throw new Error(`terraform show failed: ${show.stderr}`);
  const json = JSON.parse(show.stdout) as {
    resource_changes?: { address: string; change: { actions: string[] } }[];
  };
  return (json.resource_changes ?? []).map((c) => ({ address: c.address, actions: c.change.actions }));
}

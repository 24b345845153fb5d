/**
 * `cdktf deploy` of the synthesized cluster stack without Terraform: by default through the
 * Terraform-apply simulator in test-support/terraform-apply (state, graph, parallelism as Terraform),
 * or with `--apply direct` through ./apply-direct.ts (a first apply in plain dependency order).
 * Either way the product's own entry points run through scripts/run with the environment the JSON gives.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { applyStack } from "../../test-support/terraform-apply";
import { applyDirect } from "./apply-direct";

export type ApplyMode = "interpreter" | "direct";

export interface ApplyStep {
  readonly address: string;
  readonly command: string;
  readonly durationMs: number;
}

export interface ApplyOutcome {
  readonly steps: readonly ApplyStep[];
  /** One line per failed resource; empty when the apply succeeded. */
  readonly failures: readonly string[];
}

export interface E2eApplyOptions {
  readonly mode: ApplyMode;
  readonly stackDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly commandTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Aborting stops the deploy as Ctrl-C would (interpreter only; the direct apply runs to its end). */
  readonly signal?: AbortSignal;
}

export async function applyClusterStack(opts: E2eApplyOptions): Promise<ApplyOutcome> {
  if (opts.mode === "direct") {
    const json = JSON.parse(fs.readFileSync(path.join(opts.stackDir, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
    try {
      const steps = await applyDirect(json, opts);
      return { steps: steps.filter((s) => s.command).map((s) => ({ address: s.address, command: s.command as string, durationMs: s.durationMs })), failures: [] };
    } catch (err) {
      return { steps: [], failures: [(err as Error).message] };
    }
  }
  const result = await applyStack({ stackDir: opts.stackDir, env: opts.env, commandTimeoutMs: opts.commandTimeoutMs, log: opts.log, ...(opts.signal ? { signal: opts.signal } : {}) });
  const failures = [
    ...(result.aborted ? [`the deploy was stopped: ${String(opts.signal?.reason ?? "aborted")}`] : []),
    ...result.failed.map((f) => `${f.address}: ${f.error}`),
    ...result.skipped.map((a) => `${a}: skipped (something it depends on failed)`),
  ];
  const reported = new Set(result.failed.map((f) => f.address));
  for (const run of result.runs) {
    if (run.code !== 0 && !reported.has(run.address)) failures.push(`${run.address}: ${run.command} ${run.timedOut ? "timed out" : `exited ${run.code}`}: ${run.output.trim().split("\n").slice(-3).join(" | ")}`);
  }
  return { steps: result.runs.map((r) => ({ address: r.address, command: r.command, durationMs: r.durationMs })), failures };
}

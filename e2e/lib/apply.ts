/**
 * `cdktf deploy` of the synthesized cluster stack without Terraform, through the Terraform-apply
 * interpreter in test-support/terraform-apply (state, graph, parallelism as Terraform): the product's
 * own entry points run through scripts/run with the environment the JSON gives.
 */
import { applyStack } from "../../test-support/terraform-apply";

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
  readonly stackDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly commandTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Aborting stops the deploy as Ctrl-C would. */
  readonly signal?: AbortSignal;
}

export async function applyClusterStack(opts: E2eApplyOptions): Promise<ApplyOutcome> {
  const result = await applyStack({
    stackDir: opts.stackDir,
    env: opts.env,
    commandTimeoutMs: opts.commandTimeoutMs,
    log: opts.log,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const failures = [
    ...(result.aborted ? [`the deploy was stopped: ${String(opts.signal?.reason ?? "aborted")}`] : []),
    ...result.failed.map((f) => `${f.address}: ${f.error}`),
    ...result.skipped.map((a) => `${a}: skipped (something it depends on failed)`),
  ];
  const reported = new Set(result.failed.map((f) => f.address));
  for (const run of result.runs) {
    if (run.code !== 0 && !reported.has(run.address))
      failures.push(
        `${run.address}: ${run.command} ${run.timedOut ? "timed out" : `exited ${run.code}`}: ${run.output.trim().split("\n").slice(-3).join(" | ")}`,
      );
  }
  return {
    steps: result.runs.map((r) => ({ address: r.address, command: r.command, durationMs: r.durationMs })),
    failures,
  };
}

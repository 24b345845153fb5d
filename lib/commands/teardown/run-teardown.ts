/**
 * A teardown, start to end, under the operation lock: the stack's destroy (injected: Terraform runs only
 * through the entry point), then the sweep of whatever is left, then the audit. A failed destroy is
 * reported and the sweep goes on; only the audit decides whether the teardown succeeded.
 */
import { CliContext, ensureGeneratedDir } from "../common/context";
import { withOperationLock } from "../../runtime/ops/operation-lock";
import { auditTeardown, auditVms } from "./audit";
import { planOrphanRemoval, planTeardown, TeardownPlan, TeardownScope, TeardownVm } from "./plan";
import { removeFiles, removeGeneratedFolders, sweepVms, TeardownLog, TeardownRow } from "./sweep";
import { auditVsphereVms, planVsphereTeardown, sweepVsphereVms } from "./vsphere";

export interface DestroyStepResult {
  readonly ok: boolean;
  /** What happened, e.g. "npx cdktf destroy k8s-cluster --auto-approve exited with 1". */
  readonly detail: string;
}

/** The stack's destroy; on the Mac `npx cdktf destroy k8s-cluster --auto-approve`. */
export type DestroyStep = () => Promise<DestroyStepResult>;

export interface TeardownOptions extends TeardownScope {
  /** undefined: the destroy is skipped (--skip-destroy). */
  readonly destroy?: DestroyStep;
  readonly log?: TeardownLog;
  /** The plan the user confirmed, so the run removes exactly what the question listed; else made here. */
  readonly plan?: TeardownPlan;
}

export interface TeardownReport {
  readonly plan: TeardownPlan;
  readonly destroy: DestroyStepResult | "skipped";
  /** VMs, then generated folders, state, inventory (and base images). */
  readonly rows: readonly TeardownRow[];
  /** What the audit found left; empty means the teardown is complete. */
  readonly leftovers: readonly string[];
}

const quiet: TeardownLog = () => {};

export async function runTeardown(ctx: CliContext, opts: TeardownOptions = {}): Promise<TeardownReport> {
  const log = opts.log ?? quiet;
  const vsphere = ctx.model.target === "vsphere";
  const plan =
    opts.plan ??
    (vsphere ? await planVsphereTeardown(ctx, opts) : planTeardown(ctx.model, opts, ctx.projectRoot));
  return withOperationLock(ensureGeneratedDir(ctx), "teardown", async () => {
    let destroy: DestroyStepResult | "skipped" = "skipped";
    if (opts.destroy) {
      try {
        destroy = await opts.destroy();
      } catch (err) {
        destroy = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
      log("destroy", destroy.ok ? destroy.detail : `${destroy.detail}; sweeping what is left instead`);
    }
    const rows = [
      ...(vsphere
        ? await sweepVsphereVms(ctx, plan, log)
        : await sweepVms(ctx.driver, ctx.projectRoot, plan, log)),
      ...removeFiles(ctx.projectRoot, plan, log),
    ];
    const leftovers = [
      ...(await auditTeardown(ctx.driver, ctx.projectRoot, plan)),
      ...(vsphere ? await auditVsphereVms(ctx, plan) : []),
    ];
    return { plan, destroy, rows, leftovers };
  });
}

/**
 * Removes VMs of an earlier config as `teardown --orphans` does (the sweep: stopped if running, deleteVM,
 * folder removed; then their generated folders) and audits them. Nothing else of the cluster is touched;
 * the caller holds the operation lock.
 */
export async function removeOrphanVms(
  ctx: CliContext,
  orphans: readonly TeardownVm[],
  log: TeardownLog = quiet,
): Promise<{ rows: TeardownRow[]; leftovers: string[] }> {
  const plan = planOrphanRemoval(ctx.model, orphans);
  const rows = [
    ...(await sweepVms(ctx.driver, ctx.projectRoot, plan, log)),
    ...removeGeneratedFolders(ctx.projectRoot, plan, log),
  ];
  return { rows, leftovers: await auditVms(ctx.driver, ctx.projectRoot, plan) };
}

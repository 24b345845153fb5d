import { startOrder } from "../../model/config/build-model";
import { Role } from "../../model/config/model";
import { SOFT_STOP_MS } from "../../runtime/vm/power";
import { isAlreadyRunning, isTimeout } from "../../runtime/hypervisor/errors";
import { notBuiltReason } from "../../runtime/vm/not-built";
import { CliContext, VmTarget } from "../common/context";
import { errorMessage, OutcomeRow } from "../common/report";

export type Progress = (vm: string, message: string) => void;

/** Every VM the lab has, cache included, grouped by role in start order (apt-cache, masters, workers, gateways). */
export function startGroups(ctx: CliContext): VmTarget[][] {
  const all = [ctx.aptCache, ...ctx.targets];
  const byName = new Map(all.map((t) => [t.name, t]));
  const ordered = startOrder([ctx.model.aptCache.vm, ...ctx.model.vms]).map((vm) => byName.get(vm.name)!);
  const groups: VmTarget[][] = [];
  let role: Role | undefined;
  for (const t of ordered) {
    if (t.role !== role) groups.push([]);
    role = t.role;
    groups[groups.length - 1].push(t);
  }
  return groups;
}

/** After a vmrun call that failed or timed out: is the VM running now? undefined when even that cannot be told. */
async function runningNow(ctx: CliContext, t: VmTarget): Promise<boolean | undefined> {
  try {
    return await ctx.driver.isRunning(t.vmx);
  } catch {
    return undefined;
  }
}

async function startOne(ctx: CliContext, t: VmTarget, progress: Progress): Promise<OutcomeRow> {
  try {
    if (!(await ctx.isBuilt(t.vmx))) return { vm: t.name, outcome: "skipped", detail: notBuiltReason(t.vmx) };
    if (await ctx.driver.isRunning(t.vmx)) {
      progress(t.name, "already running");
      return { vm: t.name, outcome: "skipped", detail: "already running" };
    }
    progress(t.name, "starting (nogui)");
    await ctx.driver.start(t.vmx);
    progress(t.name, "started");
    return { vm: t.name, outcome: "done", detail: "started" };
  } catch (err) {
    if (isAlreadyRunning(err)) return { vm: t.name, outcome: "skipped", detail: "already running" };
    progress(t.name, `failed: ${errorMessage(err)}`);
    if (isTimeout(err)) {
      const now = await runningNow(ctx, t);
      if (now === true)
        return { vm: t.name, outcome: "done", detail: "started (vmrun answered late but the VM runs)" };
      if (now === undefined)
        return {
          vm: t.name,
          outcome: "unknown",
          detail: `${errorMessage(err)}; whether it runs could not be checked`,
        };
    }
    return { vm: t.name, outcome: "failed", detail: errorMessage(err) };
  }
}

async function stopOne(ctx: CliContext, t: VmTarget, progress: Progress): Promise<OutcomeRow> {
  try {
    if (!(await ctx.isBuilt(t.vmx))) return { vm: t.name, outcome: "skipped", detail: notBuiltReason(t.vmx) };
    progress(t.name, "stopping (guest shutdown, then hard stop if needed)");
    const how = await ctx.driver.stopIfRunning(t.vmx, {
      softTimeoutMs: Math.min(SOFT_STOP_MS, ctx.timeoutMs),
    });
    if (how === "not-running") {
      progress(t.name, "was not running");
      return { vm: t.name, outcome: "skipped", detail: "was not running" };
    }
    progress(t.name, `stopped (${how})`);
    return {
      vm: t.name,
      outcome: "done",
      detail: how === "soft" ? "shut down" : "hard stop (guest did not shut down)",
    };
  } catch (err) {
    progress(t.name, `failed: ${errorMessage(err)}`);
    const now = await runningNow(ctx, t);
    if (now === false)
      return { vm: t.name, outcome: "done", detail: "stopped (vmrun reported an error but the VM is off)" };
    return { vm: t.name, outcome: now === undefined ? "unknown" : "failed", detail: errorMessage(err) };
  }
}

/** Starts every VM that is not running, a role group at a time: apt-cache, masters, workers, gateways. */
export async function startAll(ctx: CliContext, progress: Progress): Promise<OutcomeRow[]> {
  const rows: OutcomeRow[] = [];
  for (const group of startGroups(ctx))
    rows.push(...(await Promise.all(group.map((t) => startOne(ctx, t, progress)))));
  return rows;
}

/** Stops every running VM in the reverse order: gateways, workers, masters, then the APT cache. */
export async function stopAll(ctx: CliContext, progress: Progress): Promise<OutcomeRow[]> {
  const rows: OutcomeRow[] = [];
  for (const group of startGroups(ctx).reverse())
    rows.push(...(await Promise.all(group.map((t) => stopOne(ctx, t, progress)))));
  return rows;
}

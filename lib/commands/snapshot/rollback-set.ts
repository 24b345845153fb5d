/** Rolling VMs back to a snapshot set, restarting in start order and waiting for their IPs. */
import { Cidr } from "../../model/net/ipv4";
import { lookupGuestIp } from "../../runtime/vm/guest-ip";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { SetResult, SnapshotTarget, VmResult } from "./types";
import {
  SnapshotOptions,
  done,
  failed,
  unknown,
  message,
  seconds,
  isTimeout,
  dialogHint,
  cutOffText,
  inStartOrder,
  runningVmxs,
  isIn,
  snapshotCli,
  START_ALL,
} from "./set-common";
import { eachVm, SetRun, setResult, startSetRun } from "./set-run";

export interface RollbackSetOptions extends SnapshotOptions {
  /** VM names to roll back. @default all targets */
  readonly vms?: readonly string[];
  /** Time to wait for each VM's IP after the rollback, in ms. */
  readonly ipWaitMs: number;
  readonly networks: readonly Cidr[];
  /** Addresses never taken as a guest's own (the VIPs). */
  readonly exclude: readonly string[];
}

/**
 * Reverts the chosen VMs (all by default) to set `name` at once, then starts those left off (cache,
 * masters, workers, gateways, one after the other) and waits for every VM's IP. Refused before any
 * revert when a chosen VM lacks the snapshot, so the cluster is never rolled back half-way.
 */
export async function rollbackSnapshotSet(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  name: string,
  opts: RollbackSetOptions,
): Promise<SetResult & { ips: Record<string, string> }> {
  const run = await startSetRun(driver, targets, name, opts, {
    vms: opts.vms,
    doing: `before rolling back to ${name}`,
    strict: true,
    repair: false,
  });
  refuseLacking(run);
  await eachVm(run, run.chosen, (t) => revertOne(run, t));
  const reverted = run.chosen.filter((t) => run.results.get(t.name)!.outcome === "done");
  const started = await startInOrder(run, reverted);
  const ips: Record<string, string> = {};
  await eachVm(run, started, async (t) => {
    const r = await waitForIp(run, t, opts);
    if (r.ip !== undefined) ips[t.name] = r.ip;
    return r.result;
  });
  return { ...setResult(run), ips };
}

/** Refuses, before any revert, when a chosen VM lacks the set: the cluster is never rolled back half-way. */
function refuseLacking(run: SetRun): void {
  const has = (t: SnapshotTarget) => run.lists.get(t.name)?.includes(run.name) === true;
  const lacking = run.chosen.filter((t) => !has(t)).map((t) => t.name);
  if (lacking.length === 0) return;
  const holders = run.chosen.filter(has).map((t) => t.name);
  const partly =
    holders.length > 0
      ? `, or roll back only the VMs that have it (${snapshotCli(`rollback ${run.name} --vm ${holders.join(",")}`)})`
      : "";
  throw new Error(
    `snapshot set ${run.name} is missing on ${lacking.join(", ")}: nothing was reverted; choose another set (${snapshotCli("list")} shows them)${partly}`,
  );
}

async function revertOne(run: SetRun, t: SnapshotTarget): Promise<VmResult> {
  run.progress(t.name, `reverting to ${run.name}`);
  try {
    await run.driver.revertToSnapshot(t.vmx, run.name, { timeoutMs: run.timeoutMs });
    return done(t.name, `reverted to ${run.name}`);
  } catch (err) {
    if (isTimeout(err))
      return unknown(
        t.name,
        `${cutOffText("revertToSnapshot", t.name, run.timeoutMs)}; ${dialogHint(t.name)}, then run ${snapshotCli(`rollback ${run.name} --vm ${t.name}`)}`,
      );
    return failed(
      t.name,
      `${message(err)}; once fixed, run ${snapshotCli(`rollback ${run.name} --vm ${t.name}`)}`,
    );
  }
}

/**
 * Starts the reverted VMs that the snapshot brought back off, one after the other in start order (cache,
 * masters, workers, gateways). Returns the VMs that run now.
 */
async function startInOrder(run: SetRun, reverted: readonly SnapshotTarget[]): Promise<SnapshotTarget[]> {
  let running: Set<string>;
  try {
    running = await runningVmxs(run.driver, run.timeoutMs);
  } catch (err) {
    for (const t of reverted)
      run.results.set(
        t.name,
        unknown(
          t.name,
          `reverted to ${run.name}, but whether it runs cannot be told (${message(err)}); run ${START_ALL} (it starts the VMs that are off)`,
        ),
      );
    return [];
  }
  const started: SnapshotTarget[] = [];
  for (const t of inStartOrder(reverted)) {
    if (isIn(running, t)) {
      started.push(t);
      continue;
    }
    run.progress(t.name, "starting");
    try {
      await run.driver.start(t.vmx, { timeoutMs: run.timeoutMs });
      started.push(t);
    } catch (err) {
      run.results.set(
        t.name,
        failed(
          t.name,
          `reverted to ${run.name}, but it could not be started: ${message(err)}; start it with ${START_ALL}`,
        ),
      );
    }
  }
  return started;
}

async function waitForIp(
  run: SetRun,
  t: SnapshotTarget,
  opts: RollbackSetOptions,
): Promise<{ result: VmResult; ip?: string }> {
  run.progress(t.name, "waiting for its IP address");
  try {
    const answer = await lookupGuestIp(run.driver, {
      vmx: t.vmx,
      networks: opts.networks,
      exclude: opts.exclude,
      budgetMs: opts.ipWaitMs,
      perCallMs: Math.min(run.timeoutMs, 10_000),
    });
    if (answer.ip === "")
      return {
        result: unknown(
          t.name,
          `reverted to ${run.name} and started, but no IP within ${seconds(opts.ipWaitMs)} (${answer.detail}); read its console (console.log in its VM folder) or open it in Fusion; vm-ips.env keeps its earlier address`,
        ),
      };
    run.progress(t.name, `up at ${answer.ip}`);
    return { result: done(t.name, `reverted to ${run.name}, running at ${answer.ip}`), ip: answer.ip };
  } catch (err) {
    return {
      result: unknown(
        t.name,
        `reverted to ${run.name} and started, but its IP cannot be read: ${message(err)}`,
      ),
    };
  }
}

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
  const lacking = run.chosen.filter((t) => !run.lists.get(t.name)?.includes(name)).map((t) => t.name);
  if (lacking.length > 0) {
    throw new Error(
      `snapshot set ${name} is missing on ${lacking.join(", ")}: nothing was reverted; choose another set (snapshot list) or roll back only the VMs that have it with --vm`,
    );
  }
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

async function revertOne(run: SetRun, t: SnapshotTarget): Promise<VmResult> {
  run.progress(t.name, `reverting to ${run.name}`);
  try {
    await run.driver.revertToSnapshot(t.vmx, run.name, { timeoutMs: run.timeoutMs });
    return done(t.name, `reverted to ${run.name}`);
  } catch (err) {
    if (isTimeout(err))
      return unknown(
        t.name,
        `${cutOffText("revertToSnapshot", t.name, run.timeoutMs)}; ${dialogHint(t.name)}, then roll back ${t.name} again (--vm ${t.name})`,
      );
    return failed(t.name, `${message(err)}; roll back ${t.name} again (--vm ${t.name}) once fixed`);
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
          `reverted to ${run.name}, but whether it runs cannot be told (${message(err)}); check with snapshot list and start it`,
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
          `reverted to ${run.name}, but it could not be started: ${message(err)}; start it by hand`,
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
          `reverted to ${run.name} and started, but no IP within ${seconds(opts.ipWaitMs)} (${answer.detail}); check its console, then run the status command`,
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

/** Rolling VMs back to a snapshot set, restarting in start order and waiting for their IPs. */
import { Cidr } from "../../model/net/ipv4";
import { lookupGuestIp } from "../../runtime/vm/guest-ip";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { validateSetName } from "./names";
import { SetResult, SnapshotTarget, VmResult } from "./types";
import {
  SnapshotOptions,
  done,
  failed,
  unknown,
  isBad,
  message,
  seconds,
  isTimeout,
  dialogHint,
  cutOffText,
  checkTargets,
  choose,
  inStartOrder,
  listAll,
  runningVmxs,
  isIn,
} from "./set-common";

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
  validateSetName(name);
  checkTargets(targets);
  const chosen = choose(targets, opts.vms);
  const timeoutMs = opts.timeoutMs;
  const progress = (vm: string, msg: string) => opts.onProgress?.(vm, msg);

  const lists = await listAll(driver, chosen, timeoutMs, `before rolling back to ${name}`);
  const lacking = chosen.filter((_, i) => !lists[i].includes(name)).map((t) => t.name);
  if (lacking.length > 0) {
    throw new Error(
      `snapshot set ${name} is missing on ${lacking.join(", ")}: nothing was reverted; choose another set (snapshot list) or roll back only the VMs that have it with --vm`,
    );
  }

  const results = new Map<string, VmResult>();
  await Promise.all(
    chosen.map(async (t) => {
      progress(t.name, `reverting to ${name}`);
      try {
        await driver.revertToSnapshot(t.vmx, name, { timeoutMs });
        results.set(t.name, done(t.name, `reverted to ${name}`));
      } catch (err) {
        if (isTimeout(err)) {
          results.set(
            t.name,
            unknown(
              t.name,
              `${cutOffText("revertToSnapshot", t.name, timeoutMs)}; ${dialogHint(t.name)}, then roll back ${t.name} again (--vm ${t.name})`,
            ),
          );
        } else {
          results.set(
            t.name,
            failed(t.name, `${message(err)}; roll back ${t.name} again (--vm ${t.name}) once fixed`),
          );
        }
      }
    }),
  );

  const reverted = chosen.filter((t) => results.get(t.name)!.outcome === "done");
  let running: Set<string> | undefined;
  try {
    running = await runningVmxs(driver, timeoutMs);
  } catch (err) {
    for (const t of reverted)
      results.set(
        t.name,
        unknown(
          t.name,
          `reverted to ${name}, but whether it runs cannot be told (${message(err)}); check with snapshot list and start it`,
        ),
      );
  }
  const started: SnapshotTarget[] = [];
  if (running !== undefined) {
    for (const t of inStartOrder(reverted)) {
      if (isIn(running, t)) {
        started.push(t);
        continue;
      }
      progress(t.name, "starting");
      try {
        await driver.start(t.vmx, { timeoutMs });
        started.push(t);
      } catch (err) {
        results.set(
          t.name,
          failed(
            t.name,
            `reverted to ${name}, but it could not be started: ${message(err)}; start it by hand`,
          ),
        );
      }
    }
  }

  const ips: Record<string, string> = {};
  await Promise.all(
    started.map(async (t) => {
      progress(t.name, "waiting for its IP address");
      try {
        const answer = await lookupGuestIp(driver, {
          vmx: t.vmx,
          networks: opts.networks,
          exclude: opts.exclude,
          budgetMs: opts.ipWaitMs,
          perCallMs: Math.min(timeoutMs, 10_000),
        });
        if (answer.ip !== "") {
          ips[t.name] = answer.ip;
          results.set(t.name, done(t.name, `reverted to ${name}, running at ${answer.ip}`));
          progress(t.name, `up at ${answer.ip}`);
        } else {
          results.set(
            t.name,
            unknown(
              t.name,
              `reverted to ${name} and started, but no IP within ${seconds(opts.ipWaitMs)} (${answer.detail}); check its console, then run the status command`,
            ),
          );
        }
      } catch (err) {
        results.set(
          t.name,
          unknown(t.name, `reverted to ${name} and started, but its IP cannot be read: ${message(err)}`),
        );
      }
    }),
  );

  const ordered = chosen.map((t) => results.get(t.name)!);
  return { set: name, ok: !ordered.some(isBad), results: ordered, ips };
}

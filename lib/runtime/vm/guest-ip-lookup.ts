import * as fs from "node:fs";
import { type LookupVm, lookupResultKey, parseLookupVms } from "../../model/entry/contracts";
import { resolveInside } from "../fs/path-guard";
import { Cidr } from "../../model/net/ipv4";
import { Hypervisor } from "../hypervisor/hypervisor";
import { absentAnswer, askRunningGuest, type GuestIpAnswer, listDeadline, offAnswer } from "./guest-ip";
import { parseAddresses, parseNetworks, pathInVmsDir } from "./inputs";
import { readLastIp, recordLastIp } from "./last-ip";

/**
 * The policy of the stack's IP lookup (the `external` data source behind scripts/guest-ip.ts), read at
 * every plan, refresh and destroy, so it must never hang or fail them: one `vmrun list` for the whole
 * stack, no vmrun at all for VMs that do not exist, and the running VMs asked at once. An off VM (or a
 * running one that reports nothing usable yet) answers with the address it last reported.
 */

/** The parsed query (lib/model/entry/contracts.ts GUEST_IP). */
export interface LookupQuery {
  readonly vms_dir: string;
  readonly vms: string;
  readonly exclude: string | undefined;
  readonly timeout_seconds: number;
}

/** One VM of the lookup, its paths absolute and checked. */
interface LookupTarget {
  readonly name: string;
  readonly vmx: string;
  readonly networks: readonly Cidr[];
  readonly lastIpFile: string;
}

export interface LookupPlan {
  readonly targets: readonly LookupTarget[];
  readonly exclude: readonly string[];
  readonly budgetMs: number;
}

export type LookupAnswer = GuestIpAnswer & { readonly name: string };

/** Checks every input before anything runs; errors name the query field (`query.vms[1].vmx_path`). */
export function planLookup(projectRoot: string, query: LookupQuery): LookupPlan {
  const vms: LookupVm[] = parseLookupVms(query.vms);
  const targets = vms.map((vm, i): LookupTarget => {
    const at = `query.vms[${i}]`;
    return {
      name: vm.name,
      vmx: pathInVmsDir(projectRoot, query.vms_dir, vm.vmx_path, {
        vmsDir: "query.vms_dir",
        vmx: `${at}.vmx_path`,
      }),
      networks: parseNetworks(`${at}.networks`, vm.networks.join(",")),
      lastIpFile: resolveInside(projectRoot, vm.last_ip_file, { label: `${at}.last_ip_file` }),
    };
  });
  return {
    targets,
    exclude: parseAddresses("query.exclude", query.exclude ?? ""),
    budgetMs: query.timeout_seconds * 1000,
  };
}

/**
 * Answers for every VM of the plan. `driver` is called only when some VM exists, so a plan works on
 * a machine without vmrun while nothing is built; a `list` that fails (or hangs past the budget)
 * fails the lookup with vmrun's message, as it means vmrun itself is broken.
 */
export async function lookupGuestIps(
  driver: () => Hypervisor,
  plan: LookupPlan,
  opts: { readonly perCallMs?: number; readonly pauseMs?: number } = {},
): Promise<LookupAnswer[]> {
  const present = plan.targets.filter((t) => fs.existsSync(t.vmx));
  let isRunning: (vmx: string) => boolean = () => false;
  let vmrun: Hypervisor | undefined;
  if (present.length > 0) {
    vmrun = driver();
    isRunning = await vmrun.runningVms({ timeoutMs: listDeadline(vmrun, plan.budgetMs) });
  }
  return Promise.all(
    plan.targets.map(async (t): Promise<LookupAnswer> => {
      const answer = !present.includes(t)
        ? absentAnswer(t.vmx)
        : !isRunning(t.vmx)
          ? offAnswer()
          : await askRunningGuest(vmrun!, {
              vmx: t.vmx,
              networks: t.networks,
              exclude: plan.exclude,
              budgetMs: plan.budgetMs,
              ...opts,
            });
      return { name: t.name, ...(await withLastKnownIp(t.lastIpFile, answer)) };
    }),
  );
}

/** Records a running VM's address; an off VM, or one without an address yet, answers with the recorded one. */
async function withLastKnownIp(file: string, answer: GuestIpAnswer): Promise<GuestIpAnswer> {
  if (answer.state === "running") {
    await recordLastIp(file, answer.ip);
    return answer;
  }
  if (answer.state === "off" || answer.state === "no-ip") {
    const last = readLastIp(file);
    if (last !== undefined)
      return { ...answer, ip: last, detail: `${answer.detail}; answering with the last known address` };
  }
  // A deleted VM has no address: its record is not used.
  return answer;
}

/** The data source's result: a flat object of strings, `<vm>_ip`, `<vm>_state`, `<vm>_detail` per VM. */
export function lookupResult(answers: readonly LookupAnswer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of answers) {
    out[lookupResultKey(a.name, "ip")] = a.ip;
    out[lookupResultKey(a.name, "state")] = a.state;
    out[lookupResultKey(a.name, "detail")] = a.detail;
  }
  return out;
}

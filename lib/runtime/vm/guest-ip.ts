import { Cidr, isHostInCidr, isIPv4 } from "../../model/net/ipv4";
import { Hypervisor } from "../hypervisor/hypervisor";
import { hypervisorAnswered, isNotPoweredOn, isTimeout, isVmNotFound } from "../hypervisor/errors";

export interface GuestIpQuery {
  /** Absolute path of the VM's .vmx. */
  readonly vmx: string;
  /** Networks in which an answer is accepted. */
  readonly networks: readonly Cidr[];
  /** Addresses never taken as the guest's own (VIPs can sit on a guest NIC). */
  readonly exclude: readonly string[];
  /** Total time to spend on a running VM, in ms. */
  readonly budgetMs: number;
  /** Deadline of one `getGuestIPAddress -wait` call, in ms. @default 10000 (as Vagrant) */
  readonly perCallMs?: number;
  /** Pause between attempts, in ms. @default 2000 */
  readonly pauseMs?: number;
}

export type GuestIpState = "absent" | "off" | "running" | "no-ip";

export interface GuestIpAnswer {
  /** The address, or "" when there is none (yet). */
  readonly ip: string;
  readonly state: GuestIpState;
  /** Why there is no address, in words (empty when there is one). */
  readonly detail: string;
}

/** The answer for a VM whose .vmx does not exist (never built, or deleted by hand). */
export function absentAnswer(vmx: string): GuestIpAnswer {
  return { ip: "", state: "absent", detail: `${vmx} does not exist` };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why an answer is not taken, or undefined when it is good. */
export function rejectReason(
  ip: string,
  networks: readonly Cidr[],
  exclude: readonly string[],
): string | undefined {
  if (!isIPv4(ip)) return `${JSON.stringify(ip)} is not an IPv4 address`;
  if (exclude.includes(ip)) return `${ip} is a VIP, not the guest's own address`;
  if (!networks.some((n) => isHostInCidr(ip, n)))
    return `${ip} is outside the expected networks (${networks.map((n) => `${n.network}/${n.prefixLength}`).join(", ")})`;
  return undefined;
}

/**
 * Asks VMware Tools for the guest's IP. An absent or powered-off VM answers at once (so a plan or
 * destroy never waits on it); a running one is asked as askRunningGuest does.
 */
export async function lookupGuestIp(driver: Hypervisor, q: GuestIpQuery): Promise<GuestIpAnswer> {
  if (!(await driver.isBuilt(q.vmx))) return absentAnswer(q.vmx);
  // The budget bounds `list` too: the data source is read at every plan, where a hung vmrun must not
  // hold things up for the driver's default deadline (minutes, and retried).
  if (!(await driver.isRunning(q.vmx, { timeoutMs: listDeadline(driver, q.budgetMs) }))) return offAnswer();
  return askRunningGuest(driver, q);
}

/** The deadline of the `list` that tells running VMs from off ones: within the lookup's budget. */
export function listDeadline(driver: Hypervisor, budgetMs: number): number {
  return Math.min(budgetMs, driver.timeoutMs);
}

export function offAnswer(): GuestIpAnswer {
  return { ip: "", state: "off", detail: "the VM is not running" };
}

/**
 * Asks a VM that `list` showed running, with `getGuestIPAddress -wait` under short deadlines, retried,
 * until the budget runs out. An answer outside the expected networks, or a VIP, is not taken.
 */
export async function askRunningGuest(driver: Hypervisor, q: GuestIpQuery): Promise<GuestIpAnswer> {
  const deadline = Date.now() + q.budgetMs;
  const perCall = q.perCallMs ?? 10_000;
  const pause = q.pauseMs ?? 2_000;
  let detail = "no answer yet";
  // A concrete answer (a VIP, Tools not running) says more than a later attempt cut short by the budget.
  let heardAnswer = false;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      const ip = await driver.getGuestIPAddress(q.vmx, {
        wait: true,
        timeoutMs: Math.min(perCall, remaining),
      });
      const reason = rejectReason(ip, q.networks, q.exclude);
      if (reason === undefined) return { ip, state: "running", detail: "" };
      detail = `VMware Tools reported ${reason}`;
      heardAnswer = true;
    } catch (err) {
      if (isNotPoweredOn(err) || isVmNotFound(err))
        return { ip: "", state: "off", detail: "the VM stopped while its IP was looked up" };
      if (!hypervisorAnswered(err)) throw err;
      if (!isTimeout(err)) {
        detail = (err as Error).message;
        heardAnswer = true;
      } else if (!heardAnswer) {
        detail = "VMware Tools did not report an address yet";
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(pause, left));
  }
  return { ip: "", state: "no-ip", detail };
}

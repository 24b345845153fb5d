import * as path from "node:path";
import { Role } from "../../model/config/model";
import { boundedRunner } from "../../runtime/process/bounded";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { hypervisorAnswered, isTimeout } from "../../runtime/hypervisor/errors";
import { NOT_BUILT } from "../../runtime/vm/not-built";

export type PowerState = "on" | "off" | "absent" | "unknown";

export interface VmStatus {
  readonly name: string;
  readonly role: Role;
  readonly power: PowerState;
  /** The address VMware Tools reports right now, or "" when there is none. */
  readonly ip: string;
  /** checkToolsState's word (running, installed, not-installed, unknown), or "" when not asked or it failed. */
  readonly tools: string;
  readonly snapshots: string[];
  /** What could not be found out, in words; "" when everything answered. */
  readonly detail: string;
  /** cloud-init's result, asked over SSH on running VMs with an IP (see guest-probe.ts). */
  readonly cloudInit?: string;
  /** Gateways: the VIPs (external, internal) the guest holds now. */
  readonly vips?: readonly string[];
}

export interface StatusTarget {
  readonly name: string;
  /** Absolute path of the .vmx. */
  readonly vmx: string;
  readonly role: Role;
}

export interface StatusOptions {
  /** Deadline of the list, tools and snapshot calls. */
  readonly timeoutMs: number;
  /** Deadline of the IP question (asked without -wait, so a guest without an address answers at once). @default min(5000, timeoutMs) */
  readonly ipTimeoutMs?: number;
  /** At most this many vmrun processes at once. @default STATUS_VMRUN_LIMIT */
  readonly vmrunLimit?: number;
}

/** vmrun processes status runs at once: each is a process start, and a loaded machine makes them miss their deadlines. */
export const STATUS_VMRUN_LIMIT = 4;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * Why the IP is empty, unless the reason is merely that the guest has none yet: a question cut by its
 * deadline says so, so that an empty cell never reads as "no address" when the truth is "no answer".
 */
function ipProblem(err: unknown, timeoutMs: number): string | undefined {
  if (isTimeout(err)) return `IP: no answer within ${seconds(timeoutMs)}`;
  if (hypervisorAnswered(err)) return undefined;
  return message(err);
}

/**
 * Power, IP, Tools state and snapshots of each VM, with at most `vmrunLimit` vmrun processes at once.
 * One `list` serves every VM's power state; a VM the hypervisor does not have (Fusion: no .vmx, which
 * costs no vmrun call; vSphere: not in the folder) is "absent"; a running VM that reports an address has Tools running, so only the others are asked
 * `checkToolsState`.
 */
export async function collectClusterStatus(
  driver: Hypervisor,
  targets: readonly StatusTarget[],
  opts: StatusOptions,
): Promise<VmStatus[]> {
  const call = { timeoutMs: opts.timeoutMs };
  const ipTimeoutMs = opts.ipTimeoutMs ?? Math.min(5000, opts.timeoutMs);
  const vmrun = boundedRunner(opts.vmrunLimit ?? STATUS_VMRUN_LIMIT);
  // A VM the hypervisor does not have is "absent"; one it cannot tell about is asked the rest, which says why.
  const built = await Promise.all(
    targets.map((t) => vmrun(() => driver.isBuilt(t.vmx, call)).catch(() => true)),
  );
  const present = targets.filter((_, i) => built[i]);
  let isRunning: ((vmx: string) => boolean) | undefined;
  let listError = "";
  if (present.length > 0) {
    try {
      isRunning = await driver.runningVms(call);
    } catch (err) {
      listError = `power unknown: ${message(err)}`;
    }
  }
  return Promise.all(
    targets.map(async (t): Promise<VmStatus> => {
      const base = { name: t.name, role: t.role };
      if (!present.includes(t))
        return {
          ...base,
          power: "absent",
          ip: "",
          tools: "",
          snapshots: [],
          detail: `${NOT_BUILT} (${path.basename(t.vmx)} is missing)`,
        };
      const power: PowerState = isRunning === undefined ? "unknown" : isRunning(t.vmx) ? "on" : "off";
      const problems: string[] = listError ? [listError] : [];
      const askIp = async (): Promise<string> => {
        if (power === "off") return "";
        try {
          return await vmrun(() => driver.getGuestIPAddress(t.vmx, { timeoutMs: ipTimeoutMs }));
        } catch (err) {
          const p = ipProblem(err, ipTimeoutMs);
          if (p) problems.push(p);
          return "";
        }
      };
      const askTools = (ip: string): Promise<string> =>
        ip !== ""
          ? Promise.resolve("running")
          : vmrun(() => driver.checkToolsState(t.vmx, call)).catch((err: unknown) => {
              problems.push(message(err));
              return "";
            });
      const [tools, snapshots] = await Promise.all([
        askIp().then(async (ip) => ({ ip, tools: await askTools(ip) })),
        vmrun(() => driver.listSnapshots(t.vmx, call)).catch((err: unknown) => {
          problems.push(message(err));
          return [] as string[];
        }),
      ]);
      return { ...base, power, ip: tools.ip, tools: tools.tools, snapshots, detail: problems.join("; ") };
    }),
  );
}

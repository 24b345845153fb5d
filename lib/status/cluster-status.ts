import * as fs from "node:fs";
import * as path from "node:path";
import { Role } from "../config/model";
import { VmrunDriver } from "../vmrun/driver";
import { VmrunError } from "../vmrun/errors";

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
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Why the IP is empty, unless the reason is merely that the guest has none yet. */
function ipProblem(err: unknown): string | undefined {
  if (err instanceof VmrunError && err.kind !== "spawn") return undefined;
  return message(err);
}

/**
 * Power, IP, Tools state and snapshots of each VM, asked concurrently. A VM whose .vmx does not exist
 * is "absent" and costs no vmrun call; one `list` call serves every VM's power state.
 */
export async function collectClusterStatus(
  driver: VmrunDriver,
  targets: readonly StatusTarget[],
  opts: StatusOptions,
): Promise<VmStatus[]> {
  const call = { timeoutMs: opts.timeoutMs };
  const ipCall = { timeoutMs: opts.ipTimeoutMs ?? Math.min(5000, opts.timeoutMs) };
  const present = targets.filter((t) => fs.existsSync(t.vmx));
  let running: Set<string> | undefined;
  let listError = "";
  if (present.length > 0) {
    try {
      running = new Set((await driver.list(call)).map((p) => path.normalize(p).toLowerCase()));
    } catch (err) {
      listError = `power unknown: ${message(err)}`;
    }
  }
  return Promise.all(
    targets.map(async (t): Promise<VmStatus> => {
      const base = { name: t.name, role: t.role };
      if (!fs.existsSync(t.vmx))
        return {
          ...base,
          power: "absent",
          ip: "",
          tools: "",
          snapshots: [],
          detail: `not built: ${path.basename(t.vmx)} is missing`,
        };
      const power: PowerState =
        running === undefined ? "unknown" : running.has(path.normalize(t.vmx).toLowerCase()) ? "on" : "off";
      const problems: string[] = listError ? [listError] : [];
      const [ip, tools, snapshots] = await Promise.all([
        power === "off"
          ? Promise.resolve("")
          : driver.getGuestIPAddress(t.vmx, ipCall).catch((err: unknown) => {
              const p = ipProblem(err);
              if (p) problems.push(p);
              return "";
            }),
        driver.checkToolsState(t.vmx, call).catch((err: unknown) => {
          problems.push(message(err));
          return "";
        }),
        driver.listSnapshots(t.vmx, call).catch((err: unknown) => {
          problems.push(message(err));
          return [] as string[];
        }),
      ]);
      return { ...base, power, ip, tools, snapshots, detail: problems.join("; ") };
    }),
  );
}

import { resolveInside } from "../fs/path-guard";
import { EntryInputError } from "../../model/entry/contract";
import { Cidr, isIPv4, parseCidr } from "../../model/net/ipv4";
import { VmrunDriver } from "../hypervisor/vmrun/driver";

/** Resolves a project-relative .vmx path and checks it lies inside the VMs folder; labels name the inputs in errors. */
export function pathInVmsDir(
  projectRoot: string,
  vmsDir: string,
  file: string,
  labels = { vmsDir: "VMS_DIR", vmx: "VMX_PATH" },
): string {
  const vmsAbs = resolveInside(projectRoot, vmsDir, { label: labels.vmsDir });
  return resolveInside(vmsAbs, file, { label: labels.vmx, base: projectRoot });
}

/** `10.10.0.0/24,192.168.68.0/24` -> parsed blocks; an empty or bad list is an input error. */
export function parseNetworks(label: string, value: string): Cidr[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new EntryInputError(`${label} is empty: give at least one CIDR block, e.g. 10.10.0.0/24`);
  return items.map((item) => {
    try {
      return parseCidr(item);
    } catch (e) {
      throw new EntryInputError(`${label}: ${(e as Error).message}`);
    }
  });
}

/** `a,b` -> addresses; empty entries (an unset VIP) are dropped, anything else must be IPv4. */
export function parseAddresses(label: string, value: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items)
    if (!isIPv4(item)) throw new EntryInputError(`${label}: ${JSON.stringify(item)} is not an IPv4 address`);
  return items;
}

/** The vmrun driver for an entry point: located as the driver documents, deadline from the environment. */
export function driverFor(projectRoot: string, env: NodeJS.ProcessEnv = process.env): VmrunDriver {
  return VmrunDriver.fromEnvironment({ env, cwd: projectRoot });
}

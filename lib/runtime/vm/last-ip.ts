import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../fs/atomic";
import { isIPv4 } from "../../model/net/ipv4";

/**
 * The address a VM last reported (`generated/<vm>/last-ip`), written by start and by every lookup
 * that finds the VM running. A lookup of a VM that is off answers with it, so a plan with the VMs
 * stopped leaves the inventory and the role files that carry addresses as they are, instead of
 * blanking them (and wanting to re-install files on VMs that cannot be reached).
 */
export async function recordLastIp(file: string, ip: string): Promise<void> {
  if (!isIPv4(ip)) return;
  if (readLastIp(file) === ip) return;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${ip}\n`);
}

/** The recorded address, or undefined when none (or something that is not an address) is recorded. */
export function readLastIp(file: string): string | undefined {
  try {
    const ip = fs.readFileSync(file, "utf8").trim();
    return isIPv4(ip) ? ip : undefined;
  } catch {
    return undefined;
  }
}

import { createHash } from "node:crypto";

/**
 * VMware's range for manually assigned MACs is 00:50:56:00:00:00-00:50:56:3F:FF:FF; higher values
 * collide with addresses VMware generates itself (vmware-fusion.md 3.5).
 */
export const VMWARE_STATIC_MAC = /^00:50:56:[0-3][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/;

/** A stable MAC for NIC `nicIndex` of VM `vmName`: the same name always gets the same address. */
export function deriveMac(vmName: string, nicIndex: number): string {
  const digest = createHash("sha256").update(`${vmName}/ethernet${nicIndex}`).digest();
  const bytes = [digest[0] & 0x3f, digest[1], digest[2]];
  return ["00", "50", "56", ...bytes.map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The negative runs' broken seeds. `mac`: network-config matches a MAC that no NIC of the VM has, so
 * cloud-init cannot rename that NIC, as when a .vmx and its seed disagree.
 */

/** A different MAC in VMware's static range: the last byte changed. */
export function otherMac(mac: string): string {
  const m = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.exec(mac.toLowerCase());
  if (!m) throw new Error(`${JSON.stringify(mac)} is not a MAC like 00:50:56:12:34:56`);
  const last = parseInt(mac.slice(-2), 16);
  return `${mac.slice(0, -2).toLowerCase()}${((last + 1) % 256).toString(16).padStart(2, "0")}`;
}

/** network-config text with `macaddress: <mac>` replaced; throws when it does not occur exactly once. */
export function tamperNetworkConfigMac(text: string, mac: string): { text: string; replacement: string } {
  const pattern = new RegExp(`(macaddress:\\s*["']?)${mac.replace(/:/g, ":")}(["']?\\s*$)`, "gim");
  const hits = text.match(pattern) ?? [];
  if (hits.length !== 1)
    throw new Error(`network-config names ${mac} ${hits.length} times, expected once; cannot break it`);
  const replacement = otherMac(mac);
  return { text: text.replace(pattern, `$1${replacement}$2`), replacement };
}

/**
 * A key cloud-init deprecated in 22.2 (`apt_reboot_if_required`, now `package_reboot_if_required`),
 * set to its default: cloud-init 22.4's `cloud-init schema` calls it valid (with a deprecation note);
 * cloud-init 23.4 and later finish "degraded done" with a DEPRECATED recoverable error (25.1 seen),
 * as a seed written for an old cloud-init would.
 */
const DEPRECATED_USER_DATA_LINE = "apt_reboot_if_required: false";

/** user-data text with DEPRECATED_USER_DATA_LINE appended as a top-level key. */
export function tamperUserDataDeprecated(text: string): string {
  if (!text.startsWith("#cloud-config"))
    throw new Error("user-data does not start with #cloud-config; cannot add a key to it");
  if (/^(apt|package)_reboot_if_required:/m.test(text))
    throw new Error("user-data already sets a reboot-if-required key; cannot add the deprecated one");
  return `${text.endsWith("\n") ? text : `${text}\n`}${DEPRECATED_USER_DATA_LINE}\n`;
}

/**
 * The negative run's broken seed: network-config matches a MAC that no NIC of the VM has, so
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
  if (hits.length !== 1) throw new Error(`network-config names ${mac} ${hits.length} times, expected once; cannot break it`);
  const replacement = otherMac(mac);
  return { text: text.replace(pattern, `$1${replacement}$2`), replacement };
}

/**
 * The inventory file `vm-ips.env`: one `NAME_IP=<address>` line per VM. Written by Terraform (values
 * are data-source references there) and rewritten by `snapshot rollback` (values are addresses), so
 * both go through this one formatter.
 */
export const INVENTORY_HEADER =
  "# Written by cdktf deploy from the guests' reported addresses; do not edit (it is overwritten).";

export function formatInventory(entries: readonly (readonly [key: string, value: string])[]): string {
  for (const [key, value] of entries) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key))
      throw new Error(`inventory key ${JSON.stringify(key)} is not a shell variable name (A-Z, 0-9, _)`);
    if (/[\n\r]/.test(value)) throw new Error(`inventory value for ${key} contains a line break`);
  }
  return `${[INVENTORY_HEADER, ...entries.map(([key, value]) => `${key}=${value}`)].join("\n")}\n`;
}

/** Reads `KEY=value` lines back (comments and blank lines skipped). */
export function parseInventory(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

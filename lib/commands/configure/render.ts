/** The cluster.yaml text configure writes: only the settings it chose, each a key of cluster.example.yaml. */
import { ClusterConfigInput } from "../../model/config/schema";

export interface ConfigureChoices {
  readonly subnet: string;
  readonly externalVip: string;
  readonly profileName: string;
  readonly size: ClusterConfigInput;
  /** When written (for the header). */
  readonly date: Date;
}

const flow = (o: Record<string, unknown>) =>
  `{${Object.entries(o)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(", ")}}`;

/** The file's header comment, one string a line without the `#` (as the yaml library keeps comments). */
export function configureHeader(c: Pick<ConfigureChoices, "date" | "profileName">): string {
  return [
    ` Written by npm run configure on ${c.date.toISOString().slice(0, 10)} for this host (profile ${c.profileName}).`,
    " Every setting stays yours to change: cluster.example.yaml lists them all with their defaults, and",
    " the file is validated before anything is built. Run npm run doctor after an edit. npm run configure",
    " -- --force recomputes only the LAN, the external VIP and the cluster size, and keeps the rest.",
  ].join("\n");
}

export function renderClusterYaml(c: ConfigureChoices): string {
  const lines = [
    ...configureHeader(c)
      .split("\n")
      .map((l) => `#${l}`),
    "",
    "network:",
    "  lan:                           # the network the gateways' first NIC is bridged to",
    `    subnet: ${c.subnet}`,
    `  externalVip: ${c.externalVip}${" ".repeat(Math.max(1, 18 - c.externalVip.length))}# outside the usual DHCP pool; must stay unused`,
  ];
  const aptCache = c.size.aptCache;
  if (aptCache && Object.keys(aptCache).length > 0) {
    lines.push("", "aptCache:");
    for (const [k, v] of Object.entries(aptCache)) lines.push(`  ${k}: ${String(v)}`);
  }
  const roleDefaults = Object.entries(c.size.roleDefaults ?? {});
  if (roleDefaults.length > 0) {
    lines.push("", "roleDefaults:");
    for (const [role, sizing] of roleDefaults)
      lines.push(`  ${role}: ${flow(sizing as Record<string, unknown>)}`);
  }
  lines.push("", "vms:");
  for (const vm of c.size.vms ?? []) lines.push(`  - ${flow(vm)}`);
  return `${lines.join("\n")}\n`;
}

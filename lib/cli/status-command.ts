import { collectClusterStatus, VmStatus } from "../status/cluster-status";
import { CliContext } from "./context";
import { renderTable } from "./report";

/** Status is a quick look: its calls get at most STATUS_TIMEOUT_MS each, whatever the (long) vmrun deadline is. */
export const STATUS_TIMEOUT_MS = 20_000;

export async function clusterStatus(ctx: CliContext): Promise<VmStatus[]> {
  return collectClusterStatus(ctx.driver, [ctx.aptCache, ...ctx.targets], { timeoutMs: Math.min(ctx.timeoutMs, STATUS_TIMEOUT_MS) });
}

export function renderStatusTable(rows: readonly VmStatus[]): string {
  return renderTable(
    ["VM", "role", "power", "IP", "tools", "snapshots", "detail"],
    rows.map((r) => [r.name, r.role, r.power, r.ip || "-", r.tools || "-", r.snapshots.join(", ") || "-", r.detail]),
  );
}

/** `status [--json]`: the table, or the array as JSON, on stdout. */
export async function printStatus(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const rows = await clusterStatus(ctx);
  process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderStatusTable(rows)}\n`);
}

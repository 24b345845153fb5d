import { collectClusterStatus, VmStatus } from "../status/cluster-status";
import { probeGuest } from "../status/guest-probe";
import { CliContext } from "./context";
import { renderTable } from "./report";

/** Status is a quick look: its calls get at most STATUS_TIMEOUT_MS each, whatever the (long) vmrun deadline is. */
const STATUS_TIMEOUT_MS = 20_000;

/** The SSH questions of status get this long per VM (they run concurrently). */
const GUEST_PROBE_TIMEOUT_MS = 8_000;

async function clusterStatus(ctx: CliContext, opts: { guest?: boolean } = {}): Promise<VmStatus[]> {
  const rows = await collectClusterStatus(ctx.driver, [ctx.aptCache, ...ctx.targets], {
    timeoutMs: Math.min(ctx.timeoutMs, STATUS_TIMEOUT_MS),
  });
  if (opts.guest === false) return rows;
  const { model } = ctx;
  const vips = { external: model.network.externalVip, internal: model.network.internalVip };
  return Promise.all(
    rows.map(async (row) => {
      if (row.power !== "on" || row.ip === "") return row;
      const probe = await probeGuest(
        {
          host: row.ip,
          user: model.ssh.user,
          ...(model.ssh.identityFile !== undefined ? { identityFile: model.ssh.identityFile } : {}),
        },
        { timeoutMs: GUEST_PROBE_TIMEOUT_MS, ...(row.role === "gateway" ? { gatewayVips: vips } : {}) },
      );
      const detail = [row.detail, probe.problem].filter((d) => d !== "").join("; ");
      return {
        ...row,
        cloudInit: probe.cloudInit,
        ...(probe.vips !== undefined ? { vips: probe.vips } : {}),
        detail,
      };
    }),
  );
}

function renderStatusTable(rows: readonly VmStatus[]): string {
  return renderTable(
    ["VM", "role", "power", "IP", "tools", "cloud-init", "VIPs", "snapshots", "detail"],
    rows.map((r) => [
      r.name,
      r.role,
      r.power,
      r.ip || "-",
      r.tools || "-",
      r.cloudInit ?? "-",
      r.vips === undefined ? "-" : r.vips.join(", ") || "none",
      r.snapshots.join(", ") || "-",
      r.detail,
    ]),
  );
}

/** `status [--json] [--no-guest]`: the table, or the array as JSON, on stdout. */
export async function printStatus(ctx: CliContext, opts: { json?: boolean; guest?: boolean }): Promise<void> {
  const rows = await clusterStatus(ctx, { guest: opts.guest });
  process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderStatusTable(rows)}\n`);
}

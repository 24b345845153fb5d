import { collectClusterStatus, VmStatus } from "../status/cluster-status";
import { probeGuest } from "../status/guest-probe";
import { CliContext } from "../common/context";
import { vmSshTarget } from "../../runtime/ssh/vm-target";
import { compactTableWidth, renderCompactTable, terminalWidth } from "../common/report";

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
      const vm = [...model.vms, model.aptCache.vm].find((v) => v.name === row.name);
      if (vm === undefined) return row;
      const probe = await probeGuest(vmSshTarget(ctx.projectRoot, model, vm, row.ip), {
        timeoutMs: GUEST_PROBE_TIMEOUT_MS,
        ...(row.role === "gateway" ? { gatewayVips: vips } : {}),
      });
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

/** Which VIPs a gateway holds, in one word: the column stays narrow. */
function vipsCell(vips: readonly string[] | undefined): string {
  if (vips === undefined) return "-";
  if (vips.length === 0) return "none";
  return vips.length === 2 ? "both" : vips[0];
}

const STATUS_HEAD = ["VM", "role", "power", "IP", "tools", "cloud-init", "VIPs", "snapshots"];

/**
 * One line per VM, what could not be found out on an indented line under it. On a terminal too narrow
 * for the snapshots column (an 80-column one, for the default cluster) the snapshots move to that line
 * too; what still does not fit is wrapped. Without a width (not a terminal) nothing wraps.
 */
export function renderStatusTable(
  rows: readonly VmStatus[],
  width: number | undefined = terminalWidth(),
): string {
  const cells = (r: VmStatus) => [
    r.name,
    r.role,
    r.power,
    r.ip || "-",
    r.tools || "-",
    r.cloudInit ?? "-",
    vipsCell(r.vips),
    r.snapshots.join(", ") || "-",
  ];
  const wide = rows.map((r) => ({ cells: cells(r), note: r.detail }));
  // The snapshots column may wrap down to its longest name (and its comma).
  const longestName = Math.max(9, ...rows.flatMap((r) => r.snapshots.map((n) => n.length + 1)));
  const snapshotsWidth = Math.max(...wide.map((r) => r.cells[7].length), 9);
  if (width === undefined || compactTableWidth(STATUS_HEAD, wide) - snapshotsWidth + longestName <= width)
    return renderCompactTable(STATUS_HEAD, wide, { width, shrinkable: [{ column: 7, min: longestName }] });
  const narrow = rows.map((r) => ({
    cells: cells(r).slice(0, -1),
    note: [r.snapshots.length > 0 ? `snapshots: ${r.snapshots.join(", ")}` : "", r.detail]
      .filter((n) => n !== "")
      .join("; "),
  }));
  // Still too wide (long VM names, a very narrow terminal): names and addresses break across lines.
  return renderCompactTable(STATUS_HEAD.slice(0, -1), narrow, {
    width,
    shrinkable: [
      { column: 0, min: 8 },
      { column: 3, min: 8 },
    ],
  });
}

/** `status [--json] [--no-guest]`: the table, or the array as JSON, on stdout. */
export async function printStatus(ctx: CliContext, opts: { json?: boolean; guest?: boolean }): Promise<void> {
  const rows = await clusterStatus(ctx, { guest: opts.guest });
  process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderStatusTable(rows)}\n`);
}

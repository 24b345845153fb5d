import { renderStatusTable } from "../../../../lib/commands/cli/status-command";
import type { VmStatus } from "../../../../lib/commands/status/cluster-status";

const SNAP = ["patched-20251125"];
const on = (name: string, role: VmStatus["role"], ip: string, extra: Partial<VmStatus> = {}): VmStatus => ({
  name,
  role,
  power: "on",
  ip,
  tools: "running",
  snapshots: SNAP,
  detail: "",
  cloudInit: "done",
  ...extra,
});

/** The default cluster, every VM running, with the longest details status writes. */
const ROWS: VmStatus[] = [
  {
    name: "apt-cache-server",
    role: "apt-cache",
    power: "off",
    ip: "",
    tools: "installed",
    snapshots: [],
    detail: "",
  },
  on("gateway1", "gateway", "10.10.0.232", { vips: ["external", "internal"] }),
  on("gateway2", "gateway", "10.10.0.233", { vips: [] }),
  on("k8s-master1", "master", "", { cloudInit: undefined, detail: "IP: no answer within 5 s" }),
  on("k8s-master2", "master", "10.10.0.141", { snapshots: ["patched-20251125", "before-upgrade"] }),
  on("k8s-master3", "master", "10.10.0.142", {
    cloudInit: "unknown",
    detail:
      "cloud-init status: ssh: connect to host 10.10.0.142 port 22: Connection timed out; vmrun listSnapshots k8s-master3 did not answer within 20 s and was stopped",
  }),
  on("k8s-worker1", "worker", "10.10.0.151"),
  {
    name: "k8s-worker2",
    role: "worker",
    power: "absent",
    ip: "",
    tools: "",
    snapshots: [],
    detail: "not built yet: run npm run deploy (k8s-worker2.vmx is missing)",
  },
];

const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));

describe("renderStatusTable", () => {
  it.each([80, 90, 100])(
    "fits a %i-column terminal, keeping every VM, address and snapshot name",
    (width) => {
      const text = renderStatusTable(ROWS, width);
      expect(widest(text)).toBeLessThanOrEqual(width);
      for (const r of ROWS) expect(text).toContain(`${r.name} `);
      for (const ip of ["10.10.0.232", "10.10.0.233", "10.10.0.141", "10.10.0.142", "10.10.0.151"])
        expect(text).toContain(ip);
      expect(text).toContain("patched-20251125");
      expect(text).toContain("before-upgrade");
    },
  );

  it("puts a VM's detail, wrapped, on indented lines under its row; a timed-out IP question says so", () => {
    const lines = renderStatusTable(ROWS, 80).split("\n");
    const at = lines.findIndex((l) => l.startsWith("k8s-master1 "));
    expect(lines[at]).toMatch(/^k8s-master1\s+master\s+on\s+-\s+running\s+-\s+-$/);
    expect(lines[at + 1]).toBe("  snapshots: patched-20251125; IP: no answer within 5 s");
    const m3 = lines.findIndex((l) => l.startsWith("k8s-master3 "));
    expect(lines.slice(m3 + 1, m3 + 4).every((l) => l.startsWith("  "))).toBe(true);
    expect(
      lines
        .slice(m3 + 1, m3 + 4)
        .join(" ")
        .replace(/\s+/g, " "),
    ).toContain("did not answer within 20 s and was stopped");
  });

  it("keeps the snapshots in their own column when it fits (100 columns), and says which VIPs a gateway holds in a word", () => {
    const lines = renderStatusTable(ROWS, 100).split("\n");
    expect(lines[0]).toMatch(/^VM\s+role\s+power\s+IP\s+tools\s+cloud-init\s+VIPs\s+snapshots$/);
    expect(lines.find((l) => l.startsWith("gateway1 "))).toMatch(
      /10\.10\.0\.232\s+running\s+done\s+both\s+patched-20251125$/,
    );
    expect(lines.find((l) => l.startsWith("gateway2 "))).toMatch(/\s+none\s+patched-20251125$/);
    expect(lines.find((l) => l.startsWith("apt-cache-server "))).toMatch(/off\s+-\s+installed\s+-\s+-\s+-$/);
  });

  it("wraps nothing without a terminal width (output to a file or a pipe)", () => {
    const text = renderStatusTable(ROWS, undefined);
    expect(text).toContain("patched-20251125, before-upgrade");
    expect(text).toContain(`  ${ROWS[5].detail}\n`);
  });

  it("breaks what cannot fit even without the snapshots column across lines: very long VM names", () => {
    const long = [{ ...ROWS[6], name: `k8s-worker-${"x".repeat(40)}` }];
    const text = renderStatusTable(long, 80);
    expect(widest(text)).toBeLessThanOrEqual(80);
    // The name, read down its column, is whole.
    const [, dashes, ...rows] = text.split("\n");
    const nameWidth = dashes.indexOf(" ");
    const column = rows.filter((l) => !l.startsWith("  ")).map((l) => l.slice(0, nameWidth).trim());
    expect(column.join("")).toBe(long[0].name);
  });
});

import { renderTable } from "../../../../lib/commands/common/report";

const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));
const PATH = "/Users/someone/Virtual Machines.localized/k8s-worker1.vmwarevm/k8s-worker1.vmx";
/** A snapshot result as `snapshot create` prints it, with the longest details it writes. */
const ROWS = [
  ["gateway1", "done", "snapshot patched-20251125 taken (running, 12 s)"],
  [
    "k8s-worker1",
    "failed",
    `vmrun snapshot ${PATH} did not answer within 120 s and was stopped; nothing was changed`,
  ],
  ["k8s-worker2", "skipped", "not built yet: run npm run deploy"],
];

describe("renderTable", () => {
  it.each([80, 100])("fits a %i-column terminal, wrapping the detail and never cutting a path", (width) => {
    const text = renderTable(["VM", "outcome", "detail"], ROWS, width);
    expect(widest(text)).toBeLessThanOrEqual(width);
    expect(text.replace(/\s+/g, "")).toContain(PATH.replace(/\s+/g, ""));
    const lines = text.split("\n");
    // A head, one dashed line under it, and no separator between rows.
    expect(lines[0]).toMatch(/^VM\s+outcome\s+detail$/);
    expect(lines[1]).toMatch(/^-+ +-+ +-+$/);
    expect(lines.slice(2).filter((l) => /^[-\s]+$/.test(l))).toEqual([]);
    // A wrapped detail continues in its own column, under the detail it belongs to.
    const at = lines.findIndex((l) => l.startsWith("k8s-worker1 "));
    const column = lines[at].indexOf("vmrun");
    expect(lines[at + 1].slice(0, column).trim()).toBe("");
    expect(lines[at + 1].length).toBeGreaterThan(column);
  });

  it("wraps nothing without a terminal width (a file, a pipe)", () => {
    const text = renderTable(["VM", "outcome", "detail"], ROWS, undefined);
    expect(text.split("\n")).toHaveLength(2 + ROWS.length);
    expect(text).toContain(ROWS[1][2]);
  });
});

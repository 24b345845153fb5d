import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { figure, printTable, writeResults } from "../../bench/harness";

describe("bench harness", () => {
  it("computes ratios against the same run's baseline and judges them against the goal", () => {
    expect(figure("a", 130, 100, "floor", 1.3)).toMatchObject({ ratio: 1.3, ok: true });
    expect(figure("b", 131, 100, "floor", 1.3)).toMatchObject({ ok: false });
  });

  it("prints one row per figure and writes JSON with the machine", () => {
    const figures = [figure("snapshot set", 1869, 1585, "slowest call", 1.3), figure("slow", 300, 100, "x", 2)];
    const table = printTable(figures).split("\n");
    expect(table).toHaveLength(4);
    expect(table[2]).toMatch(/^snapshot set\s+1869 ms\s+1585 ms \(slowest call\)\s+1\.18\s+<= 1\.3\s+ok$/);
    expect(table[3]).toMatch(/3\.00\s+<= 2\s+MISSED$/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-")), "r", "latest.json");
    writeResults(file, figures);
    const written = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(written.figures).toHaveLength(2);
    expect(written.machine).toMatch(/node v\d+/);
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  });
});

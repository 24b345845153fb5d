import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  figure,
  loadDescription,
  medianPair,
  printTable,
  roundRatios,
  timePair,
  writeResults,
} from "../../bench/harness";

describe("bench harness", () => {
  it("computes ratios against the same run's baseline and judges them against the goal", () => {
    expect(figure("a", 130, 100, "floor", 1.3)).toMatchObject({ ratio: 1.3, ok: true });
    expect(figure("b", 131, 100, "floor", 1.3)).toMatchObject({ ok: false });
    expect(figure("diagnostic", 900, 100, "floor", null)).toMatchObject({ ratio: 9, goal: null, ok: true });
  });

  it("prints one row per figure and writes JSON with the machine", () => {
    const figures = [
      figure("snapshot set", 1869, 1585, "slowest call", 1.3),
      figure("slow", 300, 100, "x", 2),
      figure("why", 50, 10, "y", null),
    ];
    const table = printTable(figures).split("\n");
    expect(table).toHaveLength(5);
    expect(table[4]).toMatch(/5\.00\s+-\s+\(diagnostic\)$/);
    expect(table[2]).toMatch(/^snapshot set\s+1869 ms\s+1585 ms \(slowest call\)\s+1\.18\s+<= 1\.3\s+ok$/);
    expect(table[3]).toMatch(/3\.00\s+<= 2\s+MISSED$/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-")), "r", "latest.json");
    writeResults(file, figures, { loadBefore: "load average 1.00" });
    const written = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(written.figures).toHaveLength(3);
    expect(written.loadBefore).toBe("load average 1.00");
    expect(written.machine).toMatch(/node v\d+/);
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  });

  it("describes the load the figures were measured under", () => {
    expect(loadDescription([1, 0.5, 0.25])).toMatch(/^load average 1\.00, 0\.50, 0\.25 on \d+ cores$/);
  });

  it("takes the round whose ratio is the median, both of its sides together", () => {
    const pairs = [
      { measuredMs: 300, baselineMs: 100 }, // 3.00
      { measuredMs: 110, baselineMs: 100 }, // 1.10
      { measuredMs: 500, baselineMs: 400 }, // 1.25
    ];
    expect(medianPair(pairs)).toEqual({ measuredMs: 500, baselineMs: 400 });
    expect(medianPair([...pairs, { measuredMs: 90, baselineMs: 100 }])).toEqual({
      measuredMs: 110,
      baselineMs: 100,
    });
    expect(medianPair(pairs.slice(0, 1))).toEqual(pairs[0]);
    expect(() => medianPair([])).toThrow(/no rounds/);
    expect(roundRatios(pairs)).toBe("3.00, 1.10, 1.25");
  });

  it("times the baseline first in even rounds and the measured side first in odd ones", async () => {
    const order: string[] = [];
    const side = (name: string, ms: number) => () => {
      order.push(name);
      return Promise.resolve(ms);
    };
    expect(await timePair(0, side("measured", 12), side("baseline", 10))).toEqual({
      measuredMs: 12,
      baselineMs: 10,
    });
    expect(await timePair(1, side("measured", 13), side("baseline", 11))).toEqual({
      measuredMs: 13,
      baselineMs: 11,
    });
    expect(order).toEqual(["baseline", "measured", "measured", "baseline"]);
  });
});

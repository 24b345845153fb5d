import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { count, expectedFailureVerdict, formatRow, ResultRow, writeReport } from "../../e2e/lib/results";

const rows: ResultRow[] = [
  { vm: "gateway1", id: "hostname", ok: true, seen: "gateway1" },
  {
    vm: "gateway1",
    id: "nic-ens160",
    ok: false,
    seen: "ethernet0 00:50:56:0f:35:27 is enp0s16 (up, UP)",
    detail: "expected ens160\nline two",
  },
  { vm: "-", id: "apply", ok: true, seen: "11 commands" },
];

describe("e2e results", () => {
  it("counts and prints PASS/FAIL with the value seen and, on failure, the detail", () => {
    expect(count(rows)).toEqual({ passed: 2, failed: 1 });
    expect(formatRow(rows[0])).toMatch(/^PASS {2}gateway1 +hostname +gateway1$/);
    const fail = formatRow(rows[1]).split("\n");
    expect(fail[0]).toMatch(/^FAIL {2}gateway1 +nic-ens160 +ethernet0 00:50:56:0f:35:27 is enp0s16/);
    expect(fail.slice(1)).toEqual(["        expected ens160", "        line two"]);
  });

  it("a negative run passes only when exactly the expected check failed", () => {
    expect(expectedFailureVerdict(rows, ["gateway1/nic-ens160"])).toMatchObject({ ok: true });
    expect(expectedFailureVerdict(rows, ["gateway1/nic-ens160"]).message).toContain("enp0s16");
    expect(
      expectedFailureVerdict(
        rows.filter((r) => r.ok),
        ["gateway1/nic-ens160"],
      ),
    ).toEqual({ ok: false, message: "expected to fail but passed: gateway1/nic-ens160" });
    const extra = [...rows, { vm: "gateway1", id: "ssh", ok: false, seen: "no ssh" }];
    expect(expectedFailureVerdict(extra, ["gateway1/nic-ens160"])).toEqual({
      ok: false,
      message: "failed unexpectedly: gateway1/ssh",
    });
    // A consequence of the same breakage may fail too, but never stands in for the expected check.
    const withApply = [...rows, { vm: "-", id: "apply", ok: false, seen: "guest-config failed" }];
    expect(expectedFailureVerdict(withApply, ["gateway1/nic-ens160"], ["-/apply"]).ok).toBe(true);
    expect(
      expectedFailureVerdict(
        withApply.filter((r) => r.id !== "nic-ens160"),
        ["gateway1/nic-ens160"],
        ["-/apply"],
      ).ok,
    ).toBe(false);
  });

  it("writes the results file CI reads", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-results-"));
    try {
      const file = path.join(dir, "r.json");
      writeReport(file, {
        ...count(rows),
        mode: "positive",
        checks: rows,
        timings: { total: 1.5 },
        diskBytes: {},
        notes: [],
      });
      const back = JSON.parse(fs.readFileSync(file, "utf8"));
      expect([back.passed, back.failed, back.checks.length]).toEqual([2, 1, 3]);
      expect(fs.readdirSync(dir)).toEqual(["r.json"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

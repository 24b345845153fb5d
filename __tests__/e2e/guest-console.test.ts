import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { consoleProblems } from "../../e2e/lib/guest";

describe("a failed guest's console", () => {
  it("quotes cloud-init's warnings and errors, not the rest of the boot", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-console-"));
    try {
      const log = path.join(dir, "console.log");
      fs.writeFileSync(
        log,
        [
          "[   20.28] vmxnet3 0000:00:11.0 enp0s17: renamed from eth1",
          "[   76.15] cloud-init[341]: 2026-11-24 03:44:52,598 - networking.py[WARNING]: Not all expected physical devices present: {'00:50:56:0f:35:28'}",
          "[   76.26] cloud-init[341]: RuntimeError: Not all expected physical devices present: {'00:50:56:0f:35:28'}",
          "[   80.00] systemd[1]: Started ssh.service",
        ].join("\n"),
      );
      const text = consoleProblems(log).split("\n");
      expect(text).toHaveLength(2);
      expect(text[1]).toContain("RuntimeError: Not all expected physical devices present");
      expect(consoleProblems(path.join(dir, "missing.log"))).toBe("");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

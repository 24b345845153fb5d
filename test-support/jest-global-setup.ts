/**
 * Jest global setup: a fresh file for the skips of this run (required-tools.ts appends to it; the
 * workers inherit the environment set here), read back by jest-global-teardown.ts. (Not a test file.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SKIPS_FILE_ENV } from "./required-tools";

export default function globalSetup(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jest-skips-"));
  const file = path.join(dir, "skips.jsonl");
  fs.writeFileSync(file, "");
  process.env[SKIPS_FILE_ENV] = file;
  // Tables wrap to COLUMNS when it is set (lib/commands/common/report.ts): a shell that exports it must
  // not change what in-process tests see; a test that wants a width passes it.
  delete process.env.COLUMNS;
}

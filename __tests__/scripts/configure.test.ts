import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";

jest.setTimeout(60_000);

describe("scripts/configure.ts", () => {
  let root: string;
  beforeEach(() => {
    root = makeTempProjectRoot();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("--help prints the options and exits 0 without reading the host", async () => {
    const r = await runEntry("configure", { projectRoot: root, args: ["--help"] });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: configure [options]");
    expect(r.stdout).toContain("--no-probe");
    expect(r.stdout).toContain("--dry-run");
    expect(fs.existsSync(path.join(root, "cluster.yaml"))).toBe(false);
  });

  // Real host facts (local route and address tables only); --no-probe: nothing is sent on any network.
  it("--dry-run --no-probe proposes a file for this host, or says why not, and writes nothing", async () => {
    const r = await runEntry("configure", { projectRoot: root, args: ["--dry-run", "--no-probe"] });
    if (r.code === 0) {
      expect(r.stdout).toMatch(/^configure: this host: \w+, \d+\.\d GiB memory, \d+ cores$/m);
      expect(r.stdout).toContain("not probed (--no-probe)");
      expect(r.stdout).toMatch(
        /configure: --dry-run: nothing was written; cluster.yaml would be:\n# Written by npm run configure/,
      );
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^configure: (found no default route|this host has .* of memory; even the minimal)/,
      );
    }
    expect(fs.existsSync(path.join(root, "cluster.yaml"))).toBe(false);
  });
});

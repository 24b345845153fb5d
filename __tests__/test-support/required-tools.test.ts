import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { skipSummary } from "../../test-support/jest-global-teardown";

const REPO = path.resolve(__dirname, "../..");

jest.setTimeout(120_000);

describe("the outside-tool gate, in a jest run of its own on a PATH without qemu-img", () => {
  let dir: string;
  let bin: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tool-gate-"));
    bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    fs.writeFileSync(
      path.join(dir, "gate.test.ts"),
      [
        `import { requireTools } from ${JSON.stringify(path.join(REPO, "test-support/required-tools"))};`,
        'const qemu = requireTools("qemu-img");',
        'qemu.it("converts a disk", () => { throw new Error("ran without qemu-img"); });',
        'qemu.describe("disk tests", () => { it("clones", () => { throw new Error("ran"); }); });',
        'it("needs nothing", () => { expect(qemu.available).toBe(false); });',
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(dir, "jest.config.json"),
      JSON.stringify({
        rootDir: dir,
        testMatch: ["**/*.test.ts"],
        testEnvironment: "node",
        transform: {
          "^.+\\.ts$": [
            path.join(REPO, "node_modules/ts-jest"),
            { tsconfig: path.join(REPO, "tsconfig.json"), diagnostics: false },
          ],
        },
        globalSetup: path.join(REPO, "test-support/jest-global-setup.ts"),
        globalTeardown: path.join(REPO, "test-support/jest-global-teardown.ts"),
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runJest = (strict: boolean, extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(
      process.execPath,
      [
        path.join(REPO, "node_modules/jest/bin/jest.js"),
        "--ci",
        "--config",
        path.join(dir, "jest.config.json"),
      ],
      {
        cwd: dir,
        encoding: "utf8",
        timeout: 110_000,
        env: {
          PATH: bin,
          HOME: dir,
          TMPDIR: os.tmpdir(),
          ...(strict ? { REQUIRE_TEST_TOOLS: "1" } : {}),
          ...extraEnv,
        },
      },
    );

  it("skips the gated tests, passes, and ends with one summary naming the tool and its install command", () => {
    const r = runJest(false);
    expect(r.stderr).toMatch(/Tests: +2 skipped, 1 passed, 3 total/);
    expect(r.status).toBe(0);
    const summary = r.stderr.slice(r.stderr.indexOf("Skipped for missing outside tools"));
    expect(summary).toBe(
      [
        "Skipped for missing outside tools (1 test file; REQUIRE_TEST_TOOLS=1 makes this fail the run):",
        "  - qemu-img (disk conversion and qcow2 fixtures): install with apt-get install qemu-utils; brew install qemu",
        "      gate.test.ts",
        "",
      ].join("\n"),
    );
  });

  it("fails the run under REQUIRE_TEST_TOOLS=1, naming what is missing", () => {
    const r = runJest(true);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("has its outside tools (REQUIRE_TEST_TOOLS=1)");
    expect(r.stderr).toContain(
      "qemu-img (disk conversion and qcow2 fixtures) is missing: apt-get install qemu-utils; brew install qemu; REQUIRE_TEST_TOOLS=1 turns this skip into a failure",
    );
    expect(r.stderr).toMatch(/Tests: +1 failed, 2 skipped, 1 passed, 4 total/);
    expect(r.stderr).toContain(
      "FAILED for missing outside tools (1 test file; REQUIRE_TEST_TOOLS=1 makes each a failure):",
    );
  });

  it("skips without failing under REQUIRE_TEST_TOOLS=1 when the missing tool is declared optional, and names it", () => {
    const r = runJest(true, { OPTIONAL_TEST_TOOLS: "vcsim qemu-img" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/Tests: +2 skipped, 1 passed, 3 total/);
    expect(r.stderr).toContain(
      "Skipped, declared optional here (OPTIONAL_TEST_TOOLS=vcsim qemu-img): 1 test file need qemu-img (disk conversion and qcow2 fixtures)",
    );
    expect(r.stderr).not.toContain("FAILED for missing outside tools");
  });
});

describe("skipSummary", () => {
  it("groups the files per tool, and says nothing when nothing was skipped", () => {
    expect(skipSummary([], false)).toBe("");
    expect(
      skipSummary(
        [
          { file: "b.test.ts", tools: ["python3"] },
          { file: "a.test.ts", tools: ["python3", "qemu-img"] },
        ],
        false,
      ),
    ).toBe(
      [
        "Skipped for missing outside tools (2 test files; REQUIRE_TEST_TOOLS=1 makes this fail the run):",
        "  - python3 (runs the guest-side scripts against a fake root): install with apt-get install python3; brew install python",
        "      a.test.ts, b.test.ts",
        "  - qemu-img (disk conversion and qcow2 fixtures): install with apt-get install qemu-utils; brew install qemu",
        "      a.test.ts",
        "",
      ].join("\n"),
    );
  });
});

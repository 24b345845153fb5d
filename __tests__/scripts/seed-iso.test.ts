import * as fs from "node:fs";
import * as path from "node:path";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { makeSeedDir, makeTempDir, SAMPLE_SEED } from "../../test-support/fixtures";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";
import { requireTools } from "../../test-support/required-tools";

let root: string;
let outside: string;
const VMS_DIR = "VMs/k8s_cluster";
const ISO = `${VMS_DIR}/m1.vmwarevm/seed.iso`;

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    VM_NAME: "m1",
    SEED_DIR: "generated/m1/seed",
    ISO_PATH: ISO,
    VMS_DIR,
    ISO_TIMEOUT_SECONDS: "30",
    ...overrides,
  };
}

beforeEach(() => {
  root = makeTempProjectRoot();
  outside = makeTempDir();
  makeSeedDir(path.join(root, "generated/m1/seed"));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe("scripts/seed-iso", () => {
  requireTools("genisoimage", "isoinfo").it(
    "builds the seed ISO inside the VM directory with the requested tool",
    async () => {
      const res = await runEntry("seed-iso", { projectRoot: root, env: env({ ISO_TOOL: "genisoimage" }) });
      expect(res.stderr).toContain("seed-iso m1: wrote");
      expect(res.code).toBe(0);
      expect(res.stderr).toContain("with genisoimage");
      const iso = path.join(root, ISO);
      const data = await runWithDeadline("isoinfo", ["-R", "-x", "/user-data", "-i", iso], {
        timeoutMs: 10_000,
      });
      expect(data.stdout).toBe(SAMPLE_SEED["user-data"]);
    },
  );

  // xorriso comes first on PATH here (no hdiutil outside macOS).
  requireTools("xorriso").it("picks a tool from PATH when ISO_TOOL is not set", async () => {
    const res = await runEntry("seed-iso", { projectRoot: root, env: env() });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("with xorriso");
  });

  it("names a missing seed file and writes no ISO", async () => {
    fs.rmSync(path.join(root, "generated/m1/seed/meta-data"));
    const res = await runEntry("seed-iso", { projectRoot: root, env: env() });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^seed-iso: seed directory .* has no meta-data file/m);
    expect(fs.existsSync(path.join(root, ISO))).toBe(false);
  });

  it("refuses an unknown ISO_TOOL", async () => {
    const res = await runEntry("seed-iso", { projectRoot: root, env: env({ ISO_TOOL: "rm" }) });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('ISO_TOOL="rm" is not one of hdiutil, xorriso, genisoimage, mkisofs');
  });

  it.each([
    ["outside VMS_DIR", "generated/m1/seed.iso"],
    ["an absolute path elsewhere", "OUTSIDE/seed.iso"],
    ["through a symlink", `${VMS_DIR}/link/seed.iso`],
  ])("refuses ISO_PATH %s", async (_what, isoPath) => {
    fs.mkdirSync(path.join(root, VMS_DIR), { recursive: true });
    fs.symlinkSync(outside, path.join(root, VMS_DIR, "link"));
    const res = await runEntry("seed-iso", {
      projectRoot: root,
      env: env({ ISO_PATH: isoPath.replace("OUTSIDE", outside) }),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^seed-iso: ISO_PATH=.*use a path inside/m);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import { buildSeedIso, findIsoTool, isoToolArgs } from "../../../../lib/runtime/iso/seed-iso";
import { runWithDeadline } from "../../../../lib/runtime/process/run-with-deadline";
import { makeSeedDir, makeTempDir, SAMPLE_SEED } from "../../../../test-support/fixtures";
import { requireTools } from "../../../../test-support/required-tools";

const xorriso = requireTools("xorriso");

let dir: string;
let seed: string;
beforeEach(() => {
  dir = makeTempDir();
  seed = makeSeedDir(path.join(dir, "generated", "m1", "seed"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function isoinfo(args: string[]): Promise<string> {
  const res = await runWithDeadline("isoinfo", args, { timeoutMs: 10_000 });
  expect(res.code).toBe(0);
  return res.stdout;
}

for (const tool of ["xorriso", "genisoimage"] as const) {
  requireTools(tool, "isoinfo").describe(`buildSeedIso with ${tool}`, () => {
    it("writes a cidata volume with Joliet and Rock Ridge holding exactly the seed files", async () => {
      fs.writeFileSync(path.join(seed, "README"), "not for the guest");
      fs.mkdirSync(path.join(seed, "subdir"));
      const output = path.join(dir, "VMs", "m1.vmwarevm", "seed.iso");
      const result = await buildSeedIso({ sourceDir: seed, output, tool, timeoutMs: 30_000 });
      expect(result).toEqual({ path: output, tool, files: ["user-data", "meta-data", "network-config"] });

      const header = await isoinfo(["-d", "-i", output]);
      expect(header).toMatch(/^Volume id: cidata$/m);
      expect(header).toContain("Joliet");
      expect(header).toContain("Rock Ridge signatures");
      const listing = (await isoinfo(["-f", "-R", "-i", output])).trim().split("\n").sort();
      expect(listing).toEqual(["/meta-data", "/network-config", "/user-data"]);
      for (const name of Object.keys(SAMPLE_SEED) as (keyof typeof SAMPLE_SEED)[]) {
        expect(await isoinfo(["-R", "-x", `/${name}`, "-i", output])).toBe(SAMPLE_SEED[name]);
      }
      expect(fs.readdirSync(path.dirname(output))).toEqual(["seed.iso"]);
    });

    it("adds vendor-data when present and replaces an existing ISO", async () => {
      fs.writeFileSync(path.join(seed, "vendor-data"), "#cloud-config\n{}\n");
      const output = path.join(dir, "seed.iso");
      fs.writeFileSync(output, "stale");
      await buildSeedIso({ sourceDir: seed, output, tool, timeoutMs: 30_000 });
      const listing = (await isoinfo(["-f", "-R", "-i", output])).trim().split("\n").sort();
      expect(listing).toEqual(["/meta-data", "/network-config", "/user-data", "/vendor-data"]);
    });
  });
}

describe("buildSeedIso", () => {
  xorriso.it("is byte-identical across runs with xorriso, even when file times change", async () => {
    const a = path.join(dir, "a.iso");
    const b = path.join(dir, "b.iso");
    await buildSeedIso({ sourceDir: seed, output: a, tool: "xorriso", timeoutMs: 30_000 });
    const later = new Date(Date.now() + 3_600_000);
    for (const name of fs.readdirSync(seed)) fs.utimesSync(path.join(seed, name), later, later);
    await buildSeedIso({ sourceDir: seed, output: b, tool: "xorriso", timeoutMs: 30_000 });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    // ...and different when the content differs (the comparison above can fail).
    fs.appendFileSync(path.join(seed, "user-data"), "# changed\n");
    await buildSeedIso({ sourceDir: seed, output: b, tool: "xorriso", timeoutMs: 30_000 });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(false);
  });

  it("names the missing required file and writes no ISO", async () => {
    fs.rmSync(path.join(seed, "network-config"));
    const output = path.join(dir, "out", "seed.iso");
    await expect(
      buildSeedIso({ sourceDir: seed, output, tool: "xorriso", timeoutMs: 30_000 }),
    ).rejects.toThrow(/has no network-config file/);
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
  });

  it("reports a missing seed directory", async () => {
    await expect(
      buildSeedIso({
        sourceDir: path.join(dir, "nope"),
        output: path.join(dir, "s.iso"),
        tool: "xorriso",
        timeoutMs: 30_000,
      }),
    ).rejects.toThrow(/seed directory .*nope does not exist/);
  });

  xorriso.it("cleans up its temporary when the ISO cannot be put in place", async () => {
    const vmDir = path.join(dir, "VMs");
    const output = path.join(vmDir, "seed.iso");
    fs.mkdirSync(output, { recursive: true }); // a directory where the ISO should go: the rename fails
    await expect(
      buildSeedIso({ sourceDir: seed, output, tool: "xorriso", timeoutMs: 30_000 }),
    ).rejects.toThrow(/EISDIR|directory/);
    expect(fs.readdirSync(vmDir)).toEqual(["seed.iso"]);
  });

  xorriso.it("stops the tool at the deadline and leaves nothing behind", async () => {
    const output = path.join(dir, "seed.iso");
    await expect(buildSeedIso({ sourceDir: seed, output, tool: "xorriso", timeoutMs: 1 })).rejects.toThrow(
      /xorriso did not finish within/,
    );
    expect(fs.readdirSync(dir)).toEqual(["generated"]);
  });
});

describe("findIsoTool", () => {
  it("prefers hdiutil, then xorriso, genisoimage, mkisofs", async () => {
    const only =
      (...names: string[]) =>
      (t: string) =>
        names.includes(t);
    await expect(findIsoTool(only("hdiutil", "xorriso"))).resolves.toBe("hdiutil");
    await expect(findIsoTool(only("mkisofs", "xorriso"))).resolves.toBe("xorriso");
    await expect(findIsoTool(only("mkisofs", "genisoimage"))).resolves.toBe("genisoimage");
    await expect(findIsoTool(only("mkisofs"))).resolves.toBe("mkisofs");
    await expect(findIsoTool(only())).resolves.toBeUndefined();
  });

  xorriso.it("finds a tool that is installed here by searching PATH", async () => {
    await expect(findIsoTool()).resolves.toBe("xorriso"); // no hdiutil on Linux
  });
});

describe("isoToolArgs", () => {
  it("gives hdiutil the staging folder, the cidata label and an output ending in .iso", () => {
    expect(
      isoToolArgs("hdiutil", "/v/.seed.iso.partial-1.iso", ["/s/user-data"], "/v/.seed.iso.partial-1.d", 0),
    ).toEqual([
      "makehybrid",
      "-iso",
      "-joliet",
      "-default-volume-name",
      "cidata",
      "-o",
      "/v/.seed.iso.partial-1.iso",
      "/v/.seed.iso.partial-1.d",
    ]);
  });
});

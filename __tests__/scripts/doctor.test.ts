import * as fs from "node:fs";
import * as path from "node:path";
import { CliProject, createCliProject } from "../../test-support/cli-project";
import { dhcpdConfText, networkingText } from "../../test-support/doctor-env";
import { runEntry } from "../../test-support/run-entry";

jest.setTimeout(60_000);

describe("scripts/doctor.ts", () => {
  let project: CliProject;
  let prefs: string;
  let leases: string;
  beforeEach(() => {
    project = createCliProject();
    prefs = path.join(project.root, "fake-fusion-prefs");
    leases = path.join(project.root, "fake-fusion-leases");
    fs.mkdirSync(path.join(prefs, "vmnet2"), { recursive: true });
    fs.mkdirSync(leases);
    fs.writeFileSync(path.join(prefs, "networking"), networkingText({ HOSTONLY_SUBNET: "10.20.0.0" }));
    fs.writeFileSync(
      path.join(prefs, "vmnet2", "dhcpd.conf"),
      dhcpdConfText("10.20.0.0", "10.10.0.128", "10.10.0.254"),
    );
  });
  afterEach(() => project.cleanup());

  const run = (args: string[], env: Record<string, string> = {}) =>
    runEntry("doctor", {
      projectRoot: project.root,
      args,
      env: { ...project.env, FUSION_PREFS_DIR: prefs, FUSION_LEASES_DIR: leases, ...env },
    });

  /** The fix printed under a check's row (its first line: the indented `fix:` line after the row's own lines). */
  const fixOf = (lines: string[], check: RegExp) => {
    const i = lines.findIndex((l) => check.test(l));
    if (i < 0) return undefined;
    const rest = lines.slice(i + 1);
    const end = rest.findIndex((l) => !l.startsWith(" "));
    const fix = (end < 0 ? rest : rest.slice(0, end)).find((l) => l.startsWith("  fix: "));
    return fix?.slice("  fix: ".length);
  };
  const ROW = /^(status|-------|ok|warning|FAIL)\s+\S|^ {2}fix: /;

  it("prints a table row per check with its fix under it, and exits 1 on a wrong vmnet2 subnet", async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^status\s+check\s+detail$/);
    const subnet = lines.find((l) => /^FAIL\s+vmnet2 subnet\s/.test(l));
    expect(subnet).toContain("VNET_2_HOSTONLY_SUBNET: expected 10.10.0.0, found 10.20.0.0");
    expect(fixOf(lines, /^FAIL\s+vmnet2 subnet\s/)).toContain("VNET_2_HOSTONLY_SUBNET");
    expect(lines.find((l) => /^ok\s+vmrun\s/.test(l))).toContain(project.env.VMRUN);
    expect(lines.find((l) => /^ok\s+SSH public key\s/.test(l))).toBeDefined();
    expect(lines.every((l) => ROW.test(l))).toBe(true);
    expect(r.stderr).toMatch(/doctor: \d+ ok, \d+ warnings?, \d+ failures?: fix the failures above/);
  });

  it("fits 80 columns (COLUMNS=80): every line, the fixes wrapped; each fix printed once", async () => {
    const bin = path.join(project.root, "only-node");
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    // No vmrun, no tools, no key: the rows with the longest details and fixes.
    fs.rmSync(path.join(project.root, "id_test.pub"));
    const r = await run([], { PATH: bin, VMRUN: "", COLUMNS: "80" });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(lines.length).toBeGreaterThan(20);
    // vmrun's install hint is the fix, not also part of the detail.
    const hint = /install VMware (Workstation|Fusion) [\d.]+ or newer/;
    expect(lines.filter((l) => hint.test(l))).toHaveLength(1);
    expect(fixOf(lines, /^FAIL\s+vmrun\s/)).toMatch(hint);
    expect(r.stdout.match(/ssh-keygen -t ed25519/g)).toHaveLength(1);
  });

  it("--failures-only prints only the failures; --json prints every result", async () => {
    const only = await run(["--failures-only"]);
    expect(only.code).toBe(1);
    const lines = only.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.slice(2).every((l) => /^FAIL |^ {2}fix: /.test(l))).toBe(true);
    expect(lines.some((l) => l.includes("vmnet2 subnet"))).toBe(true);

    const json = await run(["--json"]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as {
      ok: boolean;
      results: Array<{ check: string; status: string }>;
    };
    expect(parsed.ok).toBe(false);
    expect(parsed.results.find((x) => x.check === "vmnet2 subnet")?.status).toBe("failure");
    expect(parsed.results.find((x) => x.check === "vmnet2 NAT")?.status).toBe("ok");
  });

  it("reports tools missing from PATH as failures", async () => {
    const bin = path.join(project.root, "only-node");
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    const r = await run(["--failures-only"], { PATH: bin });
    expect(r.code).toBe(1);
    // The real doctor names the install route of the host it runs on (both routes: run-doctor.test.ts).
    const fix =
      process.platform === "darwin"
        ? {
            qemuImg: "brew install qemu",
            terraform:
              "brew install hashicorp/tap/terraform (not plain brew install terraform, which is frozen at 1.5.7)",
          }
        : {
            qemuImg: "sudo apt-get install qemu-utils",
            terraform:
              "install terraform from HashiCorp's apt repository (https://developer.hashicorp.com/terraform/install)",
          };
    const lines = r.stdout.split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^FAIL\s+qemu-img\s+qemu-img is not on PATH$/));
    expect(fixOf(lines, /^FAIL\s+qemu-img\s/)).toBe(fix.qemuImg);
    expect(fixOf(lines, /^FAIL\s+terraform\s+terraform is not on PATH$/)).toBe(fix.terraform);
    expect(r.stdout).toMatch(/^FAIL\s+ISO tool\s/m);
  });
});

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

  it("prints one line per check with the fix, and exits 1 on a wrong vmnet2 subnet", async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    const subnet = lines.find((l) => /^FAIL\s+vmnet2 subnet\s/.test(l));
    expect(subnet).toContain("VNET_2_HOSTONLY_SUBNET: expected 10.10.0.0, found 10.20.0.0");
    expect(subnet).toContain("fix: ");
    expect(lines.find((l) => /^ok\s+vmrun\s/.test(l))).toContain(project.env.VMRUN);
    expect(lines.find((l) => /^ok\s+SSH public key\s/.test(l))).toBeDefined();
    expect(lines.every((l) => /^(ok|warning|FAIL)\s+\S/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/doctor: \d+ ok, \d+ warnings?, \d+ failures?: fix the failures above/);
  });

  it("--failures-only prints only the failures; --json prints every result", async () => {
    const only = await run(["--failures-only"]);
    expect(only.code).toBe(1);
    const lines = only.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith("FAIL "))).toBe(true);
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
    expect(lines).toContainEqual(
      expect.stringMatching(/^FAIL\s+qemu-img\s+qemu-img is not on PATH {2}fix: /),
    );
    expect(lines.find((l) => /^FAIL\s+qemu-img\s/.test(l))?.endsWith(`fix: ${fix.qemuImg}`)).toBe(true);
    expect(
      lines
        .find((l) => /^FAIL\s+terraform\s+terraform is not on PATH/.test(l))
        ?.endsWith(`fix: ${fix.terraform}`),
    ).toBe(true);
    expect(r.stdout).toMatch(/^FAIL\s+ISO tool\s/m);
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import { formatReport } from "../../../../lib/commands/doctor/format";
import { type DoctorReport, runDoctor } from "../../../../lib/commands/doctor/run-doctor";
import { parseVmwareVersion } from "../../../../lib/commands/doctor/tools";
import { CheckResult } from "../../../../lib/commands/doctor/types";
import {
  createFakeDoctorHost,
  dhcpdConfText,
  FAKE_BIN,
  FakeDoctorHost,
  leaseText,
  networkingText,
} from "../../../../test-support/doctor-env";
import { deriveMac } from "../../../../lib/model/net/mac";

const rowsOf = (results: readonly CheckResult[], check: string) => results.filter((r) => r.check === check);
const statusOf = (results: readonly CheckResult[], check: string) =>
  rowsOf(results, check).map((r) => r.status);
const failures = (results: readonly CheckResult[]) => results.filter((r) => r.status === "failure");

describe("runDoctor", () => {
  let host: FakeDoctorHost;
  beforeEach(() => {
    host = createFakeDoctorHost();
  });
  afterEach(() => host.cleanup());

  it("passes a good host with every check ok", async () => {
    const report = await runDoctor(host.env());
    expect(failures(report.results)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.results.filter((r) => r.status === "warning")).toEqual([]);
    expect(statusOf(report.results, "VMware version")).toEqual(["ok"]);
    expect(rowsOf(report.results, "VMware version")[0].detail).toBe("VMware Fusion 13.6.3");
    expect(statusOf(report.results, "vmnet2 subnet")).toEqual(["ok"]);
    expect(statusOf(report.results, "vmnet2 DHCP range")).toEqual(["ok"]);
    expect(statusOf(report.results, "bridged network")).toEqual(["ok"]);
  });

  it("fails when vmnet2 is missing, with the vmnet-cfgcli commands as the fix", async () => {
    host.write(path.join(host.prefsDir, "networking"), networkingText(null));
    const report = await runDoctor(host.env());
    const [row] = rowsOf(report.results, "vmnet2");
    expect(row.status).toBe("failure");
    expect(row.detail).toContain("vmnet2 is not defined");
    expect(row.fix).toContain('vmnet-cfgcli" vnetcfgadd VNET_2_DHCP yes');
    expect(row.fix).toContain("VNET_2_HOSTONLY_SUBNET 10.10.0.0");
    expect(report.ok).toBe(false);
  });

  it("names expected and found value for a wrong subnet and NAT off", async () => {
    host.write(
      path.join(host.prefsDir, "networking"),
      networkingText({ HOSTONLY_SUBNET: "10.20.0.0", NAT: "no" }),
    );
    const report = await runDoctor(host.env());
    const [subnet] = rowsOf(report.results, "vmnet2 subnet");
    expect(subnet).toMatchObject({
      status: "failure",
      detail: "VNET_2_HOSTONLY_SUBNET: expected 10.10.0.0, found 10.20.0.0",
    });
    expect(subnet.fix).toContain("vnetcfgadd VNET_2_HOSTONLY_SUBNET 10.10.0.0");
    const [nat] = rowsOf(report.results, "vmnet2 NAT");
    expect(nat).toMatchObject({ status: "failure", detail: "VNET_2_NAT: expected yes, found no" });
    expect(nat.fix).toContain("vnetcfgadd VNET_2_NAT yes");
    expect(statusOf(report.results, "vmnet2 netmask")).toEqual(["ok"]);
  });

  it("gives Linux Workstation fixes and reads its dhcpd layout", async () => {
    host.write(
      path.join(host.prefsDir, "vmnet2", "dhcpd", "dhcpd.conf"),
      dhcpdConfText("10.10.0.0", "10.10.0.128", "10.10.0.254"),
    );
    host.write(path.join(host.prefsDir, "networking"), networkingText({ DHCP: "no" }));
    const report = await runDoctor({ ...host.env(), platform: "linux" });
    const [dhcp] = rowsOf(report.results, "vmnet2 DHCP");
    expect(dhcp.status).toBe("failure");
    expect(dhcp.fix).toContain("vmware-networks --stop");
  });

  it("scans the DHCP ranges of every vmnet, not only vmnet2", async () => {
    host.write(
      path.join(host.prefsDir, "vmnet8", "dhcpd.conf"),
      dhcpdConfText("172.16.20.0", "192.168.68.200", "192.168.68.250"),
    );
    const report = await runDoctor(host.env());
    expect(rowsOf(report.results, "external VIP vs DHCP")[0]).toMatchObject({
      status: "failure",
      detail: expect.stringContaining("vmnet8's DHCP range 192.168.68.200-192.168.68.250"),
    });
  });

  it("fails when vmnet0 is not bridged and warns when the networking file is unreadable", async () => {
    host.write(
      path.join(host.prefsDir, "networking"),
      `${networkingText()}answer VNET_0_HOSTONLY_SUBNET 172.16.30.0\n`,
    );
    expect(statusOf((await runDoctor(host.env())).results, "bridged network")).toEqual(["failure"]);
    const report = await runDoctor(
      host.env({ extraEnv: { FUSION_PREFS_DIR: path.join(host.root, "nowhere") } }),
    );
    expect(statusOf(report.results, "bridged network")).toEqual(["warning"]);
    expect(rowsOf(report.results, "vmnet2")[0]).toMatchObject({
      status: "failure",
      detail: expect.stringContaining("cannot read"),
    });
  });

  it("checks that the host has an address in network.lan.subnet, where the gateways are bridged", async () => {
    const good = rowsOf(
      (await runDoctor(host.env({ hostAddresses: ["10.0.0.5", "192.168.68.20"] }))).results,
      "LAN address",
    );
    expect(good).toEqual([
      {
        check: "LAN address",
        status: "ok",
        detail: "this host has 192.168.68.20 in network.lan.subnet 192.168.68.0/24",
      },
    ]);
    const away = await runDoctor(host.env({ hostAddresses: ["192.168.1.23", "10.10.0.1"] }));
    expect(rowsOf(away.results, "LAN address")).toEqual([
      {
        check: "LAN address",
        status: "failure",
        detail:
          "this host has no address in network.lan.subnet 192.168.68.0/24 (its addresses: 192.168.1.23, 10.10.0.1): the gateways' bridged NIC and the external VIP would be on a network that is not here",
        fix: "run npm run configure (it reads your LAN from the default route), or set network.lan.subnet and network.externalVip to your LAN in cluster.yaml",
      },
    ]);
    expect(away.ok).toBe(false);
  });

  it("fails when a DHCP range covers the internal VIP, and when vmnet2's range differs from the config", async () => {
    host.write(
      path.join(host.prefsDir, "vmnet2", "dhcpd.conf"),
      dhcpdConfText("10.10.0.0", "10.10.0.50", "10.10.0.254"),
    );
    const report = await runDoctor(host.env());
    const [vip] = rowsOf(report.results, "internal VIP vs DHCP");
    expect(vip.status).toBe("failure");
    expect(vip.detail).toBe(
      "internal VIP 10.10.0.100 lies in vmnet2's DHCP range 10.10.0.50-10.10.0.254: a VM may be given it",
    );
    expect(vip.fix).toContain("network.internalVip");
    const [range] = rowsOf(report.results, "vmnet2 DHCP range");
    expect(range.status).toBe("failure");
    expect(range.detail).toContain("expected range 10.10.0.128-10.10.0.254, found 10.10.0.50-10.10.0.254");
    expect(statusOf(report.results, "VIPs vs DHCP")).toEqual([]);
  });

  it("fails on an active lease of a static address held by another MAC; ignores expired leases and the VM's own MAC", async () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const hour = 3600_000;
    const leases = host.write(
      path.join(host.leasesDir, "vmnet-dhcpd-vmnet2.leases"),
      leaseText(
        "10.10.0.148",
        "00:50:56:3f:00:01",
        new Date(now.getTime() - hour),
        new Date(now.getTime() + hour),
      ) +
        leaseText(
          "10.10.0.100",
          "00:50:56:3f:00:02",
          new Date(now.getTime() - 3 * hour),
          new Date(now.getTime() - 2 * hour),
        ),
    );
    let report = await runDoctor(host.env({ now }));
    const [row] = rowsOf(report.results, "static addresses vs leases");
    expect(row.status).toBe("failure");
    expect(row.detail).toContain("10.10.0.148 (apt-cache-server) is leased to 00:50:56:3f:00:01");
    expect(row.detail).not.toContain("10.10.0.100");

    // The APT cache's own lease for its address is not a collision.
    host.write(
      leases,
      leaseText(
        "10.10.0.148",
        deriveMac("apt-cache-server", 0),
        new Date(now.getTime() - hour),
        new Date(now.getTime() + hour),
      ),
    );
    report = await runDoctor(host.env({ now }));
    expect(statusOf(report.results, "static addresses vs leases")).toEqual(["ok"]);
  });

  it("reports a missing SSH key as a failure and still runs the other checks", async () => {
    host.cleanup();
    host = createFakeDoctorHost({ key: false });
    const report = await runDoctor(host.env());
    const [key] = rowsOf(report.results, "SSH public key");
    expect(key.status).toBe("failure");
    expect(key.detail).toContain("id_test.pub");
    expect(key.fix).toContain("ssh-keygen -t ed25519");
    expect(statusOf(report.results, "vmnet2 subnet")).toEqual(["ok"]);
    expect(statusOf(report.results, "memory")).toEqual(["ok"]);
    expect(failures(report.results)).toEqual([key]);
  });

  it("fails, before a deploy makes anything, when the project's path is one ssh would misread", async () => {
    const link = path.join(path.dirname(host.root), `lab 100%d ${path.basename(host.root)}`);
    fs.symlinkSync(host.root, link);
    try {
      const good = await runDoctor(host.env());
      expect(rowsOf(good.results, "project folder")).toEqual([]);
      const report = await runDoctor({ ...host.env(), projectRoot: link });
      expect(failures(report.results)).toEqual([
        {
          check: "project folder",
          status: "failure",
          detail: `${JSON.stringify(link)} holds a quote, a control character, % or \${, which ssh would misread (the VMs' host keys are pinned in files below it)`,
          fix: "move or rename the project folder so its path has none of them",
        },
      ]);
    } finally {
      fs.rmSync(link);
    }
  });

  it("turns any other config error into a failure row and skips the cluster checks", async () => {
    host.write("cluster.yaml", "arch: sparc\nsshPublicKeyFile: id_test.pub\n");
    const report = await runDoctor(host.env());
    const config = rowsOf(report.results, "config");
    expect(config.length).toBeGreaterThan(0);
    expect(config[0].status).toBe("failure");
    expect(config[0].detail).toContain("arch");
    expect(statusOf(report.results, "cluster checks")).toEqual(["failure"]);
    expect(statusOf(report.results, "qemu-img")).toEqual(["ok"]);
  });

  it("fails for missing tools, with install fixes", async () => {
    const report = await runDoctor(host.env({ tools: {}, executables: [], extraEnv: { VMRUN: "" } }));
    expect(rowsOf(report.results, "vmrun")[0]).toMatchObject({ status: "failure" });
    expect(rowsOf(report.results, "qemu-img")[0]).toMatchObject({
      status: "failure",
      fix: "brew install qemu",
    });
    expect(rowsOf(report.results, "terraform")[0]).toMatchObject({
      status: "failure",
      fix: "brew install hashicorp/tap/terraform (not plain brew install terraform, which is frozen at 1.5.7)",
    });
    expect(rowsOf(report.results, "ISO tool")[0].status).toBe("failure");
  });

  it("on Linux, names Workstation and apt in every fix, never Fusion or Homebrew", async () => {
    const report = await runDoctor({
      ...host.env({
        tools: {},
        executables: [],
        extraEnv: { VMRUN: "", FUSION_PREFS_DIR: path.join(host.root, "nowhere") },
      }),
      platform: "linux",
    });
    expect(rowsOf(report.results, "vmrun")[0]).toMatchObject({
      status: "failure",
      fix: "install VMware Workstation 17.5 or newer (or set VMRUN=/path/to/vmrun)",
    });
    expect(rowsOf(report.results, "qemu-img")[0].fix).toBe("sudo apt-get install qemu-utils");
    expect(rowsOf(report.results, "ISO tool")[0].fix).toBe("sudo apt-get install xorriso");
    expect(rowsOf(report.results, "terraform")[0].fix).toContain("HashiCorp's apt repository");
    const fixes = report.results.map((r) => r.fix ?? "").filter(Boolean);
    expect(fixes.length).toBeGreaterThan(5);
    expect(fixes.filter((f) => /Fusion|brew/.test(f))).toEqual([]);
    expect(rowsOf(report.results, "bridged network")[0].fix).toContain("VMware Workstation");
  });

  it("speaks of the host it runs on: on Linux never the Mac or macOS, on a Mac the Mac", async () => {
    // More VM memory than the host has, and a vmnet host address inside the DHCP range.
    const yaml = [
      "arch: amd64",
      "sshPublicKeyFile: id_test.pub",
      "network: {nat: {hostAddress: 10.10.0.200}}",
      "vms: [{name: gateway1, role: gateway}, {name: k8s-master1, role: master}]",
      "",
    ].join("\n");
    host.write("cluster.yaml", yaml);
    const linux = await runDoctor({ ...host.env({ totalMemGb: 6, cpus: 1 }), platform: "linux" });
    const text = (r: DoctorReport) => r.results.map((x) => `${x.detail} ${x.fix ?? ""}`).join("\n");
    expect(text(linux)).toContain("DHCP range");
    expect(text(linux)).toContain(".1 for the host");
    expect(text(linux)).not.toMatch(/\bMac\b|macOS|Fusion|brew/);
    host.write("cluster.yaml", yaml.replace("network: {nat: {hostAddress: 10.10.0.200}}\n", ""));
    const memory = async (platform: NodeJS.Platform) =>
      rowsOf((await runDoctor({ ...host.env({ totalMemGb: 6 }), platform })).results, "memory")[0];
    expect((await memory("linux")).detail).toContain("the host will swap");
    expect((await memory("darwin")).detail).toContain("the Mac will swap");
    // A fix names the command that does it.
    expect((await memory("linux")).fix).toMatch(/^npm run configure -- --force picks a cluster size/);
  });

  it("judges the VMware version: too old fails, before 13.5 warns for hardware 21, unknown warns", async () => {
    const vmx = "/Applications/VMware Fusion.app/Contents/Library/vmware-vmx";
    const withVmx = (stderr: string) => host.env({ tools: { [vmx]: { stderr } } });
    expect(
      rowsOf((await runDoctor(withVmx("VMware Fusion 12.2.5 build-1"))).results, "VMware version")[0].status,
    ).toBe("failure");
    const old = rowsOf(
      (await runDoctor(withVmx("VMware Fusion 13.0.2 build-1"))).results,
      "VMware version",
    )[0];
    expect(old.status).toBe("warning");
    expect(old.fix).toContain("virtualHwVersion: 20");
    const noVmx = await runDoctor(host.env({ executables: [`${FAKE_BIN}/vmrun`] }));
    expect(rowsOf(noVmx.results, "VMware version")[0]).toMatchObject({
      status: "warning",
      detail: expect.stringContaining("version unknown"),
    });
    const hung = await runDoctor(host.env({ tools: { [vmx]: { timedOut: true, code: null } } }));
    expect(rowsOf(hung.results, "VMware version")[0]).toMatchObject({
      status: "warning",
      detail: expect.stringContaining("did not answer within 10 s"),
    });
    expect(parseVmwareVersion("VMware Workstation 17.6.1 build-24319023")).toEqual({
      product: "Workstation",
      major: 17,
      minor: 6,
      patch: 1,
    });
  });

  it("judges memory, vCPUs and disk against the host", async () => {
    // 3 cluster VMs + cache: 2+4+4+2 GiB = 12 GiB, 2+2+4+2 = 10 vCPUs.
    let report = await runDoctor(host.env({ totalMemGb: 12, cpus: 4, freeDiskGb: 20 }));
    expect(statusOf(report.results, "memory")).toEqual(["failure"]);
    expect(statusOf(report.results, "vCPUs")).toEqual(["warning"]);
    // need: 4 new disks x 40 GiB x 25% = 40 + image 3.5 + headroom 12 = 55.5 GiB
    expect(rowsOf(report.results, "disk space")[0]).toMatchObject({
      status: "failure",
      detail: expect.stringContaining("= 55.5 GiB"),
    });
    report = await runDoctor(host.env({ totalMemGb: 16, cpus: 8, freeDiskGb: 100 }));
    expect(statusOf(report.results, "memory")).toEqual(["warning"]);
    expect(statusOf(report.results, "vCPUs")).toEqual(["ok"]);
    expect(statusOf(report.results, "disk space")).toEqual(["warning"]);
  });

  it("verifies a downloaded base image against a pinned sha256", async () => {
    const image = "base_images/noble-server-cloudimg-amd64.img";
    host.write(image, "not really an image");
    let report = await runDoctor(host.env());
    expect(rowsOf(report.results, "base image")[0]).toMatchObject({
      status: "warning",
      detail: expect.stringContaining("not verified offline"),
    });
    const yaml = [
      "arch: amd64",
      "sshPublicKeyFile: id_test.pub",
      `baseImage: {sha256: "${"0".repeat(64)}"}`,
      "",
    ].join("\n");
    host.write("cluster.yaml", yaml);
    report = await runDoctor(host.env());
    const row = rowsOf(report.results, "base image")[0];
    expect(statusOf(report.results, "config")).toEqual(["ok"]);
    expect(row.status).toBe("failure");
    expect(row.detail).toContain(`expected ${"0".repeat(64)}`);
  });
});

describe("formatReport", () => {
  const results: CheckResult[] = [
    { check: "qemu-img", status: "ok", detail: "qemu-img version 9" },
    { check: "memory", status: "warning", detail: "75%", fix: "lower memoryMb" },
    {
      check: "vmnet2 NAT",
      status: "failure",
      detail: "expected yes, found no",
      fix: "vnetcfgadd VNET_2_NAT yes",
    },
  ];
  it("prints a compact table, each fix once on a line under its row", () => {
    expect(formatReport(results, {}, undefined).split("\n")).toEqual([
      "status   check       detail",
      "-------  ----------  ----------------------",
      "ok       qemu-img    qemu-img version 9",
      "warning  memory      75%",
      "  fix: lower memoryMb",
      "FAIL     vmnet2 NAT  expected yes, found no",
      "  fix: vnetcfgadd VNET_2_NAT yes",
      "",
    ]);
  });
  it("wraps the check, the detail and the fix to a width of 80 and more, never over it", () => {
    const long: CheckResult[] = [
      {
        check: "static addresses vs leases",
        status: "failure",
        detail: `10.10.0.148 (apt-cache-server) is leased to 00:50:56:aa:bb:cc until 2026-06-01T13:00:00.000Z in ${"/very/long/path".repeat(6)}/dhcpd.leases`,
        fix: "stop the machine holding the address (or pick another address in cluster.yaml); a VM that no longer exists keeps its lease until it ends",
      },
    ];
    for (const width of [80, 100]) {
      const lines = formatReport(long, {}, width).trimEnd().split("\n");
      expect(lines.filter((l) => l.length > width)).toEqual([]);
      expect(lines.filter((l) => l.startsWith("  fix: "))).toHaveLength(1);
      expect(lines.join(" ").replace(/\s+/g, "")).toContain(long[0].fix!.replace(/\s+/g, ""));
    }
  });
  it("prints only failures with failuresOnly (nothing when none failed), and JSON with json", () => {
    expect(formatReport(results, { failuresOnly: true }, undefined)).toBe(
      [
        "status  check       detail",
        "------  ----------  ----------------------",
        "FAIL    vmnet2 NAT  expected yes, found no",
        "  fix: vnetcfgadd VNET_2_NAT yes",
        "",
      ].join("\n"),
    );
    expect(formatReport(results.slice(0, 2), { failuresOnly: true }, undefined)).toBe("");
    expect(JSON.parse(formatReport(results, { json: true }))).toEqual({ ok: false, results });
  });
});

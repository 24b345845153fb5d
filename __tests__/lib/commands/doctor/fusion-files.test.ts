import type { DoctorEnv } from "../../../../lib/commands/doctor/types";
import {
  dhcpdConfFile,
  isActive,
  leasesFile,
  networkingFile,
  normalizeMac,
  parseDhcpRanges,
  parseLeases,
  parseNetworking,
  prefixToMask,
} from "../../../../lib/commands/doctor/fusion-files";
import { dhcpdConfText, leaseText, networkingText } from "../../../../test-support/doctor-env";

describe("Fusion networking files", () => {
  it("parses the answers of every vmnet", () => {
    const answers = parseNetworking(networkingText({ NAT: "no" }));
    expect(answers.get(2)?.get("HOSTONLY_SUBNET")).toBe("10.10.0.0");
    expect(answers.get(2)?.get("NAT")).toBe("no");
    expect(answers.get(8)?.get("NAT")).toBe("yes");
    expect(answers.has(0)).toBe(false);
  });

  it("reads the range of dhcpd.conf and ignores commented ranges", () => {
    const text = `# range 1.1.1.1 1.1.1.2;\n${dhcpdConfText("10.10.0.0", "10.10.0.128", "10.10.0.254")}`;
    expect(parseDhcpRanges(text)).toEqual([{ start: "10.10.0.128", end: "10.10.0.254" }]);
  });

  it("parses ISC leases with MAC and end time, and tells active from expired", () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const text =
      leaseText(
        "10.10.0.130",
        "00:50:56:2A:0b:01",
        new Date("2026-06-01T11:00:00Z"),
        new Date("2026-06-01T13:00:00Z"),
      ) +
      leaseText(
        "10.10.0.131",
        "0:50:56:1:2:3",
        new Date("2026-05-01T11:00:00Z"),
        new Date("2026-05-01T11:30:00Z"),
      );
    const leases = parseLeases(text);
    expect(leases.map((l) => [l.ip, l.mac, l.ends?.toISOString(), isActive(l, now)])).toEqual([
      ["10.10.0.130", "00:50:56:2a:0b:01", "2026-06-01T13:00:00.000Z", true],
      ["10.10.0.131", "00:50:56:01:02:03", "2026-05-01T11:30:00.000Z", false],
    ]);
    expect(normalizeMac("0:50:56:A:b:c")).toBe("00:50:56:0a:0b:0c");
  });

  it("uses Fusion's paths on macOS, Workstation's on Linux, and the FUSION_* overrides", () => {
    const env = (platform: NodeJS.Platform, vars: NodeJS.ProcessEnv = {}) =>
      ({ platform, env: vars, exists: () => false }) as unknown as DoctorEnv;
    expect(networkingFile(env("darwin"))).toBe("/Library/Preferences/VMware Fusion/networking");
    expect(dhcpdConfFile(env("darwin"), "vmnet2")).toBe(
      "/Library/Preferences/VMware Fusion/vmnet2/dhcpd.conf",
    );
    expect(leasesFile(env("darwin"), "vmnet2")).toBe("/var/db/vmware/vmnet-dhcpd-vmnet2.leases");
    expect(networkingFile(env("linux"))).toBe("/etc/vmware/networking");
    expect(dhcpdConfFile(env("linux"), "vmnet2")).toBe("/etc/vmware/vmnet2/dhcpd/dhcpd.conf");
    expect(leasesFile(env("linux"), "vmnet2")).toBe("/etc/vmware/vmnet2/dhcpd/dhcpd.leases");
    const custom = env("darwin", { FUSION_PREFS_DIR: "/p", FUSION_LEASES_DIR: "/l" });
    expect([networkingFile(custom), leasesFile(custom, "vmnet3")]).toEqual([
      "/p/networking",
      "/l/vmnet-dhcpd-vmnet3.leases",
    ]);
  });

  it("turns prefix lengths into dotted masks", () => {
    expect([prefixToMask(24), prefixToMask(16), prefixToMask(20), prefixToMask(32)]).toEqual([
      "255.255.255.0",
      "255.255.0.0",
      "255.255.240.0",
      "255.255.255.255",
    ]);
  });
});

import { parse } from "yaml";
import { otherMac, tamperNetworkConfigMac, tamperUserDataDeprecated } from "../../e2e/lib/tamper";

const config =
  "version: 2\nethernets:\n  ens160:\n    match:\n      macaddress: 00:50:56:0f:35:27\n    set-name: ens160\n  ens192:\n    match:\n      macaddress: 00:50:56:2e:50:48\n    set-name: ens192\n";

describe("negative run: a seed whose network-config disagrees with the .vmx", () => {
  it("changes exactly one NIC's MAC to another one in VMware's range", () => {
    const { text, replacement } = tamperNetworkConfigMac(config, "00:50:56:0f:35:27");
    expect(replacement).toBe("00:50:56:0f:35:28");
    const doc = parse(text) as { ethernets: Record<string, { match: { macaddress: string } }> };
    expect(doc.ethernets.ens160.match.macaddress).toBe("00:50:56:0f:35:28");
    expect(doc.ethernets.ens192.match.macaddress).toBe("00:50:56:2e:50:48");
  });

  it("wraps the last byte and refuses a MAC that is not there", () => {
    expect(otherMac("00:50:56:00:00:ff")).toBe("00:50:56:00:00:00");
    expect(() => tamperNetworkConfigMac(config, "00:50:56:00:00:01")).toThrow(/0 times/);
    expect(() => otherMac("nope")).toThrow(/not a MAC/);
  });
});

describe("the degraded-seed negative run's user-data", () => {
  it("appends the deprecated key at the top level, once, to a cloud-config", () => {
    const out = tamperUserDataDeprecated(
      "#cloud-config\nwrite_files:\n  - path: /x\n    content: |\n      a\n",
    );
    expect(out.endsWith("      a\napt_reboot_if_required: false\n")).toBe(true);
    expect(parse(out)).toMatchObject({
      apt_reboot_if_required: false,
      write_files: [{ path: "/x", content: "a\n" }],
    });
    expect(() => tamperUserDataDeprecated("#!/bin/sh\n")).toThrow(/does not start with #cloud-config/);
    expect(() => tamperUserDataDeprecated("#cloud-config\npackage_reboot_if_required: true\n")).toThrow(
      /already sets/,
    );
  });
});

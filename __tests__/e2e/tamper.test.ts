import { parse } from "yaml";
import { otherMac, tamperNetworkConfigMac } from "../../e2e/lib/tamper";

const config = "version: 2\nethernets:\n  ens160:\n    match:\n      macaddress: 00:50:56:0f:35:27\n    set-name: ens160\n  ens192:\n    match:\n      macaddress: 00:50:56:2e:50:48\n    set-name: ens192\n";

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

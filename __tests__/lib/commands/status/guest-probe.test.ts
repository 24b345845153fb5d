import { parseCloudInitStatus, parseIpv4Addresses } from "../../../../lib/commands/status/guest-probe";

describe("guest probe parsers", () => {
  it("reads cloud-init's status word from old and new outputs", () => {
    expect(parseCloudInitStatus("status: done\n")).toBe("done");
    expect(parseCloudInitStatus("\nstatus: error\nextended_status: error - done\n")).toBe("error");
    expect(parseCloudInitStatus("status: running\n")).toBe("running");
    expect(parseCloudInitStatus("bash: cloud-init: command not found\n")).toBeUndefined();
  });

  it("reads every IPv4 address of `ip -4 -o addr show`", () => {
    const out =
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n2: ens160    inet 192.168.68.50/24 metric 100 brd 192.168.68.255 scope global dynamic ens160\n2: ens160    inet 192.168.68.210/24 scope global secondary ens160\n";
    expect(parseIpv4Addresses(out)).toEqual(["127.0.0.1", "192.168.68.50", "192.168.68.210"]);
  });
});

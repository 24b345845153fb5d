import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EntryInputError } from "../../../../lib/model/entry/contract";
import { driverFor, parseAddresses, parseNetworks, pathInVmsDir } from "../../../../lib/runtime/vm/inputs";

let root: string;

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "vm-inputs-test-")));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("pathInVmsDir", () => {
  it("resolves a project-relative .vmx inside the VMs folder, whether or not it exists yet", () => {
    expect(pathInVmsDir(root, "VMs/k8s_cluster", "VMs/k8s_cluster/a.vmwarevm/a.vmx")).toBe(
      path.join(root, "VMs/k8s_cluster/a.vmwarevm/a.vmx"),
    );
  });

  it.each([
    ["../x.vmx", /VMX_PATH="\.\.\/x\.vmx" resolves to .* outside/],
    ["/etc/x.vmx", /VMX_PATH="\/etc\/x\.vmx" resolves to .* outside/],
    ["generated/a/a.vmx", /outside/],
    ["VMs/k8s_cluster/../other/a.vmx", /outside/],
  ])("refuses %s", (vmx, message) => {
    expect(() => pathInVmsDir(root, "VMs/k8s_cluster", vmx)).toThrow(message);
  });

  it("names the inputs as the caller calls them", () => {
    const labels = { vmsDir: "query.vms_dir", vmx: "query.vmx_path" };
    expect(() => pathInVmsDir(root, "VMs", "../x.vmx", labels)).toThrow(
      /^query\.vmx_path="\.\.\/x\.vmx" resolves to/,
    );
    expect(() => pathInVmsDir(root, "..", "x.vmx", labels)).toThrow(/^query\.vms_dir="\.\." /);
  });

  it("refuses a VMs folder outside the project and a link out of it", () => {
    expect(() => pathInVmsDir(root, "../VMs", "../VMs/a.vmx")).toThrow(/VMS_DIR=.*outside/);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "vm-inputs-outside-"));
    try {
      fs.mkdirSync(path.join(root, "VMs"));
      fs.symlinkSync(outside, path.join(root, "VMs", "k8s_cluster"));
      expect(() => pathInVmsDir(root, "VMs/k8s_cluster", "VMs/k8s_cluster/a.vmwarevm/a.vmx")).toThrow(
        /symlink/,
      );
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("parseNetworks", () => {
  it("parses a comma list, ignoring blanks", () => {
    expect(
      parseNetworks("IP_NETWORKS", " 10.10.0.0/24, ,192.168.68.0/24,").map(
        (c) => `${c.network}/${c.prefixLength}`,
      ),
    ).toEqual(["10.10.0.0/24", "192.168.68.0/24"]);
  });

  it("an empty list or a bad block is an input error naming the variable", () => {
    expect(() => parseNetworks("IP_NETWORKS", " , ")).toThrow(EntryInputError);
    expect(() => parseNetworks("IP_NETWORKS", "")).toThrow(/IP_NETWORKS is empty/);
    expect(() => parseNetworks("query.networks", "10.10.0.0/24,10.10.0.5/24")).toThrow(
      /^query\.networks: 10\.10\.0\.5\/24 has host bits set/,
    );
    expect(() => parseNetworks("IP_NETWORKS", "10.10.0.0")).toThrow(/IP_NETWORKS: not an IPv4 CIDR block/);
  });
});

describe("parseAddresses", () => {
  it("drops empty entries (an unset VIP) and keeps the rest", () => {
    expect(parseAddresses("IP_EXCLUDE", "")).toEqual([]);
    expect(parseAddresses("IP_EXCLUDE", ",192.168.68.210, 10.10.0.100,")).toEqual([
      "192.168.68.210",
      "10.10.0.100",
    ]);
  });

  it("anything else must be IPv4", () => {
    expect(() => parseAddresses("IP_EXCLUDE", "10.10.0.100,vip")).toThrow(
      'IP_EXCLUDE: "vip" is not an IPv4 address',
    );
    expect(() => parseAddresses("IP_EXCLUDE", "10.10.0.0/24")).toThrow(EntryInputError);
  });
});

describe("driverFor", () => {
  it("takes vmrun from VMRUN and the deadline from VMRUN_TIMEOUT_SECONDS", () => {
    const vmrun = path.join(root, "vmrun");
    fs.writeFileSync(vmrun, "#!/bin/sh\n", { mode: 0o755 });
    const driver = driverFor(root, { VMRUN: vmrun, VMRUN_TIMEOUT_SECONDS: "7", PATH: "" });
    expect([driver.binary, driver.timeoutMs]).toEqual([vmrun, 7000]);
    expect(driver.resolveVmx("VMs/a.vmx")).toBe(path.join(root, "VMs/a.vmx"));
    expect(() => driverFor(root, { VMRUN: vmrun, VMRUN_TIMEOUT_SECONDS: "soon" })).toThrow(
      /VMRUN_TIMEOUT_SECONDS="soon" is not a whole number/,
    );
  });
});

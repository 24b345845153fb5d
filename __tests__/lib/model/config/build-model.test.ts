import {
  buildClusterModel,
  HostFacts,
  inventoryVariable,
  parseClusterConfig,
  startOrder,
} from "../../../../lib/model/config/build-model";
import { ConfigError } from "../../../../lib/model/config/errors";
import { ClusterModel } from "../../../../lib/model/config/model";
import { FIXTURE_SSH_PUBLIC_KEY, modelFixture } from "../../../../test-support/model-fixture";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx6yV0mZl2cYtq3tBq6m0ZbTn1m7Z4pQxk0yq9w4W2v lab@mac";
const HOST: HostFacts = {
  hostArch: "arm64",
  sshPublicKey: KEY,
  sshPublicKeyPath: "/home/u/.ssh/id_ed25519.pub",
};

function build(yaml: string, host: HostFacts = HOST): ClusterModel {
  return buildClusterModel(parseClusterConfig(yaml, "cluster.yaml"), host, "cluster.yaml");
}

/** The error's issues as "field: message" lines, so a test names the field it expects. */
function problems(yaml: string, host: HostFacts = HOST): string[] {
  try {
    build(yaml, host);
  } catch (e) {
    if (e instanceof ConfigError)
      return e.message
        .split("\n")
        .slice(1)
        .map((l) => l.trim().replace(/^- /, ""));
    throw e;
  }
  throw new Error("expected the config to be rejected, but it was accepted");
}

describe("roleDefaults", () => {
  it("merges a partial role default over the built-in one", () => {
    const model = build("roleDefaults: {worker: {memoryMb: 8192}}\n");
    expect(model.vms.map((v) => [v.name, v.cpus, v.memoryMb, v.diskGb])).toEqual([
      ["gateway1", 2, 2048, 40],
      ["gateway2", 2, 2048, 40],
      ["k8s-master1", 2, 4096, 40],
      ["k8s-master2", 2, 4096, 40],
      ["k8s-master3", 2, 4096, 40],
      ["k8s-worker1", 4, 8192, 40],
      ["k8s-worker2", 4, 8192, 40],
    ]);
  });

  it("still checks what a partial role default gives", () => {
    expect(problems("roleDefaults: {master: {cpus: 0}}\n")).toEqual([
      expect.stringMatching(/^roleDefaults\.master\.cpus = 0: must be at least 1 vCPUs/),
    ]);
  });
});

describe("defaults", () => {
  const model = build("");

  it("reproduces the seed's seven cluster VMs with role sizes", () => {
    expect(model.vms.map((v) => [v.name, v.role, v.cpus, v.memoryMb, v.diskGb])).toEqual([
      ["gateway1", "gateway", 2, 2048, 40],
      ["gateway2", "gateway", 2, 2048, 40],
      ["k8s-master1", "master", 2, 4096, 40],
      ["k8s-master2", "master", 2, 4096, 40],
      ["k8s-master3", "master", 2, 4096, 40],
      ["k8s-worker1", "worker", 4, 4096, 40],
      ["k8s-worker2", "worker", 4, 4096, 40],
    ]);
  });

  it("makes gateways dual-homed (LAN ens160, vmnet ens192) and nodes single-homed on the vmnet", () => {
    const gw = model.vms[0];
    expect(gw.nics.map((n) => [n.ifname, n.network, n.pciSlot])).toEqual([
      ["ens160", "lan", 160],
      ["ens192", "nat", 192],
    ]);
    expect(model.vms[2].nics.map((n) => [n.ifname, n.network])).toEqual([["ens160", "nat"]]);
    expect(gw.packages).toEqual(["nginx", "libnginx-mod-stream", "keepalived"]);
    expect(model.vms[2].packages).toEqual([]);
  });

  it("uses the documented networks, VIPs, cache and paths", () => {
    expect(model.network.nat).toEqual({
      vmnet: "vmnet2",
      subnet: "10.10.0.0/24",
      prefixLength: 24,
      gateway: "10.10.0.2",
      hostAddress: "10.10.0.1",
      dhcpStart: "10.10.0.128",
      dhcpEnd: "10.10.0.254",
    });
    expect(model.network.lan.subnet).toBe("192.168.68.0/24");
    expect([model.network.externalVip, model.network.internalVip]).toEqual(["192.168.68.210", "10.10.0.100"]);
    expect(model.aptCache.proxyUrl).toBe("http://10.10.0.148:3142");
    expect(model.aptCache.vm.nics[0].address).toBe("10.10.0.148");
    expect(model.vms[3].vmDir).toBe("VMs/k8s_cluster/k8s-master2.vmwarevm");
    expect(model.vms[3].vmxPath).toBe("VMs/k8s_cluster/k8s-master2.vmwarevm/k8s-master2.vmx");
    expect(model.vms[3].diskPath).toBe("VMs/k8s_cluster/k8s-master2.vmwarevm/k8s-master2.vmdk");
    expect(model.commonPackages).toEqual(["open-vm-tools", "qemu-guest-agent", "curl", "wget", "vim"]);
  });

  it("picks the cloud image for the Mac's architecture", () => {
    expect(model.arch).toBe("arm64");
    expect(model.baseImage.url).toBe(
      "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-arm64.img",
    );
    expect(model.baseImage.path).toBe("base_images/noble-server-cloudimg-arm64.img");
    expect(build("", { ...HOST, hostArch: "x64" }).baseImage.path).toBe(
      "base_images/noble-server-cloudimg-amd64.img",
    );
  });

  it("derives distinct static MACs in VMware's manual range, stable across builds", () => {
    const macs = [model.aptCache.vm, ...model.vms].flatMap((v) => v.nics.map((n) => n.mac));
    expect(new Set(macs).size).toBe(macs.length);
    for (const mac of macs) expect(mac).toMatch(/^00:50:56:[0-3][0-9a-f](:[0-9a-f]{2}){2}$/);
    expect(build("").vms.map((v) => v.nics[0].mac)).toEqual(model.vms.map((v) => v.nics[0].mac));
  });

  it("is frozen", () => {
    expect(Object.isFrozen(model.vms[0].nics[0])).toBe(true);
  });

  it("names inventory variables and orders starts cache, masters, workers, gateways", () => {
    expect(inventoryVariable(model.vms[2])).toBe("K8S_MASTER1_IP");
    expect(startOrder([model.aptCache.vm, ...model.vms]).map((v) => v.role)).toEqual([
      "apt-cache",
      "master",
      "master",
      "master",
      "worker",
      "worker",
      "gateway",
      "gateway",
    ]);
  });
});

describe("overrides", () => {
  it("takes per-VM sizes, role defaults, explicit MACs and static addresses", () => {
    const model = build(`
addressing: static
roleDefaults:
  worker: {cpus: 3, memoryMb: 3072, diskGb: 60}
vms:
  - {name: k8s-master1, role: master, address: 10.10.0.11, cpus: 4}
  - {name: k8s-worker1, role: worker, address: 10.10.0.21, macs: ["00:50:56:3F:00:01"]}
`);
    expect(model.vms.map((v) => [v.name, v.cpus, v.memoryMb, v.diskGb, v.nics[0].address])).toEqual([
      ["k8s-master1", 4, 4096, 40, "10.10.0.11"],
      ["k8s-worker1", 3, 3072, 60, "10.10.0.21"],
    ]);
    expect(model.vms[1].nics[0].mac).toBe("00:50:56:3f:00:01");
  });
});

describe("fails on invalid input, naming the field, the value and the fix", () => {
  it.each([
    ["a;b"],
    ["$(reboot)"],
    ['k8s"x'],
    ["k8s worker"],
    ["../etc"],
    ["a/b"],
    [".."],
    ["-lead"],
    ["UPPER"],
    ["x".repeat(64)],
    [""],
    ["wörker"],
  ])("fails for VM name %j", (name) => {
    const out = problems(`vms:\n  - {name: ${JSON.stringify(name)}, role: worker}\n`);
    expect(out).toEqual([expect.stringMatching(/^vms\[0\]\.name = .*RFC 1123 hostname/)]);
    expect(out[0]).toContain(JSON.stringify(name).slice(0, 20));
  });

  it("fails for a non-string name", () => {
    expect(problems("vms:\n  - {name: 12, role: worker}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.name = 12: /),
    ]);
  });

  it("fails for duplicate names, including the APT cache's", () => {
    expect(problems("vms:\n  - {name: n1, role: worker}\n  - {name: n1, role: master}\n")).toEqual([
      expect.stringMatching(/^vms\[1\]\.name = "n1": duplicates vms\[0\]\.name/),
    ]);
    expect(problems("vms:\n  - {name: apt-cache-server, role: worker}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.name = "apt-cache-server": duplicates aptCache\.name/),
    ]);
  });

  it("fails for duplicate MACs", () => {
    const out = problems(
      'vms:\n  - {name: n1, role: worker, macs: ["00:50:56:00:00:01"]}\n  - {name: n2, role: worker, macs: ["00:50:56:00:00:01"]}\n',
    );
    expect(out).toEqual([
      expect.stringMatching(
        /^vms\[1\]\.macs\[0\] = "00:50:56:00:00:01": is already used by vms\[0\]\.macs\[0\]/,
      ),
    ]);
  });

  it("fails for a MAC outside VMware's static range or malformed", () => {
    expect(problems('vms:\n  - {name: n1, role: worker, macs: ["00:50:56:40:00:01"]}\n')).toEqual([
      expect.stringMatching(/^vms\[0\]\.macs\[0\] = .*00:50:56:3f:ff:ff/),
    ]);
    expect(problems('vms:\n  - {name: n1, role: worker, macs: ["zz"]}\n')).toHaveLength(1);
    expect(
      problems('vms:\n  - {name: n1, role: worker, macs: ["00:50:56:00:00:01", "00:50:56:00:00:02"]}\n'),
    ).toEqual([expect.stringMatching(/^vms\[0\]\.macs = .*has 1 NIC/)]);
  });

  it("fails for duplicate addresses", () => {
    const out = problems(
      "addressing: static\nvms:\n  - {name: n1, role: worker, address: 10.10.0.20}\n  - {name: n2, role: worker, address: 10.10.0.20}\n",
    );
    expect(out).toEqual([
      expect.stringMatching(/^vms\[1\]\.address = "10.10.0.20": is already used by vms\[0\]\.address/),
    ]);
  });

  it("fails for addresses outside their network", () => {
    expect(problems("addressing: static\nvms:\n  - {name: n1, role: worker, address: 10.20.0.20}\n")).toEqual(
      [
        expect.stringMatching(
          /^vms\[0\]\.address = "10.20.0.20": .*inside network\.nat\.subnet 10\.10\.0\.0\/24/,
        ),
      ],
    );
    expect(problems("aptCache:\n  address: 192.168.1.5\n")).toEqual([
      expect.stringMatching(/^aptCache\.address = "192.168.1.5"/),
    ]);
    expect(problems("network:\n  externalVip: 10.10.0.50\n")).toEqual([
      expect.stringMatching(/^network\.externalVip = "10.10.0.50": .*192\.168\.68\.0\/24/),
    ]);
    expect(problems("network:\n  internalVip: 10.10.0.255\n")).toEqual([
      expect.stringMatching(/^network\.internalVip = "10.10.0.255": .*must be a host address/),
    ]);
  });

  it("fails for a VIP equal to a node address or inside the DHCP range", () => {
    expect(
      problems("addressing: static\nvms:\n  - {name: n1, role: worker, address: 10.10.0.100}\n"),
    ).toEqual([
      expect.stringMatching(/^vms\[0\]\.address = "10.10.0.100": is already used by network\.internalVip/),
    ]);
    expect(problems("network:\n  internalVip: 10.10.0.200\n")).toEqual([
      expect.stringMatching(
        /^network\.internalVip = "10.10.0.200": lies inside the DHCP range .*pick an address below 10\.10\.0\.128/,
      ),
    ]);
    expect(problems("aptCache:\n  address: 10.10.0.100\n")).toEqual([
      expect.stringMatching(/^aptCache\.address = "10.10.0.100": is already used by network\.internalVip/),
    ]);
  });

  it("fails for static addresses inside the DHCP range, missing in static mode, or set in dhcp mode", () => {
    expect(
      problems("addressing: static\nvms:\n  - {name: n1, role: worker, address: 10.10.0.130}\n"),
    ).toEqual([expect.stringMatching(/^vms\[0\]\.address = "10.10.0.130": lies inside the DHCP range/)]);
    expect(problems("addressing: static\nvms:\n  - {name: n1, role: worker}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.address: addressing is static/),
    ]);
    expect(problems("vms:\n  - {name: n1, role: worker, address: 10.10.0.20}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.address = "10.10.0.20": is set but addressing is dhcp/),
    ]);
  });

  it("fails for a broken vmnet definition", () => {
    expect(problems("network:\n  nat: {subnet: 10.10.0.5/24}\n")).toEqual([
      expect.stringMatching(/^network\.nat\.subnet = "10.10.0.5\/24": .*host bits set/),
    ]);
    expect(problems("network:\n  nat: {dhcpStart: 10.10.0.200, dhcpEnd: 10.10.0.150}\n")).toEqual([
      expect.stringMatching(/^network\.nat\.dhcpEnd = "10.10.0.150": the DHCP range ends before it starts/),
    ]);
    expect(problems("network:\n  nat: {gateway: 10.10.0.130}\n")).toEqual([
      expect.stringMatching(/^network\.nat\.gateway = "10.10.0.130": lies inside the DHCP range/),
    ]);
  });

  it.each([
    ["cpus: 0", /must be at least 1 vCPUs/],
    ["cpus: 33", /must be at most 32 vCPUs/],
    ["cpus: 2.5", /whole number of vCPUs/],
    ["cpus: '4'", /whole number of vCPUs/],
    ["memoryMb: 512", /must be at least 1024 MB/],
    ["memoryMb: 99999999999999999999", /whole number of MB between 1024 and 131072/],
    ["diskGb: 3", /must be at least 4 GB/],
    ["diskGb: 5000", /must be at most 2048 GB/],
  ])("fails for out-of-bounds sizing %s", (field, message) => {
    const out = problems(`vms:\n  - {name: n1, role: worker, ${field}}\n`);
    expect(out).toEqual([
      expect.stringMatching(new RegExp(`^vms\\[0\\]\\.${field.split(":")[0]} = .*${message.source}`)),
    ]);
  });

  it("fails for a disk smaller than the base image", () => {
    expect(
      problems("baseImage: {virtualSizeGb: 10}\nvms:\n  - {name: n1, role: worker, diskGb: 8}\n"),
    ).toEqual([
      expect.stringMatching(
        /^vms\[0\]\.diskGb = 8: is smaller than the base image \(10 GiB\); use at least 10/,
      ),
    ]);
  });

  it("fails for a missing or malformed SSH public key", () => {
    expect(problems("", { ...HOST, sshPublicKey: undefined })).toEqual([
      expect.stringMatching(
        /^sshPublicKeyFile = "\/home\/u\/\.ssh\/id_ed25519\.pub": .*ssh-keygen -t ed25519/,
      ),
    ]);
    expect(problems("", { ...HOST, sshPublicKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n" })).toEqual([
      expect.stringMatching(/^sshPublicKeyFile = .*not the private key/),
    ]);
  });

  it("fails for unknown settings (typos) and unsupported values", () => {
    expect(problems("network:\n  externalVIP: 1.2.3.4\n")).toEqual([
      expect.stringMatching(/^network\.externalVIP: unknown setting/),
    ]);
    expect(problems("arch: x86\n")).toEqual([
      expect.stringMatching(/^arch = "x86": must be auto, amd64 or arm64/),
    ]);
    expect(problems("vms:\n  - {name: n1, role: etcd}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.role = "etcd": must be one of gateway, master, worker/),
    ]);
    expect(problems("", { ...HOST, hostArch: "ia32" })).toEqual([
      expect.stringMatching(/^arch = "ia32": .*set arch: amd64/),
    ]);
  });

  it.each([["../outside"], ["/abs/path"], ["a/../../b"], ["-rf"], ["VMs/$(x)"], ["VMs/a b"], [""]])(
    "fails for a path that could leave the project: %j",
    (p) => {
      expect(problems(`paths:\n  vmsDir: ${JSON.stringify(p)}\n`)).toEqual([
        expect.stringMatching(/^paths\.vmsDir = .*inside the project/),
      ]);
    },
  );

  it("fails for overlapping paths", () => {
    expect(problems("paths:\n  vmsDir: generated/vms\n")).toEqual([
      expect.stringMatching(/^paths\.generatedDir = "generated": overlaps paths\.vmsDir/),
    ]);
  });

  it("fails for a custom image without a checksum, and for a non-URL", () => {
    expect(problems("baseImage: {url: 'file:///images/noble.img'}\n")).toEqual([
      expect.stringMatching(/^baseImage\.sha256: .*shasum -a 256/),
    ]);
    expect(problems(`baseImage: {url: 'ftp://x/y.img', sha256: ${"a".repeat(64)}}\n`)).toEqual([
      expect.stringMatching(/^baseImage\.url = "ftp:\/\/x\/y\.img"/),
    ]);
    expect(problems("baseImage: {sha256: abc}\n")).toEqual([
      expect.stringMatching(/^baseImage\.sha256 = "abc": is not a SHA-256/),
    ]);
  });

  it("fails for YAML syntax errors and non-mapping files", () => {
    expect(problems("vms: [\n")[0]).toMatch(/YAML syntax error/);
    // The place once, before the text, and no snippet or stray ":;" after it.
    expect(problems("network:\n  nat: [\nfoo: 1\n")).toEqual([
      "(top level): YAML syntax error at line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the file's syntax there",
    ]);
    expect(problems("- a\n- b\n")[0]).toMatch(/must be a YAML mapping/);
    expect(problems("vms: []\n")).toEqual([expect.stringMatching(/^vms = \[\]: needs at least one VM/)]);
  });

  it("says a required setting is missing, not only what it must be", () => {
    expect(problems("vms:\n  - {role: worker}\n  - {name: k8s-worker9}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.name: is missing; this setting is required and must be a VM name/),
      expect.stringMatching(/^vms\[1\]\.role: is missing; this setting is required and must be one of/),
    ]);
    // A value of the wrong kind is not "missing".
    expect(problems("vms:\n  - {name: k8s-worker9, role: 3}\n")).toEqual([
      expect.stringMatching(/^vms\[0\]\.role = 3: must be one of/),
    ]);
  });

  it("reports every problem at once", () => {
    expect(problems("vms:\n  - {name: A, role: worker, cpus: 0}\n")).toHaveLength(2);
  });

  it("fails for bad DNS settings", () => {
    expect(problems("network:\n  dnsServers: []\n")).toEqual([
      expect.stringMatching(/^network\.dnsServers = \[\]: needs at least one DNS server/),
    ]);
    expect(problems("network:\n  dnsServers: [8.8.8]\n")).toEqual([
      expect.stringMatching(/^network\.dnsServers\[0\] = "8.8.8": is not an IPv4 address/),
    ]);
    expect(problems("network:\n  dnsSearchDomains: ['lab;rm']\n")).toEqual([
      expect.stringMatching(/^network\.dnsSearchDomains\[0\] = "lab;rm"/),
    ]);
  });

  it("fails for bad keepalived (VRRP) settings and a bad API name", () => {
    expect(problems("network:\n  vrrp: {authPass: 'much-too-long'}\n")).toEqual([
      expect.stringMatching(/^network\.vrrp\.authPass = "much-too-long": is not a VRRP password; use 1-8/),
    ]);
    expect(problems("network:\n  vrrp: {authPass: 'a b'}\n")).toEqual([
      expect.stringMatching(/^network\.vrrp\.authPass = "a b"/),
    ]);
    expect(problems("network:\n  vrrp: {externalRouterId: 256}\n")).toEqual([
      expect.stringMatching(/^network\.vrrp\.externalRouterId = 256: must be at most 255/),
    ]);
    expect(problems("network:\n  vrrp: {externalRouterId: 7, internalRouterId: 7}\n")).toEqual([
      expect.stringMatching(/^network\.vrrp\.internalRouterId = 7: equals externalRouterId/),
    ]);
    expect(problems("network:\n  apiHostname: 'api;reboot'\n")).toEqual([
      expect.stringMatching(/^network\.apiHostname = "api;reboot": is not a DNS name/),
    ]);
  });

  it("fails for gateways without a master to balance to", () => {
    expect(problems("vms:\n  - {name: gw, role: gateway}\n  - {name: w, role: worker}\n")).toEqual([
      expect.stringMatching(/^vms: has gateways but no master/),
    ]);
  });
});

describe("target: vsphere", () => {
  const SITE =
    "{server: vc.lab.local, datacenter: DC0, cluster: C0, datastore: DS0, folder: k8s-lab, networks: {lan: VM Network, internal: k8s}, template: noble}";
  const STATIC_VMS =
    "vms:\n  - {name: gw1, role: gateway, address: 10.10.0.11}\n  - {name: m1, role: master, address: 10.10.0.21}\n";
  const vsphere = (site: string, addressing = "static") =>
    `target: vsphere\naddressing: ${addressing}\nvsphere: ${site}\n${STATIC_VMS}`;

  it("builds the model with the site and no credential", () => {
    const model = build(vsphere(SITE));
    expect(model.target).toBe("vsphere");
    expect(model.vsphere).toMatchObject({ server: "vc.lab.local", cluster: "C0", diskProvisioning: "thin" });
    expect(JSON.stringify(model)).not.toMatch(/password|VSPHERE_USER/i);
  });

  it("requires static addressing and the vsphere block, and refuses the block on fusion", () => {
    expect(problems(vsphere(SITE, "dhcp").replace(/, address: [0-9.]+/g, ""))).toEqual([
      expect.stringMatching(
        /^addressing = "dhcp": must be static with target: vsphere.*set addressing: static/,
      ),
    ]);
    expect(problems(`target: vsphere\naddressing: static\n${STATIC_VMS}`)).toEqual([
      expect.stringMatching(/^vsphere: is missing; target: vsphere needs a vsphere block/),
    ]);
    expect(problems(`vsphere: ${SITE}\n`)).toEqual([
      expect.stringMatching(/^vsphere: is read only with target: vsphere; set target: vsphere, or remove/),
    ]);
  });

  it("names the field, the value and the fix of a bad or missing site setting", () => {
    expect(problems(vsphere(SITE.replace("datacenter: DC0, ", "")))).toEqual([
      "vsphere.datacenter: is missing; this setting is required and must be the datacenter's name as vSphere shows it",
    ]);
    expect(problems(vsphere(SITE.replace("datacenter: DC0", "datacenter: 5")))).toEqual([
      "vsphere.datacenter = 5: must be the datacenter's name as vSphere shows it",
    ]);
    expect(problems(vsphere(SITE.replace("server: vc.lab.local", "server: 'https://u:p@vc'")))).toEqual([
      expect.stringMatching(/^vsphere\.server = "https:\/\/u:p@vc": is not a server address; .*VSPHERE_USER/),
    ]);
    // cluster xor host: the message names the cluster's own value, not the whole block.
    expect(problems(vsphere(SITE.replace("cluster: C0", "cluster: C0, host: esx1")))).toEqual([
      'vsphere.cluster = "C0": is set together with host; name exactly one of cluster (a DRS cluster) or host (a standalone ESXi host)',
    ]);
    expect(problems(vsphere(SITE.replace("cluster: C0, ", "")))).toEqual([
      "vsphere.cluster: is missing; name exactly one of cluster (a DRS cluster) or host (a standalone ESXi host)",
    ]);
  });
});

describe("the hand-built model fixture used by renderer and construct tests", () => {
  it("equals what the loader builds from the defaults, so those tests exercise the real defaults", () => {
    const built = build("", {
      hostArch: "x64",
      sshPublicKey: FIXTURE_SSH_PUBLIC_KEY,
      sshPublicKeyPath: "/k",
    });
    expect(built).toEqual(modelFixture());
  });
});

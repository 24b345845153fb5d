import type { Arch, ClusterModel, NicNetwork, NicSpec, Role, VmSpec } from "../lib/model/config/model";
import { deriveMac } from "../lib/model/net/mac";

/**
 * A complete, hand-built ClusterModel with the product's defaults, for tests. Built from the types
 * (not by the config loader) so renderer and construct tests do not depend on it. Every call returns
 * a fresh deep-frozen object: a test that mutates the model fails loudly instead of leaking state.
 */

/** An ed25519 public key whose private half was thrown away: safe to embed anywhere. */
export const FIXTURE_SSH_PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9LWdVFuFDRnj68+GKyT96slNZIjxuHwIegf5mSpKRQ fixture@k8s-lab";

const FIXTURE_VMS_DIR = "VMs/k8s_cluster";

interface NicPlan {
  readonly ifname: string;
  readonly network: NicNetwork;
  readonly pciSlot: number;
  readonly address?: string;
}

function fixtureVm(
  name: string,
  role: Role,
  cpus: number,
  memoryMb: number,
  nics: readonly NicPlan[],
  packages: readonly string[] = [],
): VmSpec {
  const vmDir = `${FIXTURE_VMS_DIR}/${name}.vmwarevm`;
  return {
    name,
    role,
    cpus,
    memoryMb,
    diskGb: 40,
    nics: nics.map((nic, index): NicSpec => ({ ...nic, mac: deriveMac(name, index) })),
    vmDir,
    vmxPath: `${vmDir}/${name}.vmx`,
    diskPath: `${vmDir}/${name}.vmdk`,
    seedIsoPath: `${vmDir}/seed.iso`,
    generatedDir: `generated/${name}`,
    packages,
  };
}

const GATEWAY_NICS: readonly NicPlan[] = [
  { ifname: "ens160", network: "lan", pciSlot: 160 },
  { ifname: "ens192", network: "nat", pciSlot: 192 },
];
const NODE_NICS: readonly NicPlan[] = [{ ifname: "ens160", network: "nat", pciSlot: 160 }];

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function buildDefaultModel(): ClusterModel {
  const gateway = (n: number): VmSpec =>
    fixtureVm(`gateway${n}`, "gateway", 2, 2048, GATEWAY_NICS, [
      "nginx",
      "libnginx-mod-stream",
      "keepalived",
    ]);
  const master = (n: number): VmSpec => fixtureVm(`k8s-master${n}`, "master", 2, 4096, NODE_NICS);
  const worker = (n: number): VmSpec => fixtureVm(`k8s-worker${n}`, "worker", 4, 4096, NODE_NICS);
  return {
    target: "fusion",
    arch: "amd64",
    addressing: "dhcp",
    paths: {
      vmsDir: FIXTURE_VMS_DIR,
      baseImagesDir: "base_images",
      generatedDir: "generated",
      inventoryFile: "vm-ips.env",
    },
    network: {
      nat: {
        vmnet: "vmnet2",
        subnet: "10.10.0.0/24",
        prefixLength: 24,
        gateway: "10.10.0.2",
        hostAddress: "10.10.0.1",
        dhcpStart: "10.10.0.128",
        dhcpEnd: "10.10.0.254",
      },
      lan: { subnet: "192.168.68.0/24", prefixLength: 24, connectionType: "bridged" },
      externalVip: "192.168.68.210",
      internalVip: "10.10.0.100",
      dnsServers: ["10.10.0.2"],
      dnsSearchDomains: [],
      apiHostname: "k8s-api",
      vrrp: { externalRouterId: 51, internalRouterId: 52, authPass: "k8s-lab" },
    },
    aptCache: {
      vm: fixtureVm(
        "apt-cache-server",
        "apt-cache",
        2,
        2048,
        [{ ifname: "ens160", network: "nat", pciSlot: 160, address: "10.10.0.148" }],
        ["apt-cacher-ng"],
      ),
      address: "10.10.0.148",
      port: 3142,
      proxyUrl: "http://10.10.0.148:3142",
    },
    vms: [gateway(1), gateway(2), master(1), master(2), master(3), worker(1), worker(2)],
    baseImage: {
      url: "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
      checksumsUrl: "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS",
      path: "base_images/noble-server-cloudimg-amd64.img",
      virtualSizeGb: 3.5,
    },
    ssh: { user: "ubuntu", publicKey: FIXTURE_SSH_PUBLIC_KEY },
    commonPackages: ["open-vm-tools", "qemu-guest-agent", "curl", "wget", "vim"],
    hardware: { virtualHwVersion: 21, nicType: "vmxnet3" },
    timeouts: {
      vmrunSeconds: 120,
      ipWaitSeconds: 900,
      ipLookupSeconds: 20,
      diskSeconds: 900,
      downloadSeconds: 1800,
      guestConfigSeconds: 900,
    },
  };
}

/** The product defaults (amd64, DHCP addressing). */
export function modelFixture(): ClusterModel {
  return deepFreeze(buildDefaultModel());
}

/** Every VM of the model: the cluster VMs, then the apt cache. */
export function allVms(model: ClusterModel): readonly VmSpec[] {
  return [...model.vms, model.aptCache.vm];
}

export function vmByName(model: ClusterModel, name: string): VmSpec {
  const vm = allVms(model).find((v) => v.name === name);
  if (!vm) throw new Error(`fixture has no VM named ${name}`);
  return vm;
}

/** The same model for another architecture (arm64 base image name follows). */
export function withArch(model: ClusterModel, arch: Arch): ClusterModel {
  const image = `noble-server-cloudimg-${arch}.img`;
  return withOverrides(model, {
    arch,
    baseImage: {
      ...model.baseImage,
      url: model.baseImage.url.replace(/noble-server-cloudimg-[a-z0-9]+\.img$/, image),
      path: `${model.paths.baseImagesDir}/${image}`,
    },
  });
}

/** A copy with top-level fields replaced (shallow per field: pass whole sub-objects). */
export function withOverrides(model: ClusterModel, overrides: Partial<ClusterModel>): ClusterModel {
  return deepFreeze({ ...structuredClone(model), ...structuredClone(overrides) } as ClusterModel);
}

/** A copy with one VM (cluster or apt cache) replaced by `update(vm)`. */
export function withVm(model: ClusterModel, name: string, update: (vm: VmSpec) => VmSpec): ClusterModel {
  vmByName(model, name);
  if (model.aptCache.vm.name === name) {
    return withOverrides(model, { aptCache: { ...model.aptCache, vm: update(model.aptCache.vm) } });
  }
  return withOverrides(model, { vms: model.vms.map((vm) => (vm.name === name ? update(vm) : vm)) });
}

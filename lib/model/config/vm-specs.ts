import type { ConfigIssue } from "./errors";
import type { ClusterConfig } from "./schema";
import type { NicSpec, Role, VmSpec } from "./model";
import type { NetworkPlan } from "./network-checks";
import { deriveMac } from "../net/mac";

const ROLE_PACKAGES: Record<Role, readonly string[]> = {
  // nginx's stream module (the API load balancer) is a separate package on Ubuntu.
  gateway: ["nginx", "libnginx-mod-stream", "keepalived"],
  master: [],
  worker: [],
  "apt-cache": ["apt-cacher-ng"],
};

/** One VM as the config gives it, before its NICs, MACs and paths are derived. */
interface VmEntry {
  /** Where it came from in the config, e.g. `vms[2]` or `aptCache`. */
  readonly field: string;
  readonly name: string;
  readonly role: Role;
  readonly cpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
  readonly macs: readonly string[] | undefined;
  readonly address: string | undefined;
}

/** What the VMs claim together: each name and MAC once, with the field that claimed it first. */
interface Claims {
  readonly names: Map<string, string>;
  readonly macs: Map<string, string>;
}

/**
 * The VMs (the APT cache first, then vms[] as listed) with their NICs, MACs and paths, checking
 * unique names and MACs, disk sizes, and static addresses against addressing and the DHCP range.
 */
export function buildVmSpecs(
  config: ClusterConfig,
  network: NetworkPlan,
  issues: ConfigIssue[],
): { readonly aptVm: VmSpec; readonly vms: VmSpec[] } {
  const claims: Claims = { names: new Map(), macs: new Map() };
  const ac = config.aptCache;
  network.inNat("aptCache.address", ac.address, "the APT cache address");
  network.claim("aptCache.address", ac.address);
  const aptVm = makeVm(
    config,
    {
      field: "aptCache",
      name: ac.name,
      role: "apt-cache",
      cpus: ac.cpus,
      memoryMb: ac.memoryMb,
      diskGb: ac.diskGb,
      macs: ac.macs,
      address: ac.address,
    },
    claims,
    issues,
  );
  const vms = config.vms.map((entry, i) => {
    const field = `vms[${i}]`;
    const sizing = config.roleDefaults[entry.role];
    checkStaticAddress(config, network, field, entry.address, issues);
    return makeVm(
      config,
      {
        field,
        name: entry.name,
        role: entry.role,
        cpus: entry.cpus ?? sizing.cpus,
        memoryMb: entry.memoryMb ?? sizing.memoryMb,
        diskGb: entry.diskGb ?? sizing.diskGb,
        macs: entry.macs,
        address: entry.address,
      },
      claims,
      issues,
    );
  });
  return { aptVm, vms };
}

/** A vms[] entry's address: only with addressing static, inside the NAT subnet, outside DHCP, unique. */
function checkStaticAddress(
  config: ClusterConfig,
  network: NetworkPlan,
  field: string,
  address: string | undefined,
  issues: ConfigIssue[],
): void {
  const nat = config.network.nat;
  if (address === undefined) {
    if (config.addressing === "static")
      issues.push({
        field: `${field}.address`,
        value: undefined,
        problem: `addressing is static, so every VM needs an address outside the DHCP range ${nat.dhcpStart}-${nat.dhcpEnd}`,
      });
    return;
  }
  network.inNat(`${field}.address`, address, "a VM's static address");
  if (network.inDhcp(address)) {
    issues.push({
      field: `${field}.address`,
      value: address,
      problem: `lies inside the DHCP range ${nat.dhcpStart}-${nat.dhcpEnd}; static addresses must be outside it (e.g. ${nat.subnet.replace(/\.0\/\d+$/, ".20")})`,
    });
  }
  network.claim(`${field}.address`, address);
  if (config.addressing === "dhcp") {
    issues.push({
      field: `${field}.address`,
      value: address,
      problem: "is set but addressing is dhcp; remove it, or set addressing: static",
    });
  }
}

/** The VM's spec: its name claimed, its NICs and MACs, its disk checked, its paths. */
function makeVm(config: ClusterConfig, entry: VmEntry, claims: Claims, issues: ConfigIssue[]): VmSpec {
  const { field, name, role, diskGb } = entry;
  const prior = claims.names.get(name);
  if (prior !== undefined)
    issues.push({
      field: `${field}.name`,
      value: name,
      problem: `duplicates ${prior}; VM names must be unique`,
    });
  claims.names.set(name, `${field}.name`);
  const nics = makeNics(entry, prior !== undefined, claims, issues);
  const minDisk = Math.ceil(config.baseImage.virtualSizeGb);
  if (diskGb < minDisk)
    issues.push({
      field: `${field}.diskGb`,
      value: diskGb,
      problem: `is smaller than the base image (${config.baseImage.virtualSizeGb} GiB); use at least ${minDisk}`,
    });
  const vmDir = `${config.paths.vmsDir}/${name}.vmwarevm`;
  return {
    name,
    role,
    cpus: entry.cpus,
    memoryMb: entry.memoryMb,
    diskGb,
    nics,
    vmDir,
    vmxPath: `${vmDir}/${name}.vmx`,
    diskPath: `${vmDir}/${name}.vmdk`,
    seedIsoPath: `${vmDir}/seed.iso`,
    generatedDir: `${config.paths.generatedDir}/${name}`,
    packages: ROLE_PACKAGES[role],
  };
}

/** Gateways have a LAN and a NAT NIC, the others a NAT NIC; each MAC given or derived, and unique. */
function makeNics(entry: VmEntry, duplicateName: boolean, claims: Claims, issues: ConfigIssue[]): NicSpec[] {
  const { field, name, role, macs: givenMacs, address } = entry;
  const nicNetworks: NicSpec["network"][] = role === "gateway" ? ["lan", "nat"] : ["nat"];
  if (givenMacs && givenMacs.length > nicNetworks.length) {
    issues.push({
      field: `${field}.macs`,
      value: givenMacs,
      problem: `a ${role} has ${nicNetworks.length} NIC${nicNetworks.length > 1 ? "s" : ""}; give at most that many MACs`,
    });
  }
  return nicNetworks.map((network, i): NicSpec => {
    const mac = givenMacs?.[i] ?? deriveMac(name, i);
    const macField = givenMacs?.[i] ? `${field}.macs[${i}]` : `${field} (MAC derived from the name)`;
    const owner = claims.macs.get(mac);
    // A repeated name already has its issue; its derived MACs repeat too.
    if (owner !== undefined && !duplicateName)
      issues.push({
        field: macField,
        value: mac,
        problem: `is already used by ${owner}; give this VM its own macs: [...]`,
      });
    claims.macs.set(mac, macField);
    return {
      ifname: i === 0 ? "ens160" : "ens192",
      network,
      mac,
      pciSlot: i === 0 ? 160 : 192,
      ...(network === "nat" && address !== undefined ? { address } : {}),
    };
  });
}

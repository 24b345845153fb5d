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

/**
 * The VMs (the APT cache first, then vms[] as listed) with their NICs, MACs and paths, checking
 * unique names and MACs, disk sizes, and static addresses against addressing and the DHCP range.
 */
export function buildVmSpecs(
  config: ClusterConfig,
  network: NetworkPlan,
  issues: ConfigIssue[],
): { readonly aptVm: VmSpec; readonly vms: VmSpec[] } {
  const { inNat, inDhcp, claim } = network;
  const net = config.network;
  const names = new Map<string, string>();
  const macs = new Map<string, string>();
  const paths = config.paths;
  const makeVm = (
    field: string,
    name: string,
    role: Role,
    cpus: number,
    memoryMb: number,
    diskGb: number,
    givenMacs: readonly string[] | undefined,
    address: string | undefined,
  ): VmSpec => {
    const prior = names.get(name);
    if (prior !== undefined)
      issues.push({
        field: `${field}.name`,
        value: name,
        problem: `duplicates ${prior}; VM names must be unique`,
      });
    const duplicateName = prior !== undefined;
    names.set(name, `${field}.name`);
    const nicNetworks: NicSpec["network"][] = role === "gateway" ? ["lan", "nat"] : ["nat"];
    if (givenMacs && givenMacs.length > nicNetworks.length) {
      issues.push({
        field: `${field}.macs`,
        value: givenMacs,
        problem: `a ${role} has ${nicNetworks.length} NIC${nicNetworks.length > 1 ? "s" : ""}; give at most that many MACs`,
      });
    }
    const nics = nicNetworks.map((network, i): NicSpec => {
      const mac = givenMacs?.[i] ?? deriveMac(name, i);
      const macField = givenMacs?.[i] ? `${field}.macs[${i}]` : `${field} (MAC derived from the name)`;
      const owner = macs.get(mac);
      if (owner !== undefined && !duplicateName)
        issues.push({
          field: macField,
          value: mac,
          problem: `is already used by ${owner}; give this VM its own macs: [...]`,
        });
      macs.set(mac, macField);
      return {
        ifname: i === 0 ? "ens160" : "ens192",
        network,
        mac,
        pciSlot: i === 0 ? 160 : 192,
        ...(network === "nat" && address !== undefined ? { address } : {}),
      };
    });
    const minDisk = Math.ceil(config.baseImage.virtualSizeGb);
    if (diskGb < minDisk)
      issues.push({
        field: `${field}.diskGb`,
        value: diskGb,
        problem: `is smaller than the base image (${config.baseImage.virtualSizeGb} GiB); use at least ${minDisk}`,
      });
    const vmDir = `${paths.vmsDir}/${name}.vmwarevm`;
    return {
      name,
      role,
      cpus,
      memoryMb,
      diskGb,
      nics,
      vmDir,
      vmxPath: `${vmDir}/${name}.vmx`,
      diskPath: `${vmDir}/${name}.vmdk`,
      seedIsoPath: `${vmDir}/seed.iso`,
      generatedDir: `${paths.generatedDir}/${name}`,
      packages: ROLE_PACKAGES[role],
    };
  };

  const ac = config.aptCache;
  inNat("aptCache.address", ac.address, "the APT cache address");
  claim("aptCache.address", ac.address);
  const aptVm = makeVm(
    "aptCache",
    ac.name,
    "apt-cache",
    ac.cpus,
    ac.memoryMb,
    ac.diskGb,
    ac.macs,
    ac.address,
  );

  const vms = config.vms.map((entry, i) => {
    const field = `vms[${i}]`;
    const sizing = config.roleDefaults[entry.role];
    if (entry.address !== undefined) {
      inNat(`${field}.address`, entry.address, "a VM's static address");
      if (inDhcp(entry.address)) {
        issues.push({
          field: `${field}.address`,
          value: entry.address,
          problem: `lies inside the DHCP range ${net.nat.dhcpStart}-${net.nat.dhcpEnd}; static addresses must be outside it (e.g. ${net.nat.subnet.replace(/\.0\/\d+$/, ".20")})`,
        });
      }
      claim(`${field}.address`, entry.address);
      if (config.addressing === "dhcp") {
        issues.push({
          field: `${field}.address`,
          value: entry.address,
          problem: "is set but addressing is dhcp; remove it, or set addressing: static",
        });
      }
    } else if (config.addressing === "static") {
      issues.push({
        field: `${field}.address`,
        value: undefined,
        problem: `addressing is static, so every VM needs an address outside the DHCP range ${net.nat.dhcpStart}-${net.nat.dhcpEnd}`,
      });
    }
    return makeVm(
      field,
      entry.name,
      entry.role,
      entry.cpus ?? sizing.cpus,
      entry.memoryMb ?? sizing.memoryMb,
      entry.diskGb ?? sizing.diskGb,
      entry.macs,
      entry.address,
    );
  });

  return { aptVm, vms };
}

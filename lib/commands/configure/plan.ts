/**
 * The choices `npm run configure` makes from the host's facts, pure: the LAN subnet, the external VIP
 * candidates, and the cluster profile that fits the host's memory (and its cores).
 */
import { ClusterConfigSchema, ClusterConfigInput, DEFAULT_VMS, ROLES } from "../../model/config/schema";
import { CPU_OVERSUBSCRIPTION_WARN, MEMORY_FAIL_SHARE, MEMORY_WARN_SHARE } from "../doctor/capacity";
import { intToIp, ipToInt, parseCidr } from "../../model/net/ipv4";
import { LanInterface, subnetOf } from "./host-facts";

type Role = (typeof ROLES)[number];
type Sizing = { cpus: number; memoryMb: number; diskGb: number };

export interface ClusterProfile {
  readonly name: "ha" | "lean-ha" | "minimal";
  /** One line: what the profile is and what it gives up. */
  readonly tradeOff: string;
  readonly vms: ReadonlyArray<{ name: string; role: Role }>;
  /** Role sizes that differ from the built-in defaults. */
  readonly roleDefaults: Partial<Record<Role, Sizing>>;
  /** APT cache memory, when it differs from the default. */
  readonly aptCacheMemoryMb?: number;
}

const HA_VMS = DEFAULT_VMS;

/** Largest first: configure takes the first that fits. */
export const PROFILES: readonly ClusterProfile[] = [
  {
    name: "ha",
    tradeOff:
      "the default layout: two gateways (VIP failover), three masters (etcd survives one loss), two workers, at the default sizes",
    vms: HA_VMS,
    roleDefaults: {},
  },
  {
    name: "lean-ha",
    tradeOff:
      "the same HA layout with smaller VMs: gateways 1 GiB, masters and workers 2 GiB and 2 vCPUs (kubeadm's minimum), APT cache 1 GiB; little room for workloads",
    vms: HA_VMS,
    roleDefaults: {
      gateway: { cpus: 2, memoryMb: 1024, diskGb: 40 },
      master: { cpus: 2, memoryMb: 2048, diskGb: 40 },
      worker: { cpus: 2, memoryMb: 2048, diskGb: 40 },
    },
    aptCacheMemoryMb: 1024,
  },
  {
    name: "minimal",
    tradeOff:
      "one gateway, one master, one worker: no VIP failover and no control-plane redundancy (losing the master loses the cluster), but every role is there",
    vms: [
      { name: "gateway1", role: "gateway" },
      { name: "k8s-master1", role: "master" },
      { name: "k8s-worker1", role: "worker" },
    ],
    roleDefaults: { gateway: { cpus: 2, memoryMb: 1024, diskGb: 40 } },
    aptCacheMemoryMb: 1024,
  },
];

/** The config fragment a profile stands for (the cluster size part of cluster.yaml). */
export function profileInput(profile: ClusterProfile): ClusterConfigInput {
  return {
    vms: profile.vms.map((vm) => ({ ...vm })),
    roleDefaults: { ...profile.roleDefaults },
    ...(profile.aptCacheMemoryMb !== undefined ? { aptCache: { memoryMb: profile.aptCacheMemoryMb } } : {}),
  };
}

export interface Footprint {
  readonly vmCount: number;
  readonly memoryMb: number;
  readonly vcpus: number;
}

/** Memory and vCPUs of every VM the profile builds, the APT cache included (as the doctor counts). */
export function footprint(input: ClusterConfigInput): Footprint {
  const config = ClusterConfigSchema.parse(input);
  const sizes = config.vms.map((vm) => ({
    memoryMb: vm.memoryMb ?? config.roleDefaults[vm.role].memoryMb,
    cpus: vm.cpus ?? config.roleDefaults[vm.role].cpus,
  }));
  sizes.push({ memoryMb: config.aptCache.memoryMb, cpus: config.aptCache.cpus });
  return {
    vmCount: sizes.length,
    memoryMb: sizes.reduce((s, v) => s + v.memoryMb, 0),
    vcpus: sizes.reduce((s, v) => s + v.cpus, 0),
  };
}

export interface SizeChoice {
  readonly profile: ClusterProfile;
  readonly input: ClusterConfigInput;
  readonly footprint: Footprint;
  /** Why this profile, in the words configure prints. */
  readonly reasons: readonly string[];
}

const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

export class ConfigureRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigureRefusal";
  }
}

/**
 * The largest profile whose VMs take at most the doctor's warning share of the host's memory; the
 * smallest one up to the failure share, with a warning; none below that. Then, when the vCPUs would
 * oversubscribe the cores more than the doctor accepts, workers get 2 vCPUs.
 */
export function chooseSize(totalMemBytes: number, cpuCount: number): SizeChoice {
  const share = (f: Footprint) => (f.memoryMb * 2 ** 20) / totalMemBytes;
  const sized = PROFILES.map((profile) => ({ profile, input: profileInput(profile) })).map((p) => ({
    ...p,
    footprint: footprint(p.input),
  }));
  const reasons: string[] = [];
  let pick = sized.find((p) => share(p.footprint) <= MEMORY_WARN_SHARE);
  for (const p of sized) {
    if (p === pick) break;
    reasons.push(
      `${p.profile.name} (${p.footprint.vmCount} VMs, ${gib(p.footprint.memoryMb * 2 ** 20)}) would take ${Math.round(share(p.footprint) * 100)}% of this host's ${gib(totalMemBytes)}: above the ${MEMORY_WARN_SHARE * 100}% the doctor accepts without a warning`,
    );
  }
  if (!pick) {
    const smallest = sized[sized.length - 1];
    if (share(smallest.footprint) > MEMORY_FAIL_SHARE)
      throw new ConfigureRefusal(
        `this host has ${gib(totalMemBytes)} of memory; even the ${smallest.profile.name} profile needs ${gib(smallest.footprint.memoryMb * 2 ** 20)} for its VMs (${Math.round(share(smallest.footprint) * 100)}%, above ${MEMORY_FAIL_SHARE * 100}%: the host would swap). Nothing was written; write vms and roleDefaults in cluster.yaml by hand (see cluster.example.yaml), or use a bigger host`,
      );
    pick = smallest;
    reasons.push(
      `${smallest.profile.name} is the smallest profile; at ${Math.round(share(smallest.footprint) * 100)}% of memory the doctor will warn that little is left for the host`,
    );
  }
  reasons.push(
    `${pick.profile.name}: ${pick.footprint.vmCount} VMs, ${gib(pick.footprint.memoryMb * 2 ** 20)} = ${Math.round(share(pick.footprint) * 100)}% of ${gib(totalMemBytes)}; ${pick.profile.tradeOff}`,
  );
  let input = pick.input;
  let fp = pick.footprint;
  if (fp.vcpus / cpuCount > CPU_OVERSUBSCRIPTION_WARN) {
    const config = ClusterConfigSchema.parse(input);
    const worker = config.roleDefaults.worker;
    if (worker.cpus > 2) {
      input = { ...input, roleDefaults: { ...input.roleDefaults, worker: { ...worker, cpus: 2 } } };
      const lowered = footprint(input);
      reasons.push(
        `${fp.vcpus} vCPUs on ${cpuCount} cores is more than ${CPU_OVERSUBSCRIPTION_WARN}x: workers get 2 vCPUs instead of ${worker.cpus} (${lowered.vcpus} vCPUs)`,
      );
      fp = lowered;
    }
    if (fp.vcpus / cpuCount > CPU_OVERSUBSCRIPTION_WARN)
      reasons.push(
        `${fp.vcpus} vCPUs on ${cpuCount} cores is still more than ${CPU_OVERSUBSCRIPTION_WARN}x: expect slow first boots (the doctor warns)`,
      );
  }
  return { profile: pick.profile, input, footprint: fp, reasons };
}

export interface LanChoice {
  readonly subnet: string;
  /** External VIP candidates, best first. */
  readonly candidates: readonly string[];
  readonly reasons: readonly string[];
}

/** How far below the broadcast address the candidates start: .251-.254 are often routers, mesh nodes or extenders. */
const TOP_OFFSET = 5;
const CANDIDATES = 10;

/**
 * The LAN of the default route, and external VIP candidates at its high end (.250 downwards in a /24):
 * home routers hand out DHCP from the low or middle part (.100-.199 on TP-Link, .2-.200 on AirPort,
 * .20-.200 on FRITZ!Box) and sit at .1 or .254 themselves, so the top of the subnet is where a
 * fixed address is least likely to collide. The router and the host's own address are skipped.
 */
export function chooseLan(lan: LanInterface, natSubnet: string): LanChoice {
  const subnet = subnetOf(lan.address, lan.prefixLength);
  if (lan.prefixLength > 29)
    throw new ConfigureRefusal(
      `the default route's network ${subnet} (${lan.name}) is too small for the gateways and a VIP; set network.lan.subnet and network.externalVip in cluster.yaml by hand`,
    );
  const cidr = parseCidr(subnet);
  const nat = parseCidr(natSubnet);
  if (cidr.first <= nat.last && nat.first <= cidr.last)
    throw new ConfigureRefusal(
      `your LAN ${subnet} (${lan.name}) overlaps the cluster's internal network ${natSubnet} (network.nat.subnet): the VMs could not reach your LAN. Nothing was written; give vmnet2 another subnet (README: Fusion networking) and set network.nat in cluster.yaml by hand`,
    );
  const skip = new Set([ipToInt(lan.address), ...(lan.router ? [ipToInt(lan.router)] : [])]);
  const candidates: string[] = [];
  for (let n = cidr.last - TOP_OFFSET; n > cidr.first && candidates.length < CANDIDATES; n--) {
    if (!skip.has(n)) candidates.push(intToIp(n));
  }
  return {
    subnet,
    candidates,
    reasons: [
      `LAN ${subnet}: the network of ${lan.name} (${lan.address}/${lan.prefixLength}), the interface of the default route${lan.router ? ` via ${lan.router}` : ""}; the gateways' bridged NIC joins it`,
      `external VIP from the high end of ${subnet}: home routers usually hand out DHCP from the low or middle part and sit at .1 or .254 themselves; the router and this host's address are skipped`,
    ],
  };
}

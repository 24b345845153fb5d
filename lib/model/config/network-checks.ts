import type { ConfigIssue } from "./errors";
import type { ClusterConfig } from "./schema";
import type { HostWords } from "../host-words";
import { Cidr, inRange, ipToInt, isHostInCidr, parseCidr } from "../net/ipv4";

/** What the network checks found, for the checks of the VMs' own addresses. */
export interface NetworkPlan {
  readonly nat: Cidr | undefined;
  readonly lan: Cidr | undefined;
  /** Records an issue unless `value` is a host address inside network.nat.subnet. */
  readonly inNat: (field: string, value: string, what: string) => void;
  /** Whether `ip` lies in the (valid) DHCP range. */
  readonly inDhcp: (ip: string) => boolean;
  /** Records an issue when a fixed address is already used by another field. */
  readonly claim: (field: string, ip: string) => void;
}

/**
 * The rules of network.*: subnets, gateway and host address in the NAT subnet and outside DHCP, the
 * VIPs in their networks, no repeated DNS entries, distinct VRRP ids, every fixed address unique.
 */
export function checkNetworks(
  net: ClusterConfig["network"],
  issues: ConfigIssue[],
  words: HostWords,
): NetworkPlan {
  const nat = cidrOf("network.nat.subnet", net.nat.subnet, issues);
  const lan = cidrOf("network.lan.subnet", net.lan.subnet, issues);
  const inNat = (field: string, value: string, what: string) => {
    if (nat && !isHostInCidr(value, nat))
      issues.push({
        field,
        value,
        problem: `${what} must be a host address inside network.nat.subnet ${net.nat.subnet}`,
      });
  };
  const inDhcp = checkNatAddresses(net, nat, inNat, issues, words);
  checkVips(net, lan, inNat, inDhcp, issues);
  checkRepeats(net, issues);
  if (net.vrrp.externalRouterId === net.vrrp.internalRouterId) {
    issues.push({
      field: "network.vrrp.internalRouterId",
      value: net.vrrp.internalRouterId,
      problem: "equals externalRouterId; the two VRRP instances need different router ids (e.g. 51 and 52)",
    });
  }
  return { nat, lan, inNat, inDhcp, claim: fixedAddressClaims(net, issues) };
}

function cidrOf(field: string, value: string, issues: ConfigIssue[]): Cidr | undefined {
  try {
    return parseCidr(value);
  } catch (e) {
    issues.push({ field, value, problem: (e as Error).message });
    return undefined;
  }
}

/** The vmnet's gateway, host address and DHCP range; returns whether an address lies in that range. */
function checkNatAddresses(
  net: ClusterConfig["network"],
  nat: Cidr | undefined,
  inNat: NetworkPlan["inNat"],
  issues: ConfigIssue[],
  words: HostWords,
): (ip: string) => boolean {
  inNat("network.nat.gateway", net.nat.gateway, "the NAT gateway");
  inNat("network.nat.hostAddress", net.nat.hostAddress, `${words.host}'s vmnet address`);
  inNat("network.nat.dhcpStart", net.nat.dhcpStart, "the DHCP range start");
  inNat("network.nat.dhcpEnd", net.nat.dhcpEnd, "the DHCP range end");
  const dhcpOk =
    issues.length === 0 ||
    (nat !== undefined && isHostInCidr(net.nat.dhcpStart, nat) && isHostInCidr(net.nat.dhcpEnd, nat));
  if (dhcpOk && ipToInt(net.nat.dhcpStart) > ipToInt(net.nat.dhcpEnd)) {
    issues.push({
      field: "network.nat.dhcpEnd",
      value: net.nat.dhcpEnd,
      problem: `the DHCP range ends before it starts (${net.nat.dhcpStart}); swap dhcpStart and dhcpEnd`,
    });
  }
  const inDhcp = (ip: string) => dhcpOk && inRange(ip, net.nat.dhcpStart, net.nat.dhcpEnd);
  for (const [field, ip] of [
    ["network.nat.gateway", net.nat.gateway],
    ["network.nat.hostAddress", net.nat.hostAddress],
  ] as const) {
    if (inDhcp(ip))
      issues.push({
        field,
        value: ip,
        problem: `lies inside the DHCP range ${net.nat.dhcpStart}-${net.nat.dhcpEnd}; ${words.product}'s convention is .2 for the NAT gateway and .1 for ${words.host}`,
      });
  }
  return inDhcp;
}

/** The external VIP in the LAN, the internal one in the vmnet and outside its DHCP range. */
function checkVips(
  net: ClusterConfig["network"],
  lan: Cidr | undefined,
  inNat: NetworkPlan["inNat"],
  inDhcp: NetworkPlan["inDhcp"],
  issues: ConfigIssue[],
): void {
  if (lan && !isHostInCidr(net.externalVip, lan)) {
    issues.push({
      field: "network.externalVip",
      value: net.externalVip,
      problem: `must be a free address inside network.lan.subnet ${net.lan.subnet}`,
    });
  }
  inNat("network.internalVip", net.internalVip, "the internal (API) VIP");
  if (inDhcp(net.internalVip)) {
    issues.push({
      field: "network.internalVip",
      value: net.internalVip,
      problem: `lies inside the DHCP range ${net.nat.dhcpStart}-${net.nat.dhcpEnd}, so DHCP could hand it to a VM; pick an address below ${net.nat.dhcpStart}`,
    });
  }
}

/** Each DNS server and search domain listed once. */
function checkRepeats(net: ClusterConfig["network"], issues: ConfigIssue[]): void {
  for (const [field, list] of [
    ["network.dnsServers", net.dnsServers],
    ["network.dnsSearchDomains", net.dnsSearchDomains],
  ] as const) {
    list.forEach((item, i) => {
      if (list.indexOf(item) !== i)
        issues.push({
          field: `${field}[${i}]`,
          value: item,
          problem: `repeats ${field}[${list.indexOf(item)}]; list each entry once`,
        });
    });
  }
}

/** Every fixed address must be unique: the network's own are claimed here, the VMs' by the caller. */
function fixedAddressClaims(net: ClusterConfig["network"], issues: ConfigIssue[]): NetworkPlan["claim"] {
  const taken = new Map<string, string>();
  const claim = (field: string, ip: string) => {
    const owner = taken.get(ip);
    if (owner !== undefined)
      issues.push({ field, value: ip, problem: `is already used by ${owner}; every address must be unique` });
    else taken.set(ip, field);
  };
  claim("network.nat.gateway", net.nat.gateway);
  claim("network.nat.hostAddress", net.nat.hostAddress);
  claim("network.internalVip", net.internalVip);
  claim("network.externalVip", net.externalVip);
  return claim;
}

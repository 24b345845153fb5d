/** Checks 6-8: vmnet2 as configured, a bridged vmnet for the gateways, VIPs and static addresses vs DHCP. */
import type { ClusterModel } from "../../model/config/model";
import { hostWords } from "../../model/host-words";
import { isHostInCidr, parseCidr } from "../../model/net/ipv4";
import {
  DhcpRange,
  dhcpdConfFile,
  inDhcpRange,
  isActive,
  leasesFile,
  networkingFile,
  NetworkingAnswers,
  normalizeMac,
  parseDhcpRanges,
  parseLeases,
  parseNetworking,
  prefixToMask,
} from "./fusion-files";
import { CheckResult, DoctorEnv, failure, ok, warning } from "./types";

const FUSION_TOOLS = "/Applications/VMware Fusion.app/Contents/Library";

/** How the fixes name the host's VMware product, how it applies network settings, and where they are edited. */
function vmwareHost(env: DoctorEnv): { product: string; apply: string; editor: string } {
  const product = hostWords(env.platform).product;
  return env.platform === "darwin"
    ? {
        product,
        apply: `sudo "${FUSION_TOOLS}/vmnet-cli" --configure, --stop, --start`,
        editor: "Fusion > Settings > Network",
      }
    : {
        product,
        apply: "vmware-netcfg, or sudo vmware-networks --stop && sudo vmware-networks --start",
        editor: "vmware-netcfg, Workstation's Virtual Network Editor",
      };
}

/** The README's way to set one answer, then apply; per platform. */
function setAnswerFix(env: DoctorEnv, key: string, value: string): string {
  if (env.platform === "darwin") {
    return `sudo "${FUSION_TOOLS}/vmnet-cfgcli" vnetcfgadd ${key} ${value}; then sudo "${FUSION_TOOLS}/vmnet-cli" --configure, --stop, --start (README: Fusion networking (vmnet2))`;
  }
  return `set "answer ${key} ${value}" in ${networkingFile(env)} (or use vmware-netcfg), then sudo vmware-networks --stop && sudo vmware-networks --start`;
}

function vmnetNumber(vmnet: string): number | undefined {
  const m = /^vmnet(\d+)$/.exec(vmnet);
  return m ? Number(m[1]) : undefined;
}

function readAnswers(env: DoctorEnv): NetworkingAnswers | undefined {
  const text = env.readFile(networkingFile(env));
  return text === undefined ? undefined : parseNetworking(text);
}

export function checkNatVmnet(env: DoctorEnv, model: ClusterModel): CheckResult[] {
  const nat = model.network.nat;
  const name = nat.vmnet;
  const n = vmnetNumber(name);
  if (n === undefined)
    return [
      failure(
        name,
        `${name} is not a vmnet name (vmnet<n>)`,
        "set network.nat.vmnet in cluster.yaml to e.g. vmnet2",
      ),
    ];
  const answers = readAnswers(env);
  if (!answers) {
    return [
      failure(
        name,
        `cannot read ${networkingFile(env)}`,
        `install ${vmwareHost(env).product} (or set FUSION_PREFS_DIR to the folder holding its networking file)`,
      ),
    ];
  }
  const vnet = answers.get(n);
  const subnet = parseCidr(nat.subnet);
  const mask = prefixToMask(nat.prefixLength);
  const key = (k: string) => `VNET_${n}_${k}`;
  if (!vnet || !vnet.has("HOSTONLY_SUBNET")) {
    return [
      failure(
        name,
        `${name} is not defined in ${networkingFile(env)} (expected subnet ${nat.subnet} with NAT and DHCP)`,
        env.platform === "darwin"
          ? `create it: sudo "${FUSION_TOOLS}/vmnet-cfgcli" vnetcfgadd ${key("DHCP")} yes, ${key("HOSTONLY_SUBNET")} ${subnet.network}, ${key("HOSTONLY_NETMASK")} ${mask}, ${key("NAT")} yes; then vmnet-cli --configure, --stop, --start (README: Fusion networking (vmnet2))`
          : setAnswerFix(env, key("HOSTONLY_SUBNET"), subnet.network),
      ),
    ];
  }
  const rows: CheckResult[] = [];
  const expect = (label: string, k: string, expected: string) => {
    const found = vnet.get(k);
    if (found === expected) rows.push(ok(`${name} ${label}`, `${key(k)} = ${found}`));
    else
      rows.push(
        failure(
          `${name} ${label}`,
          `${key(k)}: expected ${expected}, found ${found ?? "(not set)"}`,
          setAnswerFix(env, key(k), expected),
        ),
      );
  };
  expect("subnet", "HOSTONLY_SUBNET", subnet.network);
  expect("netmask", "HOSTONLY_NETMASK", mask);
  expect("NAT", "NAT", "yes");
  expect("DHCP", "DHCP", "yes");
  if (vnet.get("DHCP") === "yes") rows.push(checkDhcpRange(env, model));
  return rows;
}

function checkDhcpRange(env: DoctorEnv, model: ClusterModel): CheckResult {
  const nat = model.network.nat;
  const file = dhcpdConfFile(env, nat.vmnet);
  const text = env.readFile(file);
  const expected = `${nat.dhcpStart}-${nat.dhcpEnd}`;
  if (text === undefined) {
    return warning(
      `${nat.vmnet} DHCP range`,
      `cannot read ${file}: range not verified (expected ${expected})`,
      `apply the networking settings (${vmwareHost(env).apply}) so ${vmwareHost(env).product} writes it`,
    );
  }
  const ranges = parseDhcpRanges(text);
  const found = ranges.map((r) => `${r.start}-${r.end}`).join(", ") || "(no range)";
  if (ranges.length === 1 && found === expected)
    return ok(`${nat.vmnet} DHCP range`, `${expected} (${file})`);
  return failure(
    `${nat.vmnet} DHCP range`,
    `${file}: expected range ${expected}, found ${found}`,
    `set network.nat.dhcpStart/dhcpEnd in cluster.yaml to the range ${vmwareHost(env).product} serves, or regenerate dhcpd.conf (${vmwareHost(env).apply}) so it matches`,
  );
}

/** vmnet0 is VMware's bridged network: it is bridged unless `networking` makes it host-only. */
export function checkBridged(env: DoctorEnv): CheckResult {
  const answers = readAnswers(env);
  if (!answers)
    return warning(
      "bridged network",
      `cannot read ${networkingFile(env)}: bridged vmnet0 not determinable`,
      `check that ${vmwareHost(env).product} is installed; the gateways' LAN NIC uses the bridged vmnet0`,
    );
  const vnet0 = answers.get(0);
  if (vnet0?.has("HOSTONLY_SUBNET") || vnet0?.get("NAT") === "yes") {
    return failure(
      "bridged network",
      "vmnet0 is configured as host-only/NAT, so the gateways' LAN NIC has no bridge",
      `remove the VNET_0_HOSTONLY_*/VNET_0_NAT answers (${vmwareHost(env).editor}) so vmnet0 is bridged again`,
    );
  }
  return ok(
    "bridged network",
    `vmnet0 is bridged${vnet0 ? "" : " (the default: no host-only answers for it)"}`,
  );
}

/**
 * The gateways' first NIC is bridged to the host's LAN: the host must have an address in
 * network.lan.subnet, or the gateways and the external VIP land on a network that is not there.
 */
export function checkLanAddress(env: DoctorEnv, model: ClusterModel): CheckResult {
  const subnet = model.network.lan.subnet;
  const cidr = parseCidr(subnet);
  const addresses = env.hostAddresses();
  const mine = addresses.filter((a) => isHostInCidr(a, cidr));
  if (mine.length > 0)
    return ok("LAN address", `this host has ${mine.join(", ")} in network.lan.subnet ${subnet}`);
  return failure(
    "LAN address",
    `this host has no address in network.lan.subnet ${subnet} (its addresses: ${addresses.join(", ") || "none"}): the gateways' bridged NIC and the external VIP would be on a network that is not here`,
    "run npm run configure (it reads your LAN from the default route), or set network.lan.subnet and network.externalVip to your LAN in cluster.yaml",
  );
}

/** Every DHCP range VMware serves (all VNET_n with DHCP yes), with the vmnet it belongs to. */
function allDhcpRanges(
  env: DoctorEnv,
  answers: NetworkingAnswers,
): { ranges: Array<DhcpRange & { vmnet: string }>; unread: string[] } {
  const ranges: Array<DhcpRange & { vmnet: string }> = [];
  const unread: string[] = [];
  for (const [n, vnet] of answers) {
    if (vnet.get("DHCP") !== "yes") continue;
    const file = dhcpdConfFile(env, `vmnet${n}`);
    const text = env.readFile(file);
    if (text === undefined) unread.push(file);
    else for (const r of parseDhcpRanges(text)) ranges.push({ ...r, vmnet: `vmnet${n}` });
  }
  return { ranges, unread };
}

export function checkAddresses(env: DoctorEnv, model: ClusterModel): CheckResult[] {
  const rows: CheckResult[] = [];
  const vips = [
    { label: "external VIP", ip: model.network.externalVip },
    { label: "internal VIP", ip: model.network.internalVip },
  ];
  const answers = readAnswers(env);
  if (!answers) {
    rows.push(
      warning(
        "VIPs vs DHCP",
        `cannot read ${networkingFile(env)}: DHCP ranges not checked`,
        `check that ${vmwareHost(env).product} is installed (or set FUSION_PREFS_DIR)`,
      ),
    );
  } else {
    const { ranges, unread } = allDhcpRanges(env, answers);
    const clashes = vips.flatMap((v) => ranges.filter((r) => inDhcpRange(v.ip, r)).map((r) => ({ v, r })));
    for (const { v, r } of clashes) {
      rows.push(
        failure(
          `${v.label} vs DHCP`,
          `${v.label} ${v.ip} lies in ${r.vmnet}'s DHCP range ${r.start}-${r.end}: a VM may be given it`,
          `pick a VIP outside ${r.start}-${r.end} in cluster.yaml (network.${v.label === "external VIP" ? "externalVip" : "internalVip"})`,
        ),
      );
    }
    if (clashes.length === 0) {
      rows.push(
        ok(
          "VIPs vs DHCP",
          `${vips.map((v) => v.ip).join(", ")} outside ${ranges.map((r) => `${r.vmnet} ${r.start}-${r.end}`).join(", ") || "(no DHCP ranges)"}`,
        ),
      );
    }
    if (unread.length > 0)
      rows.push(
        warning(
          "VIPs vs DHCP",
          `cannot read ${unread.join(", ")}: those ranges not checked`,
          `apply the networking settings (${vmwareHost(env).apply}) so ${vmwareHost(env).product} writes them`,
        ),
      );
  }
  rows.push(checkLeases(env, model, vips));
  return rows;
}

/** Static addresses (VM NICs, APT cache, VIPs) must not be held by another machine's active lease. */
function checkLeases(
  env: DoctorEnv,
  model: ClusterModel,
  vips: ReadonlyArray<{ label: string; ip: string }>,
): CheckResult {
  const vmnet = model.network.nat.vmnet;
  const file = leasesFile(env, vmnet);
  const text = env.readFile(file);
  if (text === undefined)
    return ok("static addresses vs leases", `no leases file ${file} (no DHCP lease handed out yet)`);
  const owners = new Map<string, { what: string; macs: string[] }>();
  for (const vm of [...model.vms, model.aptCache.vm]) {
    const macs = vm.nics.map((nic) => normalizeMac(nic.mac));
    for (const nic of vm.nics) if (nic.address) owners.set(nic.address, { what: vm.name, macs });
  }
  if (!owners.has(model.aptCache.address))
    owners.set(model.aptCache.address, {
      what: model.aptCache.vm.name,
      macs: model.aptCache.vm.nics.map((n) => normalizeMac(n.mac)),
    });
  for (const v of vips) owners.set(v.ip, { what: v.label, macs: [] });
  const now = env.now();
  const clashes = parseLeases(text).filter(
    (l) => isActive(l, now) && owners.has(l.ip) && !(l.mac && owners.get(l.ip)!.macs.includes(l.mac)),
  );
  if (clashes.length === 0)
    return ok(
      "static addresses vs leases",
      `${owners.size} static addresses, none leased to another machine (${file})`,
    );
  const shown = clashes.map(
    (l) =>
      `${l.ip} (${owners.get(l.ip)!.what}) is leased to ${l.mac ?? "an unknown MAC"}${l.ends ? ` until ${l.ends.toISOString()}` : ""}`,
  );
  return failure(
    "static addresses vs leases",
    `${shown.join("; ")} in ${file}`,
    "stop the machine holding the address (or pick another address in cluster.yaml); a VM that no longer exists keeps its lease until it ends",
  );
}

import { parseDocument } from "yaml";
import { ConfigError, ConfigIssue, fieldPath } from "./errors";
import { ClusterConfig, ClusterConfigSchema } from "./schema";
import { Arch, ClusterModel, NicSpec, Role, VmSpec } from "./model";
import { Cidr, inRange, ipToInt, isHostInCidr, parseCidr } from "../net/ipv4";
import { deriveMac } from "../net/mac";

/** What main.ts learned from the outside world, handed in so that model building stays pure. */
export interface HostFacts {
  /** `process.arch` of the Mac: `x64` or `arm64`. */
  readonly hostArch: string;
  /** Content of the SSH public key file, or undefined when it could not be read. */
  readonly sshPublicKey: string | undefined;
  /** The path that was read (for messages). */
  readonly sshPublicKeyPath: string;
  /** Why the key file could not be read, when it exists but is not a readable regular file. */
  readonly sshPublicKeyProblem?: string;
}

const COMMON_PACKAGES = ["open-vm-tools", "qemu-guest-agent", "curl", "wget", "vim"] as const;
const ROLE_PACKAGES: Record<Role, readonly string[]> = {
  // nginx's stream module (the API load balancer) is a separate package on Ubuntu.
  gateway: ["nginx", "libnginx-mod-stream", "keepalived"],
  master: [],
  worker: [],
  "apt-cache": ["apt-cacher-ng"],
};
/**
 * Where the base image and its checksums may come from: https, http on this machine only, file:///
 * or an absolute path (the sources lib/image accepts). URLs are made of URL-safe characters only; a
 * local path may hold spaces and non-ASCII letters (macOS folder names) but no control character,
 * quote, backslash or shell symbol.
 */
const URL_PATH = "(/[A-Za-z0-9._~%+/-]*)?";
const LOCAL_PATH = "/[^\\u0000-\\u001f\\u007f\"'\\\\$`;|&<>(){}*?!]+";
const SAFE_IMAGE_SOURCE = new RegExp(
  `^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?${URL_PATH}|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]{1,5})?${URL_PATH}|file://${LOCAL_PATH}|${LOCAL_PATH})$`,
  "u",
);
function isSafeImageSource(url: string): boolean {
  return url.length <= 2048 && SAFE_IMAGE_SOURCE.test(url);
}
const IMAGE_SOURCE_FIX = (what: string) =>
  `must be an https:// URL (or http:// on localhost) of letters, digits and . _ ~ % + / -, or a file:/// URL or absolute path without quotes, control characters or shell symbols, to ${what}`;

/** Top-level names of the project's own files and folders: no configured path may take them over. */
const PROJECT_NAMES = [
  "cluster.yaml",
  "cluster.example.yaml",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "cdktf.json",
  "main.ts",
  "readme.md",
  "node_modules",
  "cdktf.out",
  "scripts",
  "lib",
  "constructs",
  "stacks",
  "templates",
  "__tests__",
  "test-support",
  "bench",
  "e2e",
  ".git",
  ".ci",
];

const DEFAULT_SSH_PUBLIC_KEY_FILE = "~/.ssh/id_ed25519.pub";
const UBUNTU_IMAGE_BASE = "https://cloud-images.ubuntu.com/noble/current";
const SSH_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

/** Parses YAML text and applies the schema; throws ConfigError listing every problem. */
export function parseClusterConfig(text: string, source: string): ClusterConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        field: "",
        value: undefined,
        problem: `YAML syntax error: ${e.message.split("\n")[0]}; fix the file's syntax`,
      })),
    );
  }
  let data: unknown;
  try {
    // maxAliasCount bounds alias expansion (a "billion laughs" file); the yaml library throws past it.
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError(source, [
      {
        field: "",
        value: undefined,
        problem: `the YAML cannot be read (${(err as Error).message}); write the settings out without heavy use of aliases (&x / *x)`,
      },
    ]);
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(source, [
      {
        field: "",
        value: data,
        problem: "the file must be a YAML mapping of settings (see cluster.example.yaml)",
      },
    ]);
  }
  const result = ClusterConfigSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    // One message per field: zod may report both "not an integer" and "too big" for one value.
    const seen = new Set<string>();
    const firstPerField = result.error.issues.filter((issue) => {
      const key =
        fieldPath(issue.path) + (issue.code === "unrecognized_keys" ? `:${issue.keys.join(",")}` : "");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    throw new ConfigError(
      source,
      firstPerField.map((issue) => {
        if (issue.code === "unrecognized_keys") {
          const parent = fieldPath(issue.path);
          const fields = issue.keys.map((k) => (parent ? `${parent}.${k}` : k)).join(", ");
          return {
            field: fields,
            value: undefined,
            problem: `unknown setting${issue.keys.length > 1 ? "s" : ""}; check the spelling against cluster.example.yaml, or remove it`,
          };
        }
        return { field: fieldPath(issue.path), value: issue.input, problem: issue.message };
      }),
    );
  }
  return result.data;
}

function resolveArch(config: ClusterConfig, hostArch: string, issues: ConfigIssue[]): Arch {
  if (config.arch !== "auto") return config.arch;
  if (hostArch === "x64") return "amd64";
  if (hostArch === "arm64") return "arm64";
  issues.push({
    field: "arch",
    value: hostArch,
    problem: "this host's architecture has no Ubuntu cloud image here; set arch: amd64 or arch: arm64",
  });
  return "amd64";
}

function envName(vmName: string): string {
  return `${vmName.toUpperCase().replace(/-/g, "_")}_IP`;
}

/** Applies the cross-field rules and derives names, MACs and paths. Pure: no I/O. */
export function buildClusterModel(
  config: ClusterConfig,
  host: HostFacts,
  source = "cluster config",
): ClusterModel {
  const issues: ConfigIssue[] = [];
  const arch = resolveArch(config, host.hostArch, issues);

  // --- SSH key
  const publicKey = host.sshPublicKey?.trim();
  if (host.sshPublicKeyProblem !== undefined) {
    issues.push({
      field: "sshPublicKeyFile",
      value: host.sshPublicKeyPath,
      problem: host.sshPublicKeyProblem,
    });
  } else if (publicKey === undefined) {
    issues.push({
      field: "sshPublicKeyFile",
      value: host.sshPublicKeyPath,
      problem:
        "the SSH public key file does not exist; create one with: ssh-keygen -t ed25519 (or point sshPublicKeyFile at yours)",
    });
  } else if (!SSH_KEY.test(publicKey)) {
    issues.push({
      field: "sshPublicKeyFile",
      value: host.sshPublicKeyPath,
      problem:
        "does not hold one OpenSSH public key line (ssh-ed25519 AAAA... comment); point it at the .pub file, not the private key",
    });
  }

  // --- networks
  const net = config.network;
  const cidrOf = (field: string, value: string): Cidr | undefined => {
    try {
      return parseCidr(value);
    } catch (e) {
      issues.push({ field, value, problem: (e as Error).message });
      return undefined;
    }
  };
  const nat = cidrOf("network.nat.subnet", net.nat.subnet);
  const lan = cidrOf("network.lan.subnet", net.lan.subnet);
  const inNat = (field: string, value: string, what: string) => {
    if (nat && !isHostInCidr(value, nat))
      issues.push({
        field,
        value,
        problem: `${what} must be a host address inside network.nat.subnet ${net.nat.subnet}`,
      });
  };
  inNat("network.nat.gateway", net.nat.gateway, "the NAT gateway");
  inNat("network.nat.hostAddress", net.nat.hostAddress, "the Mac's vmnet address");
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
        problem: `lies inside the DHCP range ${net.nat.dhcpStart}-${net.nat.dhcpEnd}; Fusion's convention is .2 for the NAT gateway and .1 for the Mac`,
      });
  }
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

  if (net.vrrp.externalRouterId === net.vrrp.internalRouterId) {
    issues.push({
      field: "network.vrrp.internalRouterId",
      value: net.vrrp.internalRouterId,
      problem: "equals externalRouterId; the two VRRP instances need different router ids (e.g. 51 and 52)",
    });
  }

  // --- addresses: every fixed address must be unique
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

  // --- VMs
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

  // The gateways' nginx balances the Kubernetes API over the masters: an empty upstream is invalid.
  if (vms.some((vm) => vm.role === "gateway") && !vms.some((vm) => vm.role === "master")) {
    issues.push({
      field: "vms",
      value: undefined,
      problem:
        "has gateways but no master; the gateways load-balance the Kubernetes API to the masters: add a VM with role: master, or remove the gateways",
    });
  }

  // Inventory variable names must be unique too (they are derived from the names).
  const envNames = new Map<string, string>();
  for (const vm of [aptVm, ...vms]) {
    const key = envName(vm.name);
    const other = envNames.get(key);
    if (other !== undefined && other !== vm.name)
      issues.push({
        field: "vms",
        value: vm.name,
        problem: `maps to the same inventory variable ${key} as ${other}; rename one of them`,
      });
    envNames.set(key, vm.name);
  }

  const pathValues = Object.entries(paths);
  for (const [key, value] of pathValues) {
    // macOS's APFS is case-insensitive by default: VMs and vms are one folder.
    const v = value.toLowerCase();
    for (const [otherKey, other] of pathValues) {
      const o = other.toLowerCase();
      if (key < otherKey && (v === o || v.startsWith(`${o}/`) || o.startsWith(`${v}/`))) {
        issues.push({
          field: `paths.${key}`,
          value,
          problem: `overlaps paths.${otherKey} (${other}); give each its own folder (case does not count on macOS)`,
        });
      }
    }
    const first = v.split("/")[0];
    if (PROJECT_NAMES.includes(first) || first.startsWith("terraform.")) {
      issues.push({
        field: `paths.${key}`,
        value,
        problem: `would take over the project's own ${value.split("/")[0]}; pick another name (the defaults are VMs/k8s_cluster, base_images, generated, vm-ips.env)`,
      });
    }
  }

  // --- base image
  const image = config.baseImage;
  const defaultUrl = `${UBUNTU_IMAGE_BASE}/noble-server-cloudimg-${arch}.img`;
  const url = image.url ?? defaultUrl;
  const checksumsUrl =
    image.checksumsUrl ?? (image.url === undefined ? `${UBUNTU_IMAGE_BASE}/SHA256SUMS` : undefined);
  if (!isSafeImageSource(url)) {
    issues.push({ field: "baseImage.url", value: url, problem: IMAGE_SOURCE_FIX("a qcow2 cloud image") });
  }
  if (image.checksumsUrl !== undefined && !isSafeImageSource(image.checksumsUrl)) {
    issues.push({
      field: "baseImage.checksumsUrl",
      value: image.checksumsUrl,
      problem: IMAGE_SOURCE_FIX("a SHA256SUMS file"),
    });
  }
  if (image.sha256 === undefined && checksumsUrl === undefined) {
    issues.push({
      field: "baseImage.sha256",
      value: undefined,
      problem:
        "a custom baseImage.url needs a checksum to verify it: set baseImage.sha256 (shasum -a 256 <image>) or baseImage.checksumsUrl",
    });
  }
  const imageFile = url.split("/").pop() ?? "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(imageFile)) {
    issues.push({
      field: "baseImage.url",
      value: url,
      problem:
        "must end in a plain file name (letters, digits, '.', '_', '-'), which names the file in base_images/",
    });
  }

  if (issues.length > 0) throw new ConfigError(source, issues);

  const natCidr = nat as Cidr;
  const lanCidr = lan as Cidr;
  const model: ClusterModel = {
    arch,
    addressing: config.addressing,
    paths: { ...paths },
    network: {
      nat: {
        vmnet: net.nat.vmnet,
        subnet: net.nat.subnet,
        prefixLength: natCidr.prefixLength,
        gateway: net.nat.gateway,
        hostAddress: net.nat.hostAddress,
        dhcpStart: net.nat.dhcpStart,
        dhcpEnd: net.nat.dhcpEnd,
      },
      lan: { subnet: net.lan.subnet, prefixLength: lanCidr.prefixLength, connectionType: "bridged" },
      externalVip: net.externalVip,
      internalVip: net.internalVip,
      dnsServers: [...net.dnsServers],
      dnsSearchDomains: [...net.dnsSearchDomains],
      apiHostname: net.apiHostname,
      vrrp: { ...net.vrrp },
    },
    aptCache: { vm: aptVm, address: ac.address, port: ac.port, proxyUrl: `http://${ac.address}:${ac.port}` },
    vms: inListOrder(vms),
    baseImage: {
      url,
      ...(image.sha256 !== undefined ? { sha256: image.sha256 } : {}),
      ...(checksumsUrl !== undefined ? { checksumsUrl } : {}),
      path: `${paths.baseImagesDir}/${imageFile}`,
      virtualSizeGb: image.virtualSizeGb,
    },
    ssh: {
      user: "ubuntu",
      publicKey: publicKey as string,
      // ssh tries ~/.ssh/id_ed25519 by itself; any other key is named as configured.
      ...(config.sshPublicKeyFile !== DEFAULT_SSH_PUBLIC_KEY_FILE && config.sshPublicKeyFile.endsWith(".pub")
        ? { identityFile: config.sshPublicKeyFile.slice(0, -".pub".length) }
        : {}),
    },
    commonPackages: [...COMMON_PACKAGES],
    hardware: { ...config.hardware },
    timeouts: { ...config.timeouts },
  };
  return deepFreeze(model);
}

const BOOT_ORDER: Record<Role, number> = { "apt-cache": 0, master: 1, worker: 2, gateway: 3 };

/** The model's (and so the synthesized JSON's) order: gateways, masters, workers; the user's order within a role. */
function inListOrder(vms: VmSpec[]): VmSpec[] {
  const listOrder: Record<Role, number> = { gateway: 0, master: 1, worker: 2, "apt-cache": 3 };
  return [...vms].sort((a, b) => listOrder[a.role] - listOrder[b.role]);
}

/** The order in which VMs are started after a rollback: cache, masters, workers, gateways. */
export function startOrder<T extends { readonly role: Role }>(vms: readonly T[]): T[] {
  return [...vms].sort((a, b) => BOOT_ORDER[a.role] - BOOT_ORDER[b.role]);
}

/** `k8s-master1` -> `K8S_MASTER1_IP`, the inventory's variable name. */
export function inventoryVariable(vm: VmSpec): string {
  return envName(vm.name);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value as Record<string, unknown>).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

import { parseDocument, type YAMLError } from "yaml";
import { ConfigError, ConfigIssue, fieldPath } from "./errors";
import { ClusterConfig, ClusterConfigSchema } from "./schema";
import { Arch, BaseImageSpec, ClusterModel, Role, VmSpec } from "./model";
import { resolveBaseImage } from "./base-image-spec";
import { checkGatewaysHaveMasters, checkInventoryNames, checkPaths } from "./cluster-checks";
import { checkNetworks } from "./network-checks";
import { checkTarget } from "./target-checks";
import { inventoryVariableName } from "./vm-files";
import { buildVmSpecs } from "./vm-specs";
import type { Cidr } from "../net/ipv4";
import { hostWords } from "../host-words";

/** What main.ts learned from the outside world, handed in so that model building stays pure. */
export interface HostFacts {
  /** `process.arch` of the Mac: `x64` or `arm64`. */
  readonly hostArch: string;
  /** `process.platform`: only the words of messages depend on it (lib/model/host-words.ts). @default "linux" */
  readonly platform?: string;
  /** Content of the SSH public key file, or undefined when it could not be read. */
  readonly sshPublicKey: string | undefined;
  /** The path that was read (for messages). */
  readonly sshPublicKeyPath: string;
  /** Why the key file could not be read, when it exists but is not a readable regular file. */
  readonly sshPublicKeyProblem?: string;
}

const COMMON_PACKAGES = ["open-vm-tools", "qemu-guest-agent", "curl", "wget", "vim"] as const;
const DEFAULT_SSH_PUBLIC_KEY_FILE = "~/.ssh/id_ed25519.pub";
const SSH_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

/** Parses YAML text and applies the schema; throws ConfigError listing every problem. */
export function parseClusterConfig(text: string, source: string): ClusterConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ field: "", value: undefined, problem: yamlSyntaxProblem(e) })),
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
        // A required setting left out: say so, not only what a value must look like.
        if ((issue.code === "invalid_type" || issue.code === "invalid_value") && issue.input === undefined)
          return {
            field: fieldPath(issue.path),
            value: undefined,
            problem: `is missing; this setting is required and ${issue.message}`,
          };
        return { field: fieldPath(issue.path), value: issue.input, problem: issue.message };
      }),
    );
  }
  return result.data;
}

/** `YAML syntax error at line 5, column 1: <what>; ...`: the yaml library puts the place (and a snippet) after the text. */
function yamlSyntaxProblem(e: YAMLError): string {
  const what = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "").trim();
  const place = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
  return `YAML syntax error${place}: ${what}; fix the file's syntax there`;
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

/** Applies the cross-field rules and derives names, MACs and paths, step by step. Pure: no I/O. */
export function buildClusterModel(
  config: ClusterConfig,
  host: HostFacts,
  source = "cluster config",
): ClusterModel {
  const issues: ConfigIssue[] = [];
  const arch = resolveArch(config, host.hostArch, issues);
  const publicKey = checkSshKey(host, issues);
  const network = checkNetworks(config.network, issues, hostWords(host.platform ?? "linux"));
  const { aptVm, vms } = buildVmSpecs(config, network, issues);
  checkGatewaysHaveMasters(vms, issues);
  checkInventoryNames([aptVm, ...vms], issues);
  checkPaths(config.paths, issues);
  checkTarget(config, issues);
  const baseImage = resolveBaseImage(config, arch, issues);
  if (issues.length > 0) throw new ConfigError(source, issues);
  return deepFreeze(
    assembleModel(config, {
      arch,
      publicKey: publicKey as string,
      nat: network.nat as Cidr,
      lan: network.lan as Cidr,
      aptVm,
      vms,
      baseImage,
    }),
  );
}

/** The SSH public key's line, recording why it cannot be used when it cannot. */
function checkSshKey(host: HostFacts, issues: ConfigIssue[]): string | undefined {
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

  return publicKey;
}

interface CheckedParts {
  readonly arch: Arch;
  readonly publicKey: string;
  readonly nat: Cidr;
  readonly lan: Cidr;
  readonly aptVm: VmSpec;
  readonly vms: VmSpec[];
  readonly baseImage: BaseImageSpec;
}

/** The model from a config whose every rule held. */
function assembleModel(config: ClusterConfig, parts: CheckedParts): ClusterModel {
  const { arch, publicKey, aptVm } = parts;
  const natCidr = parts.nat;
  const lanCidr = parts.lan;
  const net = config.network;
  const ac = config.aptCache;
  const paths = config.paths;
  const model: ClusterModel = {
    target: config.target,
    ...(config.target === "vsphere" && config.vsphere !== undefined
      ? { vsphere: { ...config.vsphere } }
      : {}),
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
    vms: inListOrder(parts.vms),
    baseImage: parts.baseImage,
    ssh: {
      user: "ubuntu",
      publicKey,
      // ssh tries ~/.ssh/id_ed25519 by itself; any other key is named as configured.
      ...(config.sshPublicKeyFile !== DEFAULT_SSH_PUBLIC_KEY_FILE && config.sshPublicKeyFile.endsWith(".pub")
        ? { identityFile: config.sshPublicKeyFile.slice(0, -".pub".length) }
        : {}),
    },
    commonPackages: [...COMMON_PACKAGES],
    hardware: { ...config.hardware },
    timeouts: { ...config.timeouts },
  };
  return model;
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
  return inventoryVariableName(vm.name);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value as Record<string, unknown>).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

import * as YAML from "yaml";
import type { ClusterModel, NicSpec, VmSpec } from "../config/model";
import { ExpressionSlots, type ListValue, type TextValue } from "./terraform-text";
import {
  fillPlaceholders,
  mergeTemplates,
  parseTemplate,
  SEED_TEMPLATE_FILES,
  type SeedTemplates,
  type TemplateMapping,
  type TemplateValue,
} from "./templates";

/**
 * Pure renderers of a VM's NoCloud seed files (user-data, meta-data, network-config). They run at
 * synth time: no I/O, no environment, no clock. The output is Terraform template text: literal parts
 * are escaped (`$${`, `%%{`) and the apply-time variables appear as `${var...}` expressions.
 */

/** Values known only at apply time (Terraform variables) or fixed at synth time. */
export interface SeedVariables {
  /** `apt_proxy_url` (string). An empty string turns the proxy off. */
  readonly aptProxyUrl: TextValue;
  /** `dns_servers` (list(string)). */
  readonly dnsServers: ListValue;
  /** `dns_search_domains` (list(string)). */
  readonly dnsSearchDomains: ListValue;
}

export const APT_PROXY_CONF_PATH = "/etc/apt/apt.conf.d/01proxy";
export const APT_PROXY_DETECT_PATH = "/usr/local/bin/apt-proxy-detect";
/** Where the guest side of guest-config lives (run as `sudo -n <path>` over SSH). */
export const GUEST_APPLIER_PATH = "/usr/local/sbin/k8s-lab-apply";
/** The apt cache's report (run as `sudo -n <path>` over SSH by `npm run apt-cache -- status`). */
export const APT_CACHE_STATS_PATH = "/usr/local/sbin/apt-cache-stats";

/** Route metrics: on a gateway the LAN default route wins, the NAT one stays as a fallback. */
const LAN_ROUTE_METRIC = 100;
export const NAT_ROUTE_METRIC = 200;

function textSlot(value: TextValue, slots: ExpressionSlots): string {
  return "literal" in value ? value.literal : slots.text(value.expression);
}

function listSlot(value: ListValue, slots: ExpressionSlots): TemplateValue {
  return "literal" in value ? [...value.literal] : slots.list(value.expression);
}

/** Serializes a tree as YAML 1.1 and turns it into Terraform template text. */
function emitYaml(tree: TemplateMapping, slots: ExpressionSlots, header = ""): string {
  const doc = new YAML.Document(tree, { version: "1.1" });
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string") return;
      const kind = slots.kindOf(node.value);
      // A whole-value string expression is double-quoted so its result is always read as a string
      // (an instance id of digits, a URL with ": "); a list expression stays plain: JSON is a flow sequence.
      if (kind === "text" || kind === "raw") node.type = "QUOTE_DOUBLE";
      else if (kind === undefined && slots.listSlotsIn(node.value).length > 0) {
        throw new Error(
          `a list value was placed inside a string (${JSON.stringify(node.value)}); a list must be a whole value`,
        );
      }
    },
  });
  return slots.finish(header + doc.toString({ lineWidth: 0, minContentWidth: 0 }));
}

function parseChecked(name: string, text: string): TemplateMapping {
  if (ExpressionSlots.looksLikeSentinel(text)) {
    throw new Error(`seed template ${name} contains the reserved marker "zzTfSlot"; remove it`);
  }
  return parseTemplate(name, text);
}

function natNicOf(vm: VmSpec): NicSpec {
  const nics = vm.nics.filter((n) => n.network === "nat");
  if (nics.length !== 1) {
    throw new Error(
      `VM ${vm.name} has ${nics.length} NICs on the nat network; it needs exactly one (apt cache, DNS, default route)`,
    );
  }
  return nics[0];
}

/**
 * The apt proxy client: `Acquire::http::Proxy` plus a fallback so apt still works when the cache does
 * not answer. Finding (apt's source, apt-pkg/contrib/proxy.cc AutoDetectProxy and methods/http.cc
 * HttpServerState::Open; reproduced with apt 2.6 against local servers): apt runs the
 * `Acquire::http::Proxy-Auto-Detect` command once per host and apt process and stores its output as the
 * HOST-SPECIFIC `Acquire::http::Proxy::<host>`; the http method checks that key before the generic
 * `Acquire::http::Proxy`, and the value `DIRECT` means "no proxy". So with both set, the detector wins:
 * it prints the cache URL when the cache accepts a TCP connection, else DIRECT (mirror fetched
 * directly). The detector must exit 0 (a failing detector fails the download) and be executable, and
 * no host-specific proxy may be configured elsewhere (apt then skips detection). Empty URL = no proxy.
 * The detector reads the URL back with `apt-config shell`, which quotes it for the shell, so the URL
 * (an apply-time variable) is never part of the script's code. The detector is templates/apt-proxy-detect.sh.
 */
function aptProxyClientFiles(proxyUrl: string, detector: string): TemplateValue[] {
  const conf = [
    "// Written by cloud-init: the lab's apt cache, with a fallback to direct downloads.",
    "// The detector's answer (cache URL or DIRECT) overrides the generic line below for each host.",
    `Acquire::http::Proxy "${proxyUrl}";`,
    `Acquire::http::Proxy-Auto-Detect "${APT_PROXY_DETECT_PATH}";`,
    "",
  ].join("\n");
  return [
    { path: APT_PROXY_CONF_PATH, permissions: "0644", content: conf },
    { path: APT_PROXY_DETECT_PATH, permissions: "0755", content: detector },
  ];
}

function dedupe(items: readonly TemplateValue[]): TemplateValue[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `user-data`: base template + the role overlay, filled for `vm`. */
export function renderUserData(
  vm: VmSpec,
  model: ClusterModel,
  templates: SeedTemplates,
  vars: SeedVariables,
): string {
  if (/[\r\n]/.test(model.ssh.publicKey) || model.ssh.publicKey.trim() === "") {
    throw new Error(
      `the SSH public key must be one non-empty line (the content of a .pub file); got ${JSON.stringify(model.ssh.publicKey.slice(0, 40))}`,
    );
  }
  const slots = new ExpressionSlots();
  const overlayName = SEED_TEMPLATE_FILES.roleOverlay(vm.role);
  const overlayText = templates.roleOverlays[vm.role];
  let tree = parseChecked(SEED_TEMPLATE_FILES.userData, templates.userData);
  if (overlayText !== undefined)
    tree = mergeTemplates(tree, parseChecked(overlayName, overlayText), overlayName);

  if ("literal" in vars.aptProxyUrl && /["\\\s]/.test(vars.aptProxyUrl.literal)) {
    throw new Error(
      `invalid apt proxy URL ${JSON.stringify(vars.aptProxyUrl.literal)}: it must not contain quotes, backslashes or spaces (e.g. http://10.10.0.148:3142, or "" for none)`,
    );
  }
  const proxyUrl = textSlot(vars.aptProxyUrl, slots);
  const filled = fillPlaceholders(
    overlayText === undefined
      ? SEED_TEMPLATE_FILES.userData
      : `${SEED_TEMPLATE_FILES.userData} + ${overlayName}`,
    tree,
    {
      hostname: vm.name,
      ssh_user: model.ssh.user,
      ssh_public_key: model.ssh.publicKey,
      packages: [...model.commonPackages, ...vm.packages],
      apt_proxy_files:
        vm.role === "apt-cache" ? [] : aptProxyClientFiles(proxyUrl, templates.aptProxyDetector),
      guest_applier_files:
        vm.role === "apt-cache"
          ? []
          : [{ path: GUEST_APPLIER_PATH, permissions: "0755", content: templates.guestApplier }],
      apt_cache_stats_file: {
        path: APT_CACHE_STATS_PATH,
        permissions: "0755",
        content: templates.aptCacheStats,
      },
      apt_proxy_url: proxyUrl,
      apt_cache_port: String(model.aptCache.port),
      nat_ifname: natNicOf(vm).ifname,
    },
  );
  // The same package from the model and an overlay is installed once.
  const packages = filled.packages;
  const result = Array.isArray(packages) ? { ...filled, packages: dedupe(packages) } : filled;
  return emitYaml(result, slots, "#cloud-config\n");
}

/** `instanceId` without its `${...}` interpolations (their content is HCL, not output text). */
function literalPartsOf(templateText: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < templateText.length; i++) {
    if (depth === 0 && templateText.startsWith("${", i) && !templateText.startsWith("$${", i - 1)) {
      depth = 1;
      i++;
    } else if (depth > 0) {
      if (templateText[i] === "{") depth++;
      else if (templateText[i] === "}") depth--;
    } else out += templateText[i];
  }
  return out;
}

/**
 * `meta-data`. `instanceId` is Terraform template text inserted as given (it may hold `${...}`),
 * inside a double-quoted scalar: its literal parts must not contain quotes, backslashes or newlines.
 */
export function renderMetaData(vm: VmSpec, instanceId: string, templates: SeedTemplates): string {
  const slots = new ExpressionSlots();
  return emitYaml(metaDataTree(vm, instanceId, templates, slots), slots);
}

/**
 * `guestinfo.metadata` for cloud-init's VMware datasource (vSphere): the meta-data document, with the
 * network config under `network`, base64-encoded as `network.encoding` says (the datasource's
 * process_metadata decodes it). `networkConfig` is an HCL expression holding the rendered network-config.
 */
export function renderGuestinfoMetadata(
  vm: VmSpec,
  instanceId: string,
  networkConfig: string,
  templates: SeedTemplates,
): string {
  const slots = new ExpressionSlots();
  const tree = metaDataTree(vm, instanceId, templates, slots);
  return emitYaml(
    { ...tree, network: slots.text(`base64encode(${networkConfig})`), "network.encoding": "base64" },
    slots,
  );
}

function metaDataTree(vm: VmSpec, instanceId: string, templates: SeedTemplates, slots: ExpressionSlots) {
  if (instanceId.trim() === "" || /["\\\r\n]/.test(literalPartsOf(instanceId))) {
    throw new Error(
      `invalid instance id ${JSON.stringify(instanceId)} for VM ${vm.name}: it must be non-empty, one line, without quotes or backslashes`,
    );
  }
  const tree = parseChecked(SEED_TEMPLATE_FILES.metaData, templates.metaData);
  return fillPlaceholders(SEED_TEMPLATE_FILES.metaData, tree, {
    instance_id: slots.raw(instanceId),
    hostname: vm.name,
  });
}

function prefixFor(nic: NicSpec, model: ClusterModel): number {
  return nic.network === "nat" ? model.network.nat.prefixLength : model.network.lan.prefixLength;
}

/** One `ethernets.<ifname>` entry (netplan v2). */
function ethernetEntry(
  nic: NicSpec,
  model: ClusterModel,
  vars: SeedVariables,
  slots: ExpressionSlots,
): TemplateMapping {
  const metric = nic.network === "lan" ? LAN_ROUTE_METRIC : NAT_ROUTE_METRIC;
  const entry: Record<string, TemplateValue> = { match: { macaddress: nic.mac }, "set-name": nic.ifname };
  if (nic.address !== undefined) {
    entry.dhcp4 = false;
    entry.addresses = [`${nic.address}/${prefixFor(nic, model)}`];
    // 0.0.0.0/0 rather than `default`: cloud-init 22.4's net-convert rejects `to: default`.
    // The model knows no LAN router, so a static LAN NIC gets no route.
    if (nic.network === "nat") entry.routes = [{ to: "0.0.0.0/0", via: model.network.nat.gateway, metric }];
  } else {
    entry.dhcp4 = true;
    // Fusion's dhcpd and reservations key on the MAC; networkd would send a DUID by default.
    entry["dhcp-identifier"] = "mac";
    // DNS comes only from the dns_servers variable, so DHCP-announced servers do not mix in.
    entry["dhcp4-overrides"] = { "use-dns": false, "route-metric": metric };
  }
  if (nic.network === "lan") {
    // Boot must not wait for a LAN without DHCP (systemd-networkd-wait-online would stall 2 minutes).
    entry.optional = true;
  } else {
    entry.nameservers = {
      addresses: listSlot(vars.dnsServers, slots),
      search: listSlot(vars.dnsSearchDomains, slots),
    };
  }
  return entry;
}

/** `network-config` (netplan v2): every NIC matched by MAC and renamed to its ifname. */
export function renderNetworkConfig(
  vm: VmSpec,
  model: ClusterModel,
  templates: SeedTemplates,
  vars: SeedVariables,
): string {
  natNicOf(vm);
  const seen = new Set<string>();
  for (const nic of vm.nics) {
    for (const key of [`ifname ${nic.ifname}`, `MAC ${nic.mac}`]) {
      if (seen.has(key))
        throw new Error(`VM ${vm.name} has two NICs with the same ${key}; each NIC needs its own`);
      seen.add(key);
    }
  }
  const slots = new ExpressionSlots();
  const ethernets: Record<string, TemplateValue> = {};
  for (const nic of vm.nics) ethernets[nic.ifname] = ethernetEntry(nic, model, vars, slots);
  const tree = parseChecked(SEED_TEMPLATE_FILES.networkConfig, templates.networkConfig);
  return emitYaml(fillPlaceholders(SEED_TEMPLATE_FILES.networkConfig, tree, { ethernets }), slots);
}

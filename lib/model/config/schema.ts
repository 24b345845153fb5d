import { z } from "zod";
import { isIPv4 } from "../net/ipv4";
import { VMWARE_STATIC_MAC } from "../net/mac";
import { HOSTNAME, regexOf, RULES } from "../rules";
import { VsphereConfigSchema } from "./vsphere-schema";

/**
 * The user's config file (YAML), with every default. Field-level rules live here; rules that relate
 * fields to each other (addresses in their networks, duplicates, ...) live in build-model.ts.
 */

export { HOSTNAME } from "../rules";
const HOSTNAME_FIX =
  "use an RFC 1123 hostname: 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit (e.g. k8s-worker3)";
/**
 * A project-relative path: plain segments only, so nothing can point outside the project; each
 * segment at most 255 characters (the macOS limit), the whole at most 1024.
 */
const RELATIVE_PATH =
  /^(?=.{1,1024}$)(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_][A-Za-z0-9._-]{0,254}(\/[A-Za-z0-9_][A-Za-z0-9._-]{0,254})*$/;
/**
 * The SSH public key file: a path that may contain spaces (a macOS home folder) but no control
 * characters, quotes or shell metacharacters; its private half's name reaches `ssh -i`.
 */
const KEY_FILE_PATH = /^[\p{L}\p{N}~._/@+ -]{1,1024}$/u;
const RELATIVE_PATH_FIX =
  "use a path inside the project, relative to it, made of letters, digits, '.', '_', '-' and '/' (no '..', no leading '/' or '-')";

const VRRP_PASS_FIX = "use 1-8 letters, digits, '.', '_' or '-' (keepalived's limit), e.g. k8s-lab";

const hostname = z
  .string({ error: `must be a VM name; ${HOSTNAME_FIX}` })
  .regex(HOSTNAME, { error: `is not a valid VM name; ${HOSTNAME_FIX}` });
const ipv4 = z
  .string({ error: "must be an IPv4 address like 10.10.0.20" })
  .refine(isIPv4, { error: "is not an IPv4 address; write it as four numbers 0-255, e.g. 10.10.0.20" });
const cidr = z
  .string()
  .regex(/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/, { error: "is not a CIDR block; write it like 10.10.0.0/24" });
const relPath = z.string().regex(RELATIVE_PATH, { error: `is not allowed; ${RELATIVE_PATH_FIX}` });
const mac = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => VMWARE_STATIC_MAC.test(s), {
    error:
      "is not in VMware's static MAC range; use 00:50:56:00:00:00 to 00:50:56:3f:ff:ff (or leave it out to derive one from the VM name)",
  });

function int(label: string, min: number, max: number) {
  return z
    .number({ error: `must be a whole number of ${label} between ${min} and ${max}` })
    .int({ error: `must be a whole number of ${label} between ${min} and ${max}` })
    .min(min, { error: `must be at least ${min} ${label}` })
    .max(max, { error: `must be at most ${max} ${label}` });
}

const LIMITS = {
  cpus: [1, 32],
  memoryMb: [1024, 131072],
  diskGb: [4, 2048],
} as const;

const cpus = int("vCPUs", ...LIMITS.cpus);
const memoryMb = int("MB", ...LIMITS.memoryMb);
const diskGb = int("GB", ...LIMITS.diskGb);

/** A DNS name (RULES.dnsName, which Terraform's variable validation checks too). */
const dnsName = (error: string) =>
  z.string().max(RULES.dnsName.maxLength, { error }).regex(regexOf(RULES.dnsName), { error });
const routerId = int("(VRRP router id)", RULES.vrrpRouterId.min, RULES.vrrpRouterId.max);

type Sizing = { readonly cpus: number; readonly memoryMb: number; readonly diskGb: number };

/** A role's sizes: each field left out takes the built-in one, so `{worker: {memoryMb: 8192}}` is enough. */
const sizingWithDefaults = (d: Sizing) =>
  z
    .strictObject({
      cpus: cpus.default(d.cpus),
      memoryMb: memoryMb.default(d.memoryMb),
      diskGb: diskGb.default(d.diskGb),
    })
    .prefault({});

export const ROLES = ["gateway", "master", "worker"] as const;

const vmEntry = z.strictObject({
  name: hostname,
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` }),
  cpus: cpus.optional(),
  memoryMb: memoryMb.optional(),
  diskGb: diskGb.optional(),
  /** One MAC per NIC (gateways have two); derived from the name when left out. */
  macs: z
    .array(mac)
    .max(2, { error: "has more entries than the VM has NICs (gateways 2, others 1)" })
    .optional(),
  /** Static address on the vmnet NIC (addressing: static). */
  address: ipv4.optional(),
});

/** The default HA layout (cluster.example.yaml's vms); configure's "ha" profile too. */
export const DEFAULT_VMS: readonly { readonly name: string; readonly role: (typeof ROLES)[number] }[] = [
  { name: "gateway1", role: "gateway" },
  { name: "gateway2", role: "gateway" },
  { name: "k8s-master1", role: "master" },
  { name: "k8s-master2", role: "master" },
  { name: "k8s-master3", role: "master" },
  { name: "k8s-worker1", role: "worker" },
  { name: "k8s-worker2", role: "worker" },
];

const timeouts = z.strictObject({
  vmrunSeconds: int("seconds", 5, 3600).default(120),
  ipWaitSeconds: int("seconds", 30, 7200).default(900),
  ipLookupSeconds: int("seconds", 2, 600).default(20),
  diskSeconds: int("seconds", 30, 7200).default(900),
  downloadSeconds: int("seconds", 30, 14400).default(1800),
  guestConfigSeconds: int("seconds", 30, 7200).default(900),
});

export const ClusterConfigSchema = z.strictObject({
  /** Where the lab runs: VMware Fusion/Workstation on this machine, or a vSphere cluster (the vsphere block). */
  target: z.enum(["fusion", "vsphere"], { error: "must be fusion or vsphere" }).default("fusion"),
  vsphere: VsphereConfigSchema.optional(),
  /** `auto` = the Mac's own architecture. */
  arch: z.enum(["auto", "amd64", "arm64"], { error: "must be auto, amd64 or arm64" }).default("auto"),
  addressing: z.enum(["dhcp", "static"], { error: "must be dhcp or static" }).default("dhcp"),
  sshPublicKeyFile: z
    .string()
    .min(1, { error: "must name your public key file, e.g. ~/.ssh/id_ed25519.pub" })
    .regex(KEY_FILE_PATH, {
      error:
        "is not allowed; use a path of letters, digits, spaces and ~ . _ / @ + - (no quotes, control characters or shell symbols), e.g. ~/.ssh/id_ed25519.pub",
    })
    .default("~/.ssh/id_ed25519.pub"),
  paths: z
    .strictObject({
      vmsDir: relPath.default("VMs/k8s_cluster"),
      baseImagesDir: relPath.default("base_images"),
      generatedDir: relPath.default("generated"),
      inventoryFile: relPath.default("vm-ips.env"),
    })
    .prefault({}),
  network: z
    .strictObject({
      nat: z
        .strictObject({
          vmnet: z
            .string()
            .regex(/^vmnet\d{1,3}$/, { error: "must be a Fusion network name like vmnet2" })
            .default("vmnet2"),
          subnet: cidr.default("10.10.0.0/24"),
          gateway: ipv4.default("10.10.0.2"),
          hostAddress: ipv4.default("10.10.0.1"),
          dhcpStart: ipv4.default("10.10.0.128"),
          dhcpEnd: ipv4.default("10.10.0.254"),
        })
        .prefault({}),
      lan: z.strictObject({ subnet: cidr.default("192.168.68.0/24") }).prefault({}),
      externalVip: ipv4.default("192.168.68.210"),
      internalVip: ipv4.default("10.10.0.100"),
      dnsServers: z
        .array(ipv4)
        .min(RULES.dnsServers.minItems, {
          error: "needs at least one DNS server, e.g. [10.10.0.2] (the vmnet's NAT DNS)",
        })
        .max(RULES.dnsServers.maxItems, {
          error: `takes at most ${RULES.dnsServers.maxItems} DNS servers (the resolver limit)`,
        })
        .default(["10.10.0.2"]),
      dnsSearchDomains: z
        .array(dnsName("is not a DNS domain name like lab.local"))
        .max(RULES.dnsSearchDomains.maxItems, {
          error: `takes at most ${RULES.dnsSearchDomains.maxItems} search domains`,
        })
        .default([]),
      /** Name every VM's /etc/hosts gives the internal VIP (the Kubernetes API endpoint). */
      apiHostname: dnsName("is not a DNS name like k8s-api or api.lab.local").default("k8s-api"),
      /** keepalived between the gateways: defaults of the vrrp_* Terraform variables. */
      vrrp: z
        .strictObject({
          externalRouterId: routerId.default(51),
          internalRouterId: routerId.default(52),
          authPass: z
            .string()
            .regex(regexOf(RULES.vrrpAuthPass), { error: `is not a VRRP password; ${VRRP_PASS_FIX}` })
            .default("k8s-lab"),
        })
        .prefault({}),
    })
    .prefault({}),
  aptCache: z
    .strictObject({
      name: hostname.default("apt-cache-server"),
      address: ipv4.default("10.10.0.148"),
      port: int("port", 1, 65535).default(3142),
      cpus: cpus.default(2),
      memoryMb: memoryMb.default(2048),
      diskGb: diskGb.default(40),
      macs: z.array(mac).max(1, { error: "has more entries than the VM has NICs (1)" }).optional(),
    })
    .prefault({}),
  roleDefaults: z
    .strictObject({
      gateway: sizingWithDefaults({ cpus: 2, memoryMb: 2048, diskGb: 40 }),
      master: sizingWithDefaults({ cpus: 2, memoryMb: 4096, diskGb: 40 }),
      worker: sizingWithDefaults({ cpus: 4, memoryMb: 4096, diskGb: 40 }),
    })
    .prefault({}),
  vms: z
    .array(vmEntry)
    .min(1, { error: "needs at least one VM" })
    .max(250, { error: "takes at most 250 VMs (the vmnet has one /24)" })
    .default(() => DEFAULT_VMS.map((vm) => ({ ...vm }))),
  baseImage: z
    .strictObject({
      /** Defaults to Ubuntu 24.04's current cloud image for the chosen arch. */
      url: z.string().min(1).optional(),
      sha256: z
        .string()
        .transform((s) => s.toLowerCase())
        .refine((s) => /^[0-9a-f]{64}$/.test(s), {
          error: "is not a SHA-256 (64 hex digits); get it with: shasum -a 256 <image>",
        })
        .optional(),
      checksumsUrl: z.string().min(1).optional(),
      virtualSizeGb: z.number().positive().max(2048).default(3.5),
    })
    .prefault({}),
  hardware: z
    .strictObject({
      virtualHwVersion: int("(hardware version)", 19, 22).default(21),
      nicType: z.enum(["vmxnet3", "e1000e"], { error: "must be vmxnet3 or e1000e" }).default("vmxnet3"),
    })
    .prefault({}),
  timeouts: timeouts.prefault({}),
});

export type ClusterConfig = z.output<typeof ClusterConfigSchema>;
export type ClusterConfigInput = z.input<typeof ClusterConfigSchema>;

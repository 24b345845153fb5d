/**
 * Every Terraform entry point's contract: the environment keys, their types and defaults.
 * Constructs build provisioners from these, scripts parse their environment with them
 * (lib/model/entry/contract.ts).
 */
import { HOSTNAME } from "../rules";
import {
  EntryContract,
  EntryInputError,
  hostInt,
  hostText,
  int,
  intWithDefault,
  optionalInt,
  optionalText,
  text,
} from "./contract";

/** vmrun's deadline for one call, in seconds, where neither the construct nor the user sets one. */
export const DEFAULT_VMRUN_TIMEOUT_SECONDS = 120;

/** VMRUN_TIMEOUT_SECONDS: every vmrun call's deadline, read by the driver (lib/runtime/hypervisor/vmrun/driver.ts) for entry points and CLI alike. */
export const VMRUN_TIMEOUT = intWithDefault(DEFAULT_VMRUN_TIMEOUT_SECONDS, 1, 24 * 3600);
const vmrunTimeout = () => VMRUN_TIMEOUT;
/** The base image, for base-image and for a disk clone that finds base_images/ emptied. */
const imageDownload = {
  IMAGE_SHA256: optionalText(),
  IMAGE_CHECKSUMS_URL: optionalText(),
  DOWNLOAD_TIMEOUT_SECONDS: intWithDefault(1800),
} as const;

/** The build steps of a VM that the plan checks (lib/runtime/steps): each one's result must exist. */
export const STEP_NAMES = ["disk", "seed", "power", "config"] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * What every checked step's provisioner gets: where its records live and the token the step check
 * gave it at plan time (empty on a first run), which its receipt records when the step is done. The
 * constructs always pass STEP_DIR; without it (a script run by hand) nothing is recorded.
 */
const stepRecord = {
  STEP_DIR: optionalText(),
  STEP_TOKEN: optionalText(),
} as const;

export const BASE_IMAGE = new EntryContract("base-image", {
  IMAGE_SOURCE: text(),
  IMAGE_PATH: text(),
  ...imageDownload,
});

export const DISK_CLONE = new EntryContract("disk-clone", {
  VM_NAME: text(),
  VMS_DIR: text(),
  BASE_IMAGE: text(),
  DISK_PATH: text(),
  DISK_SIZE_GB: int(1, 65536),
  DISK_TIMEOUT_SECONDS: intWithDefault(900),
  ...stepRecord,
  // Only used when base_images/ was emptied after the image resource ran.
  IMAGE_SOURCE: optionalText(),
  IMAGE_PATH: optionalText(),
  ...imageDownload,
});

export const VM_DESTROY = new EntryContract("vm-destroy", {
  VM_NAME: text(),
  VMS_DIR: text(),
  VM_DIR: text(),
  VMX_PATH: text(),
  VMRUN_TIMEOUT_SECONDS: vmrunTimeout(),
});

export const SEED_ISO = new EntryContract("seed-iso", {
  VM_NAME: text(),
  VMS_DIR: text(),
  SEED_DIR: text(),
  ISO_PATH: text(),
  ISO_TIMEOUT_SECONDS: intWithDefault(120),
  ...stepRecord,
  /** xorriso | genisoimage | mkisofs | hdiutil: the user's choice when several are installed. */
  ISO_TOOL: hostText(),
});

export const VM_START = new EntryContract("vm-start", {
  VM_NAME: text(),
  VMS_DIR: text(),
  VMX_PATH: text(),
  VMX_SOURCE: text(),
  DISK_PATH: optionalText(),
  // Needed with DISK_PATH: the disk is grown to this size before the first start.
  DISK_SIZE_GB: optionalInt(1, 65536),
  IP_NETWORKS: text(),
  IP_EXCLUDE: optionalText(),
  IP_WAIT_SECONDS: intWithDefault(900),
  LAST_IP_FILE: optionalText(),
  /** The seed ISO the VM boots from: a running VM started with another one is restarted. */
  SEED_ISO_PATH: optionalText(),
  VMRUN_TIMEOUT_SECONDS: vmrunTimeout(),
  ...stepRecord,
});

export const VM_STOP = new EntryContract("vm-stop", {
  VM_NAME: text(),
  VMS_DIR: text(),
  VMX_PATH: text(),
  VMRUN_TIMEOUT_SECONDS: vmrunTimeout(),
});

export const GUEST_CONFIG = new EntryContract("guest-config", {
  VM_NAME: text(),
  // Empty while the VM has not reported an address: the script says so instead of guessing.
  SSH_HOST: optionalText(),
  SSH_USER: text(),
  GUEST_MANIFEST: text(),
  GUEST_WAIT_SECONDS: intWithDefault(900),
  SSH_IDENTITY_FILE: optionalText(),
  SSH_PORT: hostInt(22, 1, 65535),
  // The VM's pinned host keys (project-relative): its known_hosts file and the console cloud-init prints them on.
  // Optional for a stack synthesized before the pins: then they go beside the VM's generated files,
  // recorded at first use.
  SSH_KNOWN_HOSTS: optionalText(),
  SSH_CONSOLE_LOG: optionalText(),
  // Which VM the pins belong to where a rebuilt VM keeps the path (vSphere: the clone's id); unset on Fusion.
  SSH_PINS_EPOCH: optionalText(),
  /** The VM's .vmx: with no address, whether it exists decides which command the message names. */
  VMX_PATH: optionalText(),
  ...stepRecord,
});

/** Every local-exec entry point's contract, by entry name. */
export const LOCAL_EXEC_CONTRACTS = [
  BASE_IMAGE,
  DISK_CLONE,
  VM_DESTROY,
  SEED_ISO,
  VM_START,
  VM_STOP,
  GUEST_CONFIG,
];

/**
 * The query of the stack's one IP lookup (an `external` data source running scripts/guest-ip.ts):
 * every value a string, as Terraform's external provider requires. `vms` lists the stack's VMs as a
 * JSON string (encodeLookupVms / parseLookupVms); the rest applies to all of them.
 */
export const GUEST_IP = new EntryContract(
  "guest-ip",
  {
    /** Project-relative folder of all VM folders; a .vmx outside it is refused. */
    vms_dir: text(),
    vms: text(),
    /** Addresses never taken as a guest's own (the VIPs), comma-separated; may be Terraform expressions. */
    exclude: optionalText(),
    /** Budget for each running VM, in seconds (they are asked at once); an off or missing VM answers at once. */
    timeout_seconds: intWithDefault(20, 1, 3600),
  },
  "query",
);

/** One VM of the lookup's `vms` list; paths are project-relative. */
export interface LookupVm {
  readonly name: string;
  readonly vmx_path: string;
  /** CIDR blocks in which an answer is accepted, most wanted first. */
  readonly networks: readonly string[];
  /** Where the VM's last reported address is kept (lib/model/config/vm-files.ts). */
  readonly last_ip_file: string;
}

/** The `vms` value of the query: a JSON array, one object per VM, keys in LookupVm's order. */
export function encodeLookupVms(vms: readonly LookupVm[]): string {
  return JSON.stringify(
    vms.map((vm) => ({
      name: vm.name,
      vmx_path: vm.vmx_path,
      networks: [...vm.networks],
      last_ip_file: vm.last_ip_file,
    })),
  );
}

const LOOKUP_VM_KEYS = ["name", "vmx_path", "networks", "last_ip_file"] as const;

/** Reads the `vms` value back, with an error naming the entry and the field (`query.vms[2].vmx_path`). */
export function parseLookupVms(raw: string, label = "query.vms"): LookupVm[] {
  return parseVmList(raw, label, LOOKUP_VM_KEYS, (vm, at, str): LookupVm => {
    const networks = vm.networks;
    if (!Array.isArray(networks) || networks.length === 0 || !networks.every((n) => typeof n === "string"))
      throw new EntryInputError(`${at}.networks must be a non-empty array of CIDR strings`);
    return { name: str("name"), vmx_path: str("vmx_path"), networks, last_ip_file: str("last_ip_file") };
  });
}

/**
 * A query's `vms` list: a non-empty JSON array of objects with exactly `keys`, each named by a unique VM
 * name; `read` turns one (its fields checked with `str`) into the caller's type.
 */
function parseVmList<T>(
  raw: string,
  label: string,
  keys: readonly string[],
  read: (vm: Record<string, unknown>, at: string, str: (key: string) => string) => T,
): T[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EntryInputError(`${label} is not JSON: the data source passes a JSON array of VMs`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new EntryInputError(`${label} must be a non-empty JSON array of VMs`);
  const seen = new Set<string>();
  return parsed.map((item: unknown, i): T => {
    const at = `${label}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw new EntryInputError(`${at} must be an object with ${keys.join(", ")}`);
    const vm = item as Record<string, unknown>;
    const extra = Object.keys(vm).filter((k) => !keys.includes(k));
    if (extra.length > 0) throw new EntryInputError(`${at} has unknown keys: ${extra.join(", ")}`);
    const str = (key: string): string => {
      const v = vm[key];
      if (typeof v !== "string" || v === "")
        throw new EntryInputError(`${at}.${key} must be a non-empty string, got ${JSON.stringify(v)}`);
      return v;
    };
    const name = str("name");
    if (!HOSTNAME.test(name))
      throw new EntryInputError(`${at}.name=${JSON.stringify(name)} is not a VM name (an RFC 1123 hostname)`);
    if (seen.has(name)) throw new EntryInputError(`${at}.name=${JSON.stringify(name)} is listed twice`);
    seen.add(name);
    return read(vm, at, str);
  });
}

/**
 * The query of a stack's step check (an `external` data source running scripts/step-check.ts, read at
 * every plan): `vms` lists each VM's paths and the steps it has, as a JSON string (encodeStepCheckVms).
 * It answers `<vm>_<step>`: the step's token (lib/runtime/steps/check.ts).
 */
export const STEP_CHECK = new EntryContract(
  "step-check",
  {
    /** Project-relative folder of all VM folders; a path outside it is refused. */
    vms_dir: text(),
    vms: text(),
  },
  "query",
);

/** One VM of the step check's `vms` list; paths are project-relative. */
export interface StepCheckVm {
  readonly name: string;
  readonly steps_dir: string;
  readonly disk_path: string;
  readonly seed_path: string;
  readonly vmx_path: string;
  /** The steps this VM has, in order (the APT cache has no config step). */
  readonly steps: readonly StepName[];
}

const STEP_CHECK_KEYS = ["name", "steps_dir", "disk_path", "seed_path", "vmx_path", "steps"] as const;

/** The `vms` value of the step check's query: a JSON array, one object per VM, keys in StepCheckVm's order. */
export function encodeStepCheckVms(vms: readonly StepCheckVm[]): string {
  return JSON.stringify(
    vms.map((vm) =>
      Object.fromEntries(STEP_CHECK_KEYS.map((k) => [k, k === "steps" ? [...vm.steps] : vm[k]])),
    ),
  );
}

/** Reads the `vms` value back, with an error naming the field (`query.vms[2].disk_path`). */
export function parseStepCheckVms(raw: string, label = "query.vms"): StepCheckVm[] {
  return parseVmList(raw, label, STEP_CHECK_KEYS, (vm, at, str): StepCheckVm => {
    const steps = vm.steps;
    if (
      !Array.isArray(steps) ||
      steps.length === 0 ||
      !steps.every((s) => (STEP_NAMES as readonly unknown[]).includes(s))
    )
      throw new EntryInputError(`${at}.steps must be a non-empty list of ${STEP_NAMES.join(", ")}`);
    return {
      name: str("name"),
      steps_dir: str("steps_dir"),
      disk_path: str("disk_path"),
      seed_path: str("seed_path"),
      vmx_path: str("vmx_path"),
      steps: steps as StepName[],
    };
  });
}

/** The step check's answer for one step of one VM. */
export function stepResultKey(vm: string, step: StepName): string {
  return `${vm}_${step}`;
}

/** What the lookup answers per VM: `<vm>_ip`, `<vm>_state`, `<vm>_detail` (VM names hold no '_', so keys cannot collide). */
export type LookupResultField = "ip" | "state" | "detail";
export function lookupResultKey(vm: string, field: LookupResultField): string {
  return `${vm}_${field}`;
}

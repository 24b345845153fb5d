/**
 * Every Terraform entry point's contract: the environment keys, their types and defaults.
 * Constructs build provisioners from these, scripts parse their environment with them
 * (lib/entry/contract.ts).
 */
import {
  EntryContract,
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

/** VMRUN_TIMEOUT_SECONDS: every vmrun call's deadline, read by the driver (lib/vmrun/driver.ts) for entry points and CLI alike. */
export const VMRUN_TIMEOUT = intWithDefault(DEFAULT_VMRUN_TIMEOUT_SECONDS, 1, 24 * 3600);
const vmrunTimeout = () => VMRUN_TIMEOUT;
/** The base image, for base-image and for a disk clone that finds base_images/ emptied. */
const imageDownload = {
  IMAGE_SHA256: optionalText(),
  IMAGE_CHECKSUMS_URL: optionalText(),
  DOWNLOAD_TIMEOUT_SECONDS: intWithDefault(1800),
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
  VMRUN_TIMEOUT_SECONDS: vmrunTimeout(),
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

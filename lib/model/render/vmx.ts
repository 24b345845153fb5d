import * as path from "node:path";
import type { Arch, ClusterModel, NicSpec, VmSpec } from "../config/model";
import { VMWARE_STATIC_MAC } from "../net/mac";
import { CONSOLE_LOG_NAME } from "../config/vm-files";

/**
 * Pure renderer of a VM's `.vmx` (vmware-fusion.md §3 and §9). Output: one `key = "value"` line per
 * key, keys in JavaScript code-unit order (so `.encoding` comes first, and each device's keys sit
 * together), `\n` line ends. File names of the disk, the seed ISO, nvram and the serial log are
 * relative to the VM folder, where the .vmx lives, so the folder can move. No Terraform variables.
 */

export interface VmxOptions {
  readonly arch: Arch;
  readonly virtualHwVersion: number;
  readonly nicType: "vmxnet3" | "e1000e";
  /** The custom vmnet of the nat network, e.g. `vmnet2`. */
  readonly natVmnet: string;
}

export function vmxOptionsFor(model: ClusterModel): VmxOptions {
  return {
    arch: model.arch,
    virtualHwVersion: model.hardware.virtualHwVersion,
    nicType: model.hardware.nicType,
    natVmnet: model.network.nat.vmnet,
  };
}

const GUEST_OS: Record<Arch, string> = { amd64: "ubuntu-64", arm64: "arm-ubuntu-64" };

/** pciBridge4..7 are PCIe root ports at slots 21..24; NICs behind them get slots 160, 192, 224, 256. */
const PCIE_ROOT_PORTS: ReadonlyArray<readonly [number, number]> = [
  [4, 21],
  [5, 22],
  [6, 23],
  [7, 24],
];

function fail(vm: VmSpec, what: string, fix: string): never {
  throw new Error(`cannot render the VMX of ${vm.name}: ${what}; ${fix}`);
}

function fileInVmDir(vm: VmSpec, file: string, what: string): string {
  if (path.posix.dirname(file) !== vm.vmDir) {
    fail(
      vm,
      `${what} ${JSON.stringify(file)} is not directly inside the VM folder ${JSON.stringify(vm.vmDir)}`,
      "keep the VM's files in its folder",
    );
  }
  return path.posix.basename(file);
}

function nicEntries(vm: VmSpec, nic: NicSpec, index: number, opts: VmxOptions): Record<string, string> {
  if (!VMWARE_STATIC_MAC.test(nic.mac)) {
    fail(
      vm,
      `ethernet${index} MAC ${JSON.stringify(nic.mac)} is outside VMware's static range`,
      "use a lower-case MAC in 00:50:56:00:00:00-00:50:56:3f:ff:ff",
    );
  }
  if (!Number.isInteger(nic.pciSlot) || nic.pciSlot <= 0) {
    fail(vm, `ethernet${index} pciSlot ${nic.pciSlot} is not a positive integer`, "use 160, 192, 224 or 256");
  }
  const p = `ethernet${index}`;
  const entries: Record<string, string> = {
    [`${p}.present`]: "TRUE",
    [`${p}.startConnected`]: "TRUE",
    [`${p}.virtualDev`]: opts.nicType,
    // Static MAC so that network-config can match the NIC and DHCP reservations stay stable; no
    // generatedAddress and no bsdName (bsdName moved a custom-vmnet NIC onto NAT, packer #11380).
    [`${p}.addressType`]: "static",
    [`${p}.address`]: nic.mac,
    [`${p}.pciSlotNumber`]: String(nic.pciSlot),
  };
  if (nic.network === "nat") {
    entries[`${p}.connectionType`] = "custom";
    entries[`${p}.vnet`] = opts.natVmnet;
  } else {
    entries[`${p}.connectionType`] = "bridged";
  }
  return entries;
}

/** The VMX keys and values of `vm` (unordered); `renderVmx` writes them. */
export function vmxEntries(vm: VmSpec, opts: VmxOptions): Record<string, string> {
  checkVmxInputs(vm, opts);
  const e = baseEntries(vm, opts);
  for (const [n, slot] of PCIE_ROOT_PORTS) {
    e[`pciBridge${n}.present`] = "TRUE";
    e[`pciBridge${n}.virtualDev`] = "pcieRootPort";
    e[`pciBridge${n}.functions`] = "8";
    e[`pciBridge${n}.pciSlotNumber`] = String(slot);
  }
  // Apple Silicon: the virtual keyboard/mouse are xHCI devices (Packer enables it for the same reason).
  if (opts.arch === "arm64") e["usb_xhci.present"] = "TRUE";
  vm.nics.forEach((nic, i) => Object.assign(e, nicEntries(vm, nic, i, opts)));
  return e;
}

/** What VMware would refuse or misread, refused first with the fix. */
function checkVmxInputs(vm: VmSpec, opts: VmxOptions): void {
  if (!Number.isInteger(vm.cpus) || vm.cpus < 1)
    fail(vm, `cpus ${vm.cpus} is not a positive integer`, "set cpus to 1 or more");
  if (!Number.isInteger(vm.memoryMb) || vm.memoryMb < 4 || vm.memoryMb % 4 !== 0) {
    fail(
      vm,
      `memoryMb ${vm.memoryMb} is not a positive multiple of 4`,
      "VMware needs memsize in multiples of 4 MB, e.g. 4096",
    );
  }
  if (!Number.isInteger(opts.virtualHwVersion) || opts.virtualHwVersion < 1) {
    fail(
      vm,
      `virtualHwVersion ${opts.virtualHwVersion} is not a positive integer`,
      "use 21 (Fusion 13.5+) or 20",
    );
  }
  if (!/^vmnet\d+$/.test(opts.natVmnet))
    fail(vm, `nat vmnet ${JSON.stringify(opts.natVmnet)} is not a vmnet name`, "use e.g. vmnet2");
  if (vm.nics.length < 1 || vm.nics.length > 10)
    fail(vm, `it has ${vm.nics.length} NICs`, "give it 1 to 10 NICs");
  if (path.posix.dirname(vm.vmxPath) !== vm.vmDir) {
    fail(
      vm,
      `vmxPath ${JSON.stringify(vm.vmxPath)} is not inside the VM folder ${JSON.stringify(vm.vmDir)}`,
      "keep the .vmx in its VM folder",
    );
  }
  const slots = new Set<number>();
  vm.nics.forEach((nic, i) => {
    if (slots.has(nic.pciSlot)) fail(vm, `two NICs use pciSlot ${nic.pciSlot}`, "give each NIC its own slot");
    slots.add(nic.pciSlot);
    if (nic.pciSlot >= 17 && nic.pciSlot <= 24)
      fail(vm, `ethernet${i} pciSlot ${nic.pciSlot} is a PCI bridge slot`, "use 160, 192, 224 or 256");
  });
}

/** The machine itself: hardware version, firmware, CPU and memory, disk and seed, console, power. */
function baseEntries(vm: VmSpec, opts: VmxOptions): Record<string, string> {
  return {
    ".encoding": "UTF-8",
    "config.version": "8",
    "virtualHW.version": String(opts.virtualHwVersion),
    "virtualHW.productCompatibility": "hosted",
    displayName: vm.name,
    // Must match displayName, or Fusion leaves a stray .vmxf behind (vmware-fusion.md §3.6).
    extendedConfigFile: `${vm.name}.vmxf`,
    nvram: `${vm.name}.nvram`,
    guestOS: GUEST_OS[opts.arch],
    firmware: "efi",
    numvcpus: String(vm.cpus),
    memsize: String(vm.memoryMb),
    "bios.bootOrder": "hdd,cdrom",
    "floppy0.present": "FALSE",
    "pciBridge0.present": "TRUE",
    "pciBridge0.pciSlotNumber": "17",
    "vmci0.present": "TRUE",
    "hpet0.present": "TRUE",
    // Disk on NVMe (works for both arches); the seed ISO on SATA (IDE is unsupported on arm64).
    "nvme0.present": "TRUE",
    "nvme0:0.present": "TRUE",
    "nvme0:0.fileName": fileInVmDir(vm, vm.diskPath, "diskPath"),
    "sata0.present": "TRUE",
    "sata0:1.present": "TRUE",
    "sata0:1.deviceType": "cdrom-image",
    "sata0:1.fileName": fileInVmDir(vm, vm.seedIsoPath, "seedIsoPath"),
    "sata0:1.startConnected": "TRUE",
    // A fresh UUID and no "moved or copied?" question that would block a headless start.
    "uuid.action": "create",
    "msg.autoanswer": "true",
    "tools.syncTime": "TRUE",
    "tools.upgrade.policy": "manual",
    "powerType.powerOff": "soft",
    "powerType.powerOn": "soft",
    "powerType.reset": "soft",
    "powerType.suspend": "soft",
    "serial0.present": "TRUE",
    "serial0.fileType": "file",
    // The guest's serial console, next to the .vmx: where to look when a guest never reports an IP,
    // and where cloud-init prints its host keys (the pins of lib/runtime/ssh/host-keys.ts).
    "serial0.fileName": CONSOLE_LOG_NAME,
    "serial0.yieldOnMsrRead": "TRUE",
  };
}

/** The `.vmx` text of `vm`. */
export function renderVmx(vm: VmSpec, opts: VmxOptions): string {
  const entries = vmxEntries(vm, opts);
  const keys = Object.keys(entries).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys
    .map((key) => {
      const value = entries[key];
      // VMX values have no quote escaping (`|22` hex escapes exist, so `|` is refused too).
      // eslint-disable-next-line no-control-regex -- control characters are what is refused
      if (/["|\u0000-\u001f\u007f]/.test(value)) {
        fail(
          vm,
          `the value of ${key} contains a quote, "|" or a control character (${JSON.stringify(value)})`,
          "use names and paths without them",
        );
      }
      return `${key} = "${value}"\n`;
    })
    .join("");
}

/** Reads `key = "value"` lines back (for tests and tools that inspect a rendered .vmx). */
export function parseVmx(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const m = /^\s*([^=\s]+)\s*=\s*"(.*)"\s*$/.exec(line);
    if (!m) throw new Error(`not a VMX line: ${JSON.stringify(line)}`);
    out[m[1]] = m[2];
  }
  return out;
}

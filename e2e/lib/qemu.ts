/**
 * QEMU standing in for Fusion: the guest's hardware is read from its installed .vmx (what Fusion
 * would boot), not from the config: the architecture (guestOS `arm-*` is an Apple Silicon guest), the
 * firmware (`firmware = "efi"` boots UEFI: OVMF on x86_64, AAVMF on aarch64, with the VM's own copy
 * of the vars file at the .vmx's `nvram`; no `firmware` key boots BIOS), memory, vCPUs, the disk and
 * its controller, the seed CD-ROM, the NICs with their static MACs and device model in ethernetN
 * order, the serial console file. Differences that remain: TCG instead of hardware virtualisation,
 * QEMU's PCI addresses instead of VMware's slot numbers (cloud-init names the NICs by MAC, so the
 * names do not depend on them), QEMU's q35/virt boards instead of VMware's chipset.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface VmxNic {
  /** N of ethernetN. */
  readonly index: number;
  readonly mac: string;
  readonly model: string;
  readonly connectionType: string;
  readonly vnet?: string;
  readonly pciSlot?: number;
}

export interface VmxDrive {
  /** `nvme0:0`, `sata0:1`, ... */
  readonly slot: string;
  readonly bus: "nvme" | "scsi" | "sata" | "ide";
  readonly file: string;
  readonly cdrom: boolean;
}

/** The guest's CPU architecture, as the .vmx's guestOS says (Fusion on Apple Silicon runs `arm-*` guests). */
export type GuestArch = "x86_64" | "aarch64";

export interface VmxHardware {
  readonly arch: GuestArch;
  readonly memoryMb: number;
  readonly cpus: number;
  /** `efi` or `bios` (the .vmx's `firmware`; VMware's default when absent is BIOS). */
  readonly firmware: string;
  /** The .vmx's `nvram` file (relative to the VM folder): where the EFI variables live. */
  readonly nvramFile?: string;
  readonly nics: readonly VmxNic[];
  readonly drives: readonly VmxDrive[];
  /** Serial port file (relative to the VM folder), if any. */
  readonly serialFile?: string;
}

const TRUE = (v: string | undefined) => (v ?? "").toUpperCase() === "TRUE";

function intKey(keys: Record<string, string>, key: string, fallback?: number): number {
  const raw = keys[key];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`the .vmx has no ${key}`);
  }
  if (!/^\d+$/.test(raw)) throw new Error(`the .vmx has ${key} = ${JSON.stringify(raw)}, not a whole number`);
  return Number(raw);
}

/** The hardware a parsed .vmx (lib/model/render/vmx.ts parseVmx) describes. */
export function vmxHardware(keys: Record<string, string>): VmxHardware {
  const nics: VmxNic[] = [];
  for (let i = 0; i < 10; i++) {
    const p = `ethernet${i}`;
    if (!TRUE(keys[`${p}.present`])) continue;
    const mac = keys[`${p}.address`];
    if (!mac)
      throw new Error(
        `${p} has no static address in the .vmx: QEMU needs the MAC the guest's network-config matches`,
      );
    nics.push({
      index: i,
      mac: mac.toLowerCase(),
      model: keys[`${p}.virtualDev`] ?? "e1000",
      connectionType: keys[`${p}.connectionType`] ?? "nat",
      ...(keys[`${p}.vnet`] ? { vnet: keys[`${p}.vnet`] } : {}),
      ...(keys[`${p}.pciSlotNumber`] ? { pciSlot: intKey(keys, `${p}.pciSlotNumber`) } : {}),
    });
  }
  const drives: VmxDrive[] = [];
  for (const key of Object.keys(keys).sort()) {
    const m = /^(nvme|scsi|sata|ide)(\d+):(\d+)\.fileName$/.exec(key);
    if (!m) continue;
    const slot = `${m[1]}${m[2]}:${m[3]}`;
    if (!TRUE(keys[`${slot}.present`]) || !TRUE(keys[`${m[1]}${m[2]}.present`])) continue;
    const type = keys[`${slot}.deviceType`] ?? "";
    drives.push({ slot, bus: m[1] as VmxDrive["bus"], file: keys[key], cdrom: type.startsWith("cdrom") });
  }
  return {
    arch: (keys.guestOS ?? "").startsWith("arm-") ? "aarch64" : "x86_64",
    memoryMb: intKey(keys, "memsize"),
    cpus: intKey(keys, "numvcpus", 1),
    firmware: keys.firmware ?? "bios",
    ...(keys.nvram ? { nvramFile: keys.nvram } : {}),
    nics,
    drives,
    ...(TRUE(keys["serial0.present"]) && keys["serial0.fileName"]
      ? { serialFile: keys["serial0.fileName"] }
      : {}),
  };
}

const NIC_MODELS: Record<string, string> = { vmxnet3: "vmxnet3", e1000e: "e1000e", e1000: "e1000" };

/** Debian's UEFI builds for QEMU: read-only code, and a vars template each VM gets a copy of. */
export const UEFI_FIRMWARE: Readonly<
  Record<
    GuestArch,
    {
      readonly name: string;
      readonly code: string;
      readonly varsTemplate: string;
      readonly aptPackage: string;
    }
  >
> = {
  x86_64: {
    name: "OVMF",
    code: "/usr/share/OVMF/OVMF_CODE_4M.fd",
    varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd",
    aptPackage: "ovmf",
  },
  aarch64: {
    name: "AAVMF",
    code: "/usr/share/AAVMF/AAVMF_CODE.fd",
    varsTemplate: "/usr/share/AAVMF/AAVMF_VARS.fd",
    aptPackage: "qemu-efi-aarch64",
  },
};

/** Per architecture: the QEMU binary, its board and CPU, and the Debian package that has it. */
export const QEMU_MACHINES: Readonly<
  Record<
    GuestArch,
    { readonly binary: string; readonly machine: string; readonly cpu: string; readonly aptPackage: string }
  >
> = {
  x86_64: { binary: "qemu-system-x86_64", machine: "q35", cpu: "max", aptPackage: "qemu-system-x86" },
  // pauth-impdef: the same pointer authentication with a cheap hash; QARMA makes TCG several times slower.
  aarch64: {
    binary: "qemu-system-aarch64",
    machine: "virt",
    cpu: "max,pauth-impdef=on",
    aptPackage: "qemu-system-arm",
  },
};

/** What the guest boots with, in words: "efi (OVMF /usr/share/OVMF/OVMF_CODE_4M.fd)" or "bios (SeaBIOS)". */
export function firmwareDescription(hw: VmxHardware): string {
  if (hw.firmware !== "efi") return `${hw.firmware} (SeaBIOS)`;
  const fw = UEFI_FIRMWARE[hw.arch];
  return `efi (${fw.name} ${fw.code})`;
}

export interface QemuPlan {
  readonly name: string;
  /** The VM folder: the .vmx's relative file names are resolved against it. */
  readonly vmDir: string;
  readonly hardware: VmxHardware;
  /** Tap device per NIC, in hardware.nics order. */
  readonly taps: readonly string[];
  /** Where the serial console goes when the .vmx names none. */
  readonly consoleLog: string;
  readonly pidFile: string;
}

/** The EFI vars file of a VM: the .vmx's nvram file, as Fusion keeps it there. */
export function efiVarsFile(plan: Pick<QemuPlan, "name" | "vmDir" | "hardware">): string {
  return path.resolve(plan.vmDir, plan.hardware.nvramFile ?? `${plan.name}.nvram`);
}

function firmwareArgs(plan: QemuPlan): string[] {
  const hw = plan.hardware;
  if (hw.firmware === "bios") {
    if (hw.arch === "aarch64")
      throw new Error(`${plan.name}: an arm64 .vmx must say firmware = "efi" (there is no BIOS on arm64)`);
    return [];
  }
  if (hw.firmware !== "efi")
    throw new Error(
      `${plan.name}: firmware = ${JSON.stringify(hw.firmware)} in the .vmx is neither efi nor bios`,
    );
  const fw = UEFI_FIRMWARE[hw.arch];
  return [
    "-drive",
    `if=pflash,format=raw,unit=0,readonly=on,file=${fw.code}`,
    "-drive",
    `if=pflash,format=raw,unit=1,file=${efiVarsFile(plan)}`,
  ];
}

function driveArgs(plan: QemuPlan): string[] {
  const hw = plan.hardware;
  const file = (f: string) => path.resolve(plan.vmDir, f);
  const args: string[] = [];
  const controllers = new Set<string>();
  let bootIndex = 0;
  const disks = hw.drives.filter((d) => !d.cdrom);
  if (disks.length === 0) throw new Error(`${plan.name}: the .vmx has no disk`);
  // Disks first in the boot order ("hdd,cdrom"), then CD-ROMs.
  for (const d of [...disks, ...hw.drives.filter((x) => x.cdrom)]) {
    const id = `drv-${d.slot.replace(":", "-")}`;
    const [controller, unitText] = d.slot.split(":");
    const unit = Number(unitText);
    const format = d.cdrom ? "raw" : path.extname(d.file) === ".vmdk" ? "vmdk" : "qcow2";
    args.push(
      "-drive",
      `file=${file(d.file)},format=${format},if=none,id=${id}${d.cdrom ? ",media=cdrom,readonly=on" : ""}`,
    );
    const boot = `bootindex=${bootIndex++}`;
    const addController = (device: string) => {
      if (!controllers.has(controller)) args.push("-device", `${device},id=${controller}`);
      controllers.add(controller);
    };
    if (d.bus === "nvme" && !d.cdrom)
      args.push("-device", `nvme,drive=${id},serial=${d.slot.replace(":", "-")},${boot}`);
    else if (d.bus === "sata") {
      // An AHCI controller per sataN, as the .vmx has; port N is unit N.
      addController("ich9-ahci");
      args.push("-device", `${d.cdrom ? "ide-cd" : "ide-hd"},bus=${controller}.${unit},drive=${id},${boot}`);
    } else if (d.bus === "ide" && hw.arch === "x86_64")
      args.push("-device", `${d.cdrom ? "ide-cd" : "ide-hd"},bus=ide.${unit},drive=${id},${boot}`);
    else if (d.bus === "scsi") {
      addController("pvscsi");
      args.push(
        "-device",
        `${d.cdrom ? "scsi-cd" : "scsi-hd"},bus=${controller}.0,scsi-id=${unit},drive=${id},${boot}`,
      );
    } else
      throw new Error(
        `${plan.name}: ${d.slot} (${d.cdrom ? "CD-ROM" : "disk"}) has no QEMU counterpart here on ${hw.arch}`,
      );
  }
  return args;
}

function nicArgs(plan: QemuPlan): string[] {
  const args: string[] = [];
  plan.hardware.nics.forEach((nic, i) => {
    const model = NIC_MODELS[nic.model];
    if (!model)
      throw new Error(
        `${plan.name}: ethernet${nic.index}.virtualDev ${nic.model} has no QEMU counterpart here`,
      );
    args.push("-netdev", `tap,id=net${nic.index},ifname=${plan.taps[i]},script=no,downscript=no`);
    // ethernetN in order on consecutive PCI slots, so the guest enumerates them in the .vmx's order.
    args.push("-device", `${model},netdev=net${nic.index},mac=${nic.mac},addr=0x${(0x10 + i).toString(16)}`);
  });
  return args;
}

/** The QEMU binary and its arguments for the guest a .vmx describes. */
export function qemuCommand(plan: QemuPlan): { binary: string; args: string[] } {
  const hw = plan.hardware;
  if (plan.taps.length !== hw.nics.length)
    throw new Error(`${plan.name}: ${hw.nics.length} NICs but ${plan.taps.length} tap devices`);
  const machine = QEMU_MACHINES[hw.arch];
  const args = [
    "-name",
    plan.name,
    "-machine",
    machine.machine,
    "-accel",
    "tcg,thread=multi",
    "-cpu",
    machine.cpu,
    "-m",
    String(hw.memoryMb),
    "-smp",
    String(hw.cpus),
    "-nodefaults",
    "-display",
    "none",
    "-no-reboot",
    "-pidfile",
    plan.pidFile,
    "-serial",
    `file:${hw.serialFile ? path.resolve(plan.vmDir, hw.serialFile) : plan.consoleLog}`,
    ...firmwareArgs(plan),
    ...driveArgs(plan),
    ...nicArgs(plan),
  ];
  return { binary: machine.binary, args };
}

/** qemu-system-* arguments for the guest a .vmx describes (see qemuCommand for the binary). */
export function qemuArgs(plan: QemuPlan): string[] {
  return qemuCommand(plan).args;
}

/**
 * Checks the firmware files exist and gives the VM its own EFI vars file (a copy of the template at
 * the .vmx's nvram path, kept when there already is one, as Fusion keeps the VM's nvram).
 */
export function prepareFirmware(plan: Pick<QemuPlan, "name" | "vmDir" | "hardware">): void {
  const hw = plan.hardware;
  const machine = QEMU_MACHINES[hw.arch];
  if (hw.firmware !== "efi") return;
  const fw = UEFI_FIRMWARE[hw.arch];
  for (const f of [fw.code, fw.varsTemplate]) {
    if (!fs.existsSync(f))
      throw new Error(
        `${plan.name}: the .vmx says firmware = "efi" on ${hw.arch}, but ${f} is missing: apt-get install ${fw.aptPackage} (and ${machine.aptPackage})`,
      );
  }
  const vars = efiVarsFile(plan);
  if (!fs.existsSync(vars)) fs.copyFileSync(fw.varsTemplate, vars);
}

/** The firmware's own words when it found nothing to boot (OVMF/AAVMF's boot manager, SeaBIOS). */
const FIRMWARE_GAVE_UP =
  /No bootable option or device was found|No bootable device|UEFI Interactive Shell|^Shell> /m;
/** The first words of a started kernel on the serial console (the EFI stub, or the kernel's banner). */
const KERNEL_STARTED = /EFI stub: |Linux version \d/;

export function kernelStarted(consoleText: string): boolean {
  return KERNEL_STARTED.test(consoleText);
}

/**
 * Whether the console shows that the firmware could not boot the disk: its boot manager gave up, or no
 * kernel started within `budgetSeconds` of power-on. Undefined while that is not (yet) so.
 */
export function firmwareBootFailure(
  consoleText: string,
  secondsSincePowerOn: number,
  budgetSeconds: number,
): string | undefined {
  if (kernelStarted(consoleText)) return undefined;
  const gaveUp = FIRMWARE_GAVE_UP.exec(consoleText);
  if (gaveUp) return `the firmware found nothing to boot ("${gaveUp[0].trim()}" on the console)`;
  if (secondsSincePowerOn > budgetSeconds) return `no kernel started within ${budgetSeconds} s of power-on`;
  return undefined;
}

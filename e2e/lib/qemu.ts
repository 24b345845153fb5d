/**
 * QEMU standing in for Fusion: the guest's hardware is read from its installed .vmx (what Fusion
 * would boot), not from the config: memory, vCPUs, the disk and its controller, the seed CD-ROM, the
 * NICs with their static MACs and device model in ethernetN order, the serial console file.
 * Differences that remain (reported by the run): SeaBIOS instead of the .vmx's EFI firmware, TCG
 * instead of hardware virtualisation, QEMU's PCI addresses instead of VMware's slot numbers (cloud-init
 * names the NICs by MAC, so the names do not depend on them).
 */
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

export interface VmxHardware {
  readonly memoryMb: number;
  readonly cpus: number;
  readonly firmware: string;
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

/** The hardware a parsed .vmx (lib/render/vmx.ts parseVmx) describes. */
export function vmxHardware(keys: Record<string, string>): VmxHardware {
  const nics: VmxNic[] = [];
  for (let i = 0; i < 10; i++) {
    const p = `ethernet${i}`;
    if (!TRUE(keys[`${p}.present`])) continue;
    const mac = keys[`${p}.address`];
    if (!mac) throw new Error(`${p} has no static address in the .vmx: QEMU needs the MAC the guest's network-config matches`);
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
    memoryMb: intKey(keys, "memsize"),
    cpus: intKey(keys, "numvcpus", 1),
    firmware: keys.firmware ?? "bios",
    nics,
    drives,
    ...(TRUE(keys["serial0.present"]) && keys["serial0.fileName"] ? { serialFile: keys["serial0.fileName"] } : {}),
  };
}

const NIC_MODELS: Record<string, string> = { vmxnet3: "vmxnet3", e1000e: "e1000e", e1000: "e1000" };

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

/** qemu-system-x86_64 arguments for the guest a .vmx describes. */
export function qemuArgs(plan: QemuPlan): string[] {
  const hw = plan.hardware;
  if (plan.taps.length !== hw.nics.length) throw new Error(`${plan.name}: ${hw.nics.length} NICs but ${plan.taps.length} tap devices`);
  const file = (f: string) => path.resolve(plan.vmDir, f);
  const args = [
    "-name", plan.name,
    "-machine", "q35",
    "-accel", "tcg,thread=multi",
    "-cpu", "max",
    "-m", String(hw.memoryMb),
    "-smp", String(hw.cpus),
    "-nodefaults",
    "-display", "none",
    "-no-reboot",
    "-pidfile", plan.pidFile,
    "-serial", `file:${hw.serialFile ? file(hw.serialFile) : plan.consoleLog}`,
  ];
  let bootIndex = 0;
  let scsi = false;
  const disks = hw.drives.filter((d) => !d.cdrom);
  if (disks.length === 0) throw new Error(`${plan.name}: the .vmx has no disk`);
  // Disks first in the boot order ("hdd,cdrom"), then CD-ROMs.
  for (const d of [...disks, ...hw.drives.filter((x) => x.cdrom)]) {
    const id = `drv-${d.slot.replace(":", "-")}`;
    const format = d.cdrom ? "raw" : path.extname(d.file) === ".vmdk" ? "vmdk" : "qcow2";
    args.push("-drive", `file=${file(d.file)},format=${format},if=none,id=${id}${d.cdrom ? ",media=cdrom,readonly=on" : ""}`);
    const unit = Number(d.slot.split(":")[1]);
    const boot = `bootindex=${bootIndex++}`;
    if (d.bus === "nvme" && !d.cdrom) args.push("-device", `nvme,drive=${id},serial=${d.slot.replace(":", "-")},${boot}`);
    else if (d.bus === "sata" || d.bus === "ide") args.push("-device", `${d.cdrom ? "ide-cd" : "ide-hd"},bus=ide.${unit},drive=${id},${boot}`);
    else if (d.bus === "scsi") {
      if (!scsi) args.push("-device", "pvscsi,id=scsi0");
      scsi = true;
      args.push("-device", `${d.cdrom ? "scsi-cd" : "scsi-hd"},bus=scsi0.0,scsi-id=${unit},drive=${id},${boot}`);
    } else throw new Error(`${plan.name}: ${d.slot} (${d.cdrom ? "CD-ROM" : "disk"}) has no QEMU counterpart here`);
  }
  hw.nics.forEach((nic, i) => {
    const model = NIC_MODELS[nic.model];
    if (!model) throw new Error(`${plan.name}: ethernet${nic.index}.virtualDev ${nic.model} has no QEMU counterpart here`);
    args.push("-netdev", `tap,id=net${nic.index},ifname=${plan.taps[i]},script=no,downscript=no`);
    // ethernetN in order on consecutive PCI slots, so the guest enumerates them in the .vmx's order.
    args.push("-device", `${model},netdev=net${nic.index},mac=${nic.mac},addr=0x${(0x10 + i).toString(16)}`);
  });
  return args;
}

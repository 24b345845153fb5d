import { parseVmx, renderVmx } from "../../lib/model/render/vmx";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  efiVarsFile,
  firmwareBootFailure,
  prepareFirmware,
  qemuArgs,
  qemuCommand,
  UEFI_FIRMWARE,
  vmxHardware,
} from "../../e2e/lib/qemu";
import { modelFixture, vmByName } from "../../test-support/model-fixture";

function hardwareOf(name: string, arch: "amd64" | "arm64" = "amd64") {
  const model = modelFixture();
  const vm = vmByName(model, name);
  const text = renderVmx(vm, { arch, virtualHwVersion: 21, nicType: "vmxnet3", natVmnet: "vmnet2" });
  return { vm, hw: vmxHardware(parseVmx(text)) };
}

describe("QEMU from the product's .vmx", () => {
  it("reads the gateway's NICs in ethernetN order with their MACs, and its disk, seed and console", () => {
    const { vm, hw } = hardwareOf("gateway1");
    expect(hw.nics.map((n) => [n.index, n.mac, n.model, n.connectionType])).toEqual([
      [0, vm.nics[0].mac, "vmxnet3", "bridged"],
      [1, vm.nics[1].mac, "vmxnet3", "custom"],
    ]);
    expect(hw.drives).toEqual([
      { slot: "nvme0:0", bus: "nvme", file: "gateway1.vmdk", cdrom: false },
      { slot: "sata0:1", bus: "sata", file: "seed.iso", cdrom: true },
    ]);
    expect(hw.serialFile).toBe("console.log");
    expect(hw.memoryMb).toBe(vm.memoryMb);
    expect(hw.cpus).toBe(vm.cpus);
  });

  it("boots the vmdk on NVMe first, the seed on SATA port 1, and gives each tap its .vmx MAC", () => {
    const { vm, hw } = hardwareOf("gateway1");
    const args = qemuArgs({
      name: "gateway1",
      vmDir: "/p/VMs/gw.vmwarevm",
      hardware: hw,
      taps: ["t0", "t1"],
      consoleLog: "/x",
      pidFile: "/p/q.pid",
    }).join(" ");
    expect(args).toContain("file=/p/VMs/gw.vmwarevm/gateway1.vmdk,format=vmdk,if=none,id=drv-nvme0-0");
    expect(args).toContain("nvme,drive=drv-nvme0-0,serial=nvme0-0,bootindex=0");
    expect(args).toContain(
      "-device ich9-ahci,id=sata0 -device ide-cd,bus=sata0.1,drive=drv-sata0-1,bootindex=1",
    );
    expect(args).toContain("-serial file:/p/VMs/gw.vmwarevm/console.log");
    expect(args).toContain(
      `-netdev tap,id=net0,ifname=t0,script=no,downscript=no -device vmxnet3,netdev=net0,mac=${vm.nics[0].mac},addr=0x10`,
    );
    expect(args).toContain(`-device vmxnet3,netdev=net1,mac=${vm.nics[1].mac},addr=0x11`);
    expect(args).toContain(`-m ${vm.memoryMb} -smp ${vm.cpus}`);
    expect(args).toContain("-accel tcg");
  });

  it("refuses a .vmx it cannot reproduce", () => {
    const { hw } = hardwareOf("k8s-master1");
    expect(() =>
      qemuArgs({ name: "m", vmDir: "/v", hardware: hw, taps: [], consoleLog: "/c", pidFile: "/p" }),
    ).toThrow(/1 NICs but 0 tap/);
    const keys = parseVmx(
      renderVmx(hardwareOf("k8s-master1").vm, {
        arch: "amd64",
        virtualHwVersion: 21,
        nicType: "vmxnet3",
        natVmnet: "vmnet2",
      }),
    );
    delete keys["ethernet0.address"];
    expect(() => vmxHardware(keys)).toThrow(/ethernet0 has no static address/);
    const odd = vmxHardware({
      ...parseVmx(
        renderVmx(hardwareOf("k8s-master1").vm, {
          arch: "amd64",
          virtualHwVersion: 21,
          nicType: "vmxnet3",
          natVmnet: "vmnet2",
        }),
      ),
      "ethernet0.virtualDev": "vlance",
    });
    expect(() =>
      qemuArgs({ name: "m", vmDir: "/v", hardware: odd, taps: ["t"], consoleLog: "/c", pidFile: "/p" }),
    ).toThrow(/vlance has no QEMU counterpart/);
  });

  it("boots the product's amd64 .vmx (firmware = efi) with OVMF and the VM's own vars file at the .vmx's nvram", () => {
    const { vm, hw } = hardwareOf("gateway1");
    expect(hw).toMatchObject({ arch: "x86_64", firmware: "efi", nvramFile: "gateway1.nvram" });
    const { binary, args } = qemuCommand({
      name: "gateway1",
      vmDir: "/p/gw",
      hardware: hw,
      taps: ["t0", "t1"],
      consoleLog: "/x",
      pidFile: "/p/q.pid",
    });
    expect(binary).toBe("qemu-system-x86_64");
    const line = args.join(" ");
    expect(line).toContain("-machine q35");
    expect(line).toContain(
      `-drive if=pflash,format=raw,unit=0,readonly=on,file=${UEFI_FIRMWARE.x86_64.code}`,
    );
    expect(line).toContain("-drive if=pflash,format=raw,unit=1,file=/p/gw/gateway1.nvram");
    expect(vm.name).toBe("gateway1");
  });

  it("boots the product's arm64 .vmx on qemu-system-aarch64 virt with AAVMF: NVMe disk, AHCI CD-ROM, vmxnet3 with the .vmx's MACs", () => {
    const { vm, hw } = hardwareOf("k8s-master1", "arm64");
    expect(hw.arch).toBe("aarch64");
    const { binary, args } = qemuCommand({
      name: "k8s-master1",
      vmDir: "/p/m",
      hardware: hw,
      taps: ["t0"],
      consoleLog: "/x",
      pidFile: "/p/q.pid",
    });
    expect(binary).toBe("qemu-system-aarch64");
    const line = args.join(" ");
    expect(line).toContain("-machine virt");
    expect(line).toContain("-cpu max,pauth-impdef=on");
    expect(line).toContain(`readonly=on,file=${UEFI_FIRMWARE.aarch64.code}`);
    expect(line).toContain("nvme,drive=drv-nvme0-0,serial=nvme0-0,bootindex=0");
    expect(line).toContain(
      "-device ich9-ahci,id=sata0 -device ide-cd,bus=sata0.1,drive=drv-sata0-1,bootindex=1",
    );
    expect(line).toContain(`-device vmxnet3,netdev=net0,mac=${vm.nics[0].mac},addr=0x10`);
  });

  it("boots BIOS when the .vmx has no firmware key, and refuses BIOS on arm64 and unknown firmware", () => {
    const keys = parseVmx(
      renderVmx(hardwareOf("k8s-master1").vm, {
        arch: "amd64",
        virtualHwVersion: 21,
        nicType: "vmxnet3",
        natVmnet: "vmnet2",
      }),
    );
    delete keys.firmware;
    const bios = vmxHardware(keys);
    expect(bios.firmware).toBe("bios");
    expect(
      qemuArgs({ name: "m", vmDir: "/v", hardware: bios, taps: ["t"], consoleLog: "/c", pidFile: "/p" }).join(
        " ",
      ),
    ).not.toContain("pflash");
    const armKeys = parseVmx(
      renderVmx(hardwareOf("k8s-master1", "arm64").vm, {
        arch: "arm64",
        virtualHwVersion: 21,
        nicType: "vmxnet3",
        natVmnet: "vmnet2",
      }),
    );
    delete armKeys.firmware;
    expect(() =>
      qemuArgs({
        name: "m",
        vmDir: "/v",
        hardware: vmxHardware(armKeys),
        taps: ["t"],
        consoleLog: "/c",
        pidFile: "/p",
      }),
    ).toThrow(/an arm64 .vmx must say firmware = "efi"/);
    expect(() =>
      qemuArgs({
        name: "m",
        vmDir: "/v",
        hardware: { ...bios, firmware: "coreboot" },
        taps: ["t"],
        consoleLog: "/c",
        pidFile: "/p",
      }),
    ).toThrow(/neither efi nor bios/);
  });

  it("gives each VM a vars file of its own, copied once from the template", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qemu-fw-"));
    try {
      const { hw } = hardwareOf("k8s-master1");
      const plan = { name: "k8s-master1", vmDir: dir, hardware: hw };
      if (!fs.existsSync(UEFI_FIRMWARE.x86_64.varsTemplate)) {
        expect(() => prepareFirmware(plan)).toThrow(/apt-get install ovmf/);
        return;
      }
      prepareFirmware(plan);
      const vars = efiVarsFile(plan);
      expect(fs.readFileSync(vars).equals(fs.readFileSync(UEFI_FIRMWARE.x86_64.varsTemplate))).toBe(true);
      fs.writeFileSync(vars, "written by the firmware");
      prepareFirmware(plan);
      expect(fs.readFileSync(vars, "utf8")).toBe("written by the firmware");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells a disk the firmware could not boot from one that is still booting", () => {
    const ovmfGaveUp =
      'BdsDxe: failed to load Boot0001 "UEFI QEMU NVMe Ctrl nvme0-0 1" from PciRoot(0x0)/Pci(0x2,0x0)/NVMe(0x1,00-00-00-00-00-00-00-00): Not Found\nBdsDxe: No bootable option or device was found.\n';
    expect(firmwareBootFailure(ovmfGaveUp, 20, 300)).toContain("No bootable option or device was found");
    expect(firmwareBootFailure("UEFI Interactive Shell v2.2\nShell> ", 20, 300)).toContain(
      "UEFI Interactive Shell",
    );
    expect(firmwareBootFailure("BdsDxe: loading Boot0001\n", 20, 300)).toBeUndefined();
    expect(firmwareBootFailure("BdsDxe: loading Boot0001\n", 301, 300)).toBe(
      "no kernel started within 300 s of power-on",
    );
    expect(
      firmwareBootFailure("EFI stub: Loaded initrd\n[    0.000000] Linux version 6.12.57", 900, 300),
    ).toBeUndefined();
  });
});

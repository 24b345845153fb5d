import { parseVmx, renderVmx } from "../../lib/render/vmx";
import { qemuArgs, vmxHardware } from "../../e2e/lib/qemu";
import { modelFixture, vmByName } from "../../test-support/model-fixture";

function hardwareOf(name: string) {
  const model = modelFixture();
  const vm = vmByName(model, name);
  const text = renderVmx(vm, { arch: "amd64", virtualHwVersion: 21, nicType: "vmxnet3", natVmnet: "vmnet2" });
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
    const args = qemuArgs({ name: "gateway1", vmDir: "/p/VMs/gw.vmwarevm", hardware: hw, taps: ["t0", "t1"], consoleLog: "/x", pidFile: "/p/q.pid" }).join(" ");
    expect(args).toContain("file=/p/VMs/gw.vmwarevm/gateway1.vmdk,format=vmdk,if=none,id=drv-nvme0-0");
    expect(args).toContain("nvme,drive=drv-nvme0-0,serial=nvme0-0,bootindex=0");
    expect(args).toContain("ide-cd,bus=ide.1,drive=drv-sata0-1,bootindex=1");
    expect(args).toContain("-serial file:/p/VMs/gw.vmwarevm/console.log");
    expect(args).toContain(`-netdev tap,id=net0,ifname=t0,script=no,downscript=no -device vmxnet3,netdev=net0,mac=${vm.nics[0].mac},addr=0x10`);
    expect(args).toContain(`-device vmxnet3,netdev=net1,mac=${vm.nics[1].mac},addr=0x11`);
    expect(args).toContain(`-m ${vm.memoryMb} -smp ${vm.cpus}`);
    expect(args).toContain("-accel tcg");
  });

  it("refuses a .vmx it cannot reproduce", () => {
    const { hw } = hardwareOf("k8s-master1");
    expect(() => qemuArgs({ name: "m", vmDir: "/v", hardware: hw, taps: [], consoleLog: "/c", pidFile: "/p" })).toThrow(/1 NICs but 0 tap/);
    const keys = parseVmx(renderVmx(hardwareOf("k8s-master1").vm, { arch: "amd64", virtualHwVersion: 21, nicType: "vmxnet3", natVmnet: "vmnet2" }));
    delete keys["ethernet0.address"];
    expect(() => vmxHardware(keys)).toThrow(/ethernet0 has no static address/);
    const odd = vmxHardware({ ...parseVmx(renderVmx(hardwareOf("k8s-master1").vm, { arch: "amd64", virtualHwVersion: 21, nicType: "vmxnet3", natVmnet: "vmnet2" })), "ethernet0.virtualDev": "vlance" });
    expect(() => qemuArgs({ name: "m", vmDir: "/v", hardware: odd, taps: ["t"], consoleLog: "/c", pidFile: "/p" })).toThrow(/vlance has no QEMU counterpart/);
  });
});

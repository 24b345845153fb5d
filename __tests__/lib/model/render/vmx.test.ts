import { parseVmx, renderVmx, vmxEntries, vmxOptionsFor } from "../../../../lib/model/render/vmx";
import { allVms, modelFixture, vmByName, withArch } from "../../../../test-support/model-fixture";

const REQUIRED: Record<string, string> = {
  ".encoding": "UTF-8",
  "config.version": "8",
  "virtualHW.version": "21",
  "virtualHW.productCompatibility": "hosted",
  firmware: "efi",
  "pciBridge0.present": "TRUE",
  "pciBridge0.pciSlotNumber": "17",
  "vmci0.present": "TRUE",
  "hpet0.present": "TRUE",
  "nvme0.present": "TRUE",
  "nvme0:0.present": "TRUE",
  "sata0.present": "TRUE",
  "sata0:1.present": "TRUE",
  "sata0:1.deviceType": "cdrom-image",
  "sata0:1.fileName": "seed.iso",
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
  "serial0.fileName": "console.log",
};

const cases = (["amd64", "arm64"] as const).flatMap((arch) =>
  allVms(withArch(modelFixture(), arch)).map((vm) => [vm.name, arch] as const),
);

describe.each(cases)("VMX of %s (%s)", (name, arch) => {
  const model = withArch(modelFixture(), arch);
  const vm = vmByName(model, name);
  const text = renderVmx(vm, vmxOptionsFor(model));
  const vmx = parseVmx(text);

  it("has the keys every generated VM needs", () => {
    expect(vmx).toMatchObject(REQUIRED);
    expect(vmx).toMatchObject({
      displayName: name,
      extendedConfigFile: `${name}.vmxf`,
      nvram: `${name}.nvram`,
      numvcpus: String(vm.cpus),
      memsize: String(vm.memoryMb),
      guestOS: arch === "arm64" ? "arm-ubuntu-64" : "ubuntu-64",
    });
    for (const [n, slot] of [
      [4, 21],
      [5, 22],
      [6, 23],
      [7, 24],
    ]) {
      expect(vmx).toMatchObject({
        [`pciBridge${n}.present`]: "TRUE",
        [`pciBridge${n}.virtualDev`]: "pcieRootPort",
        [`pciBridge${n}.functions`]: "8",
        [`pciBridge${n}.pciSlotNumber`]: String(slot),
      });
    }
  });

  it("enables xHCI USB only on arm64", () => {
    expect(vmx["usb_xhci.present"]).toBe(arch === "arm64" ? "TRUE" : undefined);
  });

  it("names the disk and the seed ISO relative to the VM folder", () => {
    expect(vmx["nvme0:0.fileName"]).toBe(`${name}.vmdk`);
    expect(vmx["sata0:1.fileName"]).toBe("seed.iso");
    expect(Object.values(vmx).filter((v) => v.includes("/"))).toEqual([]);
  });

  it("gives each NIC its static MAC, slot and network, without generated or bsd names", () => {
    vm.nics.forEach((nic, i) => {
      const p = `ethernet${i}`;
      expect(vmx).toMatchObject({
        [`${p}.present`]: "TRUE",
        [`${p}.virtualDev`]: "vmxnet3",
        [`${p}.addressType`]: "static",
        [`${p}.address`]: nic.mac,
        [`${p}.pciSlotNumber`]: String(nic.pciSlot),
        [`${p}.connectionType`]: nic.network === "nat" ? "custom" : "bridged",
      });
      expect(vmx[`${p}.vnet`]).toBe(nic.network === "nat" ? "vmnet2" : undefined);
    });
    expect(vmx[`ethernet${vm.nics.length}.present`]).toBeUndefined();
    expect(Object.keys(vmx).filter((k) => /generatedAddress|bsdName/.test(k))).toEqual([]);
  });

  it("writes quoted lines in code-unit key order, .encoding first", () => {
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines[0]).toBe('.encoding = "UTF-8"');
    for (const line of lines) expect(line).toMatch(/^[A-Za-z0-9_.:]+ = "[^"]*"$/);
    const keys = lines.map((l) => l.slice(0, l.indexOf(" = ")));
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});

describe("gateway NIC layout", () => {
  it("puts the LAN bridge on ethernet0 (slot 160) and vmnet2 on ethernet1 (slot 192)", () => {
    const model = modelFixture();
    const vmx = parseVmx(renderVmx(vmByName(model, "gateway1"), vmxOptionsFor(model)));
    expect(vmx).toMatchObject({
      "ethernet0.connectionType": "bridged",
      "ethernet0.pciSlotNumber": "160",
      "ethernet1.connectionType": "custom",
      "ethernet1.vnet": "vmnet2",
      "ethernet1.pciSlotNumber": "192",
    });
    expect(vmx["ethernet0.address"]).not.toBe(vmx["ethernet1.address"]);
  });

  it("uses the model's NIC type and hardware version", () => {
    const model = modelFixture();
    const opts = { ...vmxOptionsFor(model), nicType: "e1000e" as const, virtualHwVersion: 20 };
    const vmx = vmxEntries(vmByName(model, "k8s-worker1"), opts);
    expect(vmx).toMatchObject({ "ethernet0.virtualDev": "e1000e", "virtualHW.version": "20" });
  });
});

describe("refusals", () => {
  const model = modelFixture();
  const opts = vmxOptionsFor(model);
  const vm = vmByName(model, "k8s-master1");

  it("refuses a quote, a newline or a '|' in any value", () => {
    expect(() => renderVmx({ ...vm, name: 'k8s"master' }, opts)).toThrow(
      /value of displayName contains a quote/,
    );
    expect(() => renderVmx({ ...vm, name: "k8s\nmaster" }, opts)).toThrow(/control character/);
    expect(() => renderVmx({ ...vm, name: "k8s|22master" }, opts)).toThrow(
      /value of displayName contains a quote, "\|"/,
    );
    expect(() => renderVmx(vm, { ...opts, natVmnet: "vmnet2|22" })).toThrow(/not a vmnet name/);
  });

  it("refuses a disk or seed ISO outside the VM folder", () => {
    expect(() => renderVmx({ ...vm, diskPath: "elsewhere/k8s-master1.vmdk" }, opts)).toThrow(
      /diskPath .* not directly inside the VM folder/,
    );
    expect(() => renderVmx({ ...vm, seedIsoPath: `${vm.vmDir}/sub/seed.iso` }, opts)).toThrow(/seedIsoPath/);
  });

  it("refuses MACs outside VMware's static range and odd memory sizes", () => {
    expect(() => renderVmx({ ...vm, nics: [{ ...vm.nics[0], mac: "00:50:56:40:00:01" }] }, opts)).toThrow(
      /outside VMware's static range/,
    );
    expect(() => renderVmx({ ...vm, memoryMb: 4097 }, opts)).toThrow(/multiple of 4/);
  });

  it("refuses a NIC on a PCI bridge slot or two NICs on one slot", () => {
    const gw = vmByName(model, "gateway1");
    expect(() => renderVmx({ ...gw, nics: [gw.nics[0], { ...gw.nics[1], pciSlot: 160 }] }, opts)).toThrow(
      /two NICs use pciSlot 160/,
    );
    expect(() => renderVmx({ ...vm, nics: [{ ...vm.nics[0], pciSlot: 21 }] }, opts)).toThrow(
      /PCI bridge slot/,
    );
  });
});

describe("parseVmx", () => {
  it("reads back what renderVmx wrote and rejects other lines", () => {
    const model = modelFixture();
    const vm = vmByName(model, "k8s-worker2");
    expect(parseVmx(renderVmx(vm, vmxOptionsFor(model)))).toEqual(vmxEntries(vm, vmxOptionsFor(model)));
    expect(() => parseVmx("displayName = unquoted\n")).toThrow(/not a VMX line/);
  });
});

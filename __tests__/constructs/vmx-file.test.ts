import { VmxFile } from "../../constructs/vmx-file";
import { parseVmx } from "../../lib/model/render/vmx";
import { modelFixture, vmByName } from "../../test-support/model-fixture";
import { one, resources, synthScope } from "../../test-support/synth";

describe("VmxFile", () => {
  const model = modelFixture();
  const vm = vmByName(model, "k8s-master2");
  let construct: VmxFile | undefined;
  const json = synthScope((s) => {
    construct = new VmxFile(s, "vmx", {
      vm,
      arch: "arm64",
      natVmnet: "vmnet2",
      virtualHwVersion: 20,
      nicType: "e1000e",
    });
  });
  const [, file] = one(resources(json, "local_file"), "vmx");

  it("writes the rendered VMX to generated/<name>/<name>.vmx", () => {
    expect(construct?.path).toBe("generated/k8s-master2/k8s-master2.vmx");
    expect(file.filename).toBe("../../../generated/k8s-master2/k8s-master2.vmx");
    expect(file.file_permission).toBe("0644");
  });

  it("passes arch, hardware version, NIC type and vmnet to the renderer", () => {
    const vmx = parseVmx(file.content as string);
    expect(vmx["guestOS"]).toBe("arm-ubuntu-64");
    expect(vmx["virtualHW.version"]).toBe("20");
    expect(vmx["ethernet0.virtualDev"]).toBe("e1000e");
    expect(vmx["ethernet0.vnet"]).toBe("vmnet2");
    expect(vmx["ethernet0.address"]).toBe(vm.nics[0].mac);
    expect(vmx["numvcpus"]).toBe(String(vm.cpus));
    expect(vmx["memsize"]).toBe(String(vm.memoryMb));
  });
});

import { virtualMachineInputs } from "../../constructs/fusion-machines";
import { BaseImage } from "../../constructs/base-image";
import { VirtualMachine } from "../../constructs/virtual-machine";
import { ClusterModel } from "../../lib/model/config/model";
import { modelFixture, vmByName, withVm } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import {
  allStrings,
  dataSources,
  one,
  provisioner,
  realTemplates,
  resources,
  synthScope,
  TfJson,
} from "../../test-support/synth";

function synthVm(model: ClusterModel, name: string): TfJson {
  return synthScope((s) => {
    const baseImage = new BaseImage(s, "base-image", { image: model.baseImage });
    new VirtualMachine(s, name, {
      ...virtualMachineInputs(vmByName(model, name), model, realTemplates(), SEED_VARIABLE_EXPRESSIONS),
      baseImage,
      ipExclude: ["${var.external_vip}", "${var.internal_vip}"],
    });
  });
}

describe("VirtualMachine", () => {
  const model = modelFixture();
  const json = synthVm(model, "gateway2");
  const nulls = resources(json, "null_resource");
  const [diskId] = one(nulls, "gateway2_disk");
  const [isoId] = one(nulls, "gateway2_seed_iso");
  const [, power] = one(nulls, "gateway2_power");
  const [vmxId] = one(resources(json, "local_file"), "gateway2_vmx");

  it("starts after the disk, the seed ISO and the VMX exist, and restarts when either changes", () => {
    expect(power.triggers).toEqual({
      vm_name: "gateway2",
      vms_dir: "VMs/k8s_cluster",
      vmx_path: "VMs/k8s_cluster/gateway2.vmwarevm/gateway2.vmx",
      disk_path: "VMs/k8s_cluster/gateway2.vmwarevm/gateway2.vmdk",
      vmx_source: "generated/gateway2/gateway2.vmx",
      vmx_sha256: `\${local_file.${vmxId}.content_sha256}`,
      seed: `\${null_resource.${isoId}.id}`,
      disk: `\${null_resource.${diskId}.id}`,
    });
  });

  it("starts with vm-start (waiting for an IP on the vmnet, then the LAN; VIPs excluded) and stops with vm-stop reading only self", () => {
    const create = provisioner(power, "create");
    expect(create.command).toBe("../../../scripts/run vm-start");
    expect(create.environment).toMatchObject({
      VMX_PATH: "${self.triggers.vmx_path}",
      VMX_SOURCE: "${self.triggers.vmx_source}",
      DISK_PATH: "${self.triggers.disk_path}",
      DISK_SIZE_GB: "40",
      IP_NETWORKS: "10.10.0.0/24,192.168.68.0/24",
      IP_EXCLUDE: "${var.external_vip},${var.internal_vip}",
      IP_WAIT_SECONDS: "900",
    });
    const destroy = provisioner(power, "destroy");
    expect(destroy.command).toBe("../../../scripts/run vm-stop");
    for (const s of allStrings(destroy.environment))
      expect(s.replace(/\$\{self\.triggers\.[a-z_0-9]+\}/g, "")).not.toContain("${");
  });

  it("has no lookup of its own (the stack's one GuestIpLookup answers for it) and accepts its vmnet address first, then the LAN", () => {
    expect(dataSources(json, "external")).toEqual({});
    // Start records the address the lookup falls back on while the VM is off.
    expect(provisioner(power, "create").environment.LAST_IP_FILE).toBe("generated/gateway2/last-ip");
  });

  it("never replaces the disk when CPU, memory, packages or disk size change: only the VMX and seed files differ", () => {
    const changed = withVm(model, "gateway2", (vm) => ({
      ...vm,
      cpus: 4,
      memoryMb: 3072,
      diskGb: 80,
      packages: [...vm.packages, "htop"],
    }));
    const after = synthVm(changed, "gateway2");
    const [diskId, diskAfter] = one(resources(after, "null_resource"), "gateway2_disk");
    const [, diskBefore] = one(nulls, "gateway2_disk");
    expect([diskId, diskAfter.triggers]).toEqual([one(nulls, "gateway2_disk")[0], diskBefore.triggers]);
    expect(provisioner(diskAfter, "create").environment.DISK_SIZE_GB).toBe("80"); // sizes a new disk only
    expect(one(resources(after, "null_resource"), "gateway2_power")[1].triggers).toEqual(
      one(nulls, "gateway2_power")[1].triggers,
    );
    const vmxBefore = one(resources(json, "local_file"), "gateway2_vmx")[1].content as string;
    const vmxAfter = one(resources(after, "local_file"), "gateway2_vmx")[1].content as string;
    expect(vmxAfter).not.toEqual(vmxBefore);
    expect(vmxAfter).toContain('numvcpus = "4"');
    expect(one(resources(after, "local_file"), "gateway2_seed_user_data")[1].content).toContain("htop");
  });

  it("keeps child construct ids (a contract: renaming one replaces the VM)", () => {
    expect(
      Object.keys(nulls)
        .map((id) => id.replace(/_[0-9A-F]{8}$/, ""))
        .sort(),
    ).toEqual(["base-image", "gateway2_disk", "gateway2_power", "gateway2_seed_iso"]);
    expect(
      Object.keys(resources(json, "local_file"))
        .map((id) => id.replace(/_[0-9A-F]{8}$/, ""))
        .sort(),
    ).toEqual([
      "gateway2_seed_meta_data",
      "gateway2_seed_network_config",
      "gateway2_seed_user_data",
      "gateway2_vmx",
    ]);
  });
});

import { BaseImage } from "../../constructs/base-image";
import { VmDisk } from "../../constructs/vm-disk";
import { modelFixture, vmByName } from "../../test-support/model-fixture";
import { allStrings, one, provisioner, resources, synthScope } from "../../test-support/synth";

describe("VmDisk", () => {
  const model = modelFixture();
  const vm = vmByName(model, "k8s-worker1");
  const json = synthScope((s) => {
    const baseImage = new BaseImage(s, "base-image", { image: model.baseImage });
    new VmDisk(s, "disk", {
      vm,
      baseImage,
      vmsDir: model.paths.vmsDir,
      timeoutSeconds: 300,
      vmrunTimeoutSeconds: 60,
    });
  });
  const all = resources(json, "null_resource");
  const [baseId] = one(all, "base-image");
  const [, disk] = one(all, "disk");

  it("clones after the base image, from values in self.triggers", () => {
    expect(disk.depends_on).toEqual([`null_resource.${baseId}`]);
    expect(disk.triggers).toEqual({
      vm_name: "k8s-worker1",
      vms_dir: "VMs/k8s_cluster",
      vm_dir: "VMs/k8s_cluster/k8s-worker1.vmwarevm",
      vmx_path: "VMs/k8s_cluster/k8s-worker1.vmwarevm/k8s-worker1.vmx",
      disk_path: "VMs/k8s_cluster/k8s-worker1.vmwarevm/k8s-worker1.vmdk",
      base_image: "base_images/noble-server-cloudimg-amd64.img",
    });
    const create = provisioner(disk, "create");
    expect(create.command).toBe("../../../scripts/run disk-clone");
    expect(create.environment).toMatchObject({
      DISK_PATH: "${self.triggers.disk_path}",
      DISK_SIZE_GB: "40",
      BASE_IMAGE: "${self.triggers.base_image}",
      DISK_TIMEOUT_SECONDS: "300",
    });
    // the image inputs, to fetch it again if base_images/ was emptied; IMAGE_PATH must be BASE_IMAGE
    expect(create.environment).toMatchObject({
      IMAGE_PATH: "${self.triggers.base_image}",
      IMAGE_SOURCE: model.baseImage.url,
    });
  });

  it("destroys the VM (stop, deleteVM, remove folder) reading only self", () => {
    const destroy = provisioner(disk, "destroy");
    expect(destroy.command).toBe("../../../scripts/run vm-destroy");
    expect(destroy.environment).toEqual({
      VM_NAME: "${self.triggers.vm_name}",
      VMS_DIR: "${self.triggers.vms_dir}",
      VM_DIR: "${self.triggers.vm_dir}",
      VMX_PATH: "${self.triggers.vmx_path}",
      VMRUN_TIMEOUT_SECONDS: "60",
    });
    for (const s of allStrings(destroy))
      expect(s.replace(/\$\{self\.triggers\.[a-z_]+\}/g, "")).not.toContain("${");
  });

  it("keys the disk only on the VM's identity: no config edit (size, CPU, memory, cloud-init, timeouts) replaces it", () => {
    expect(Object.keys(disk.triggers).sort()).toEqual([
      "base_image",
      "disk_path",
      "vm_dir",
      "vm_name",
      "vms_dir",
      "vmx_path",
    ]);
    for (const value of Object.values(disk.triggers) as string[]) expect(value).not.toContain("${");
  });

  it("fails for a VM whose disk lies outside vmsDir", () => {
    expect(() =>
      synthScope((s) => {
        const baseImage = new BaseImage(s, "b", { image: model.baseImage });
        new VmDisk(s, "d", { vm, baseImage, vmsDir: "elsewhere" });
      }),
    ).toThrow(/must lie inside vmsDir elsewhere/);
  });

  it("matches the snapshot", () => {
    expect(disk).toMatchSnapshot();
  });
});

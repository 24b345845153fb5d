import { renderSeed } from "../../lib/model/render/seed";
import { BaseImage } from "../../constructs/base-image";
import { SeedIso } from "../../constructs/seed-iso";
import { VmDisk } from "../../constructs/vm-disk";
import { modelFixture, vmByName } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import { one, provisioner, realTemplates, resources, synthScope } from "../../test-support/synth";

describe("SeedIso", () => {
  const model = modelFixture();
  const vm = vmByName(model, "gateway1");
  const json = synthScope((s) => {
    const baseImage = new BaseImage(s, "base-image", { image: model.baseImage });
    const disk = new VmDisk(s, "disk", { vm, baseImage, vmsDir: model.paths.vmsDir });
    new SeedIso(s, "seed", {
      disk,
      documents: renderSeed(vm, model, realTemplates(), SEED_VARIABLE_EXPRESSIONS),
      vmsDir: model.paths.vmsDir,
    });
  });
  const files = resources(json, "local_file");
  const [userDataId, userData] = one(files, "seed_user_data");
  const [networkId, network] = one(files, "seed_network_config");
  const [metaId, meta] = one(files, "seed_meta_data");
  const [diskId] = one(resources(json, "null_resource"), "disk");
  const [, iso] = one(resources(json, "null_resource"), "seed_iso");

  it("renders the three seed files into generated/<name>/seed/ at synth", () => {
    expect(userData.filename).toBe("../../../generated/gateway1/seed/user-data");
    expect(network.filename).toBe("../../../generated/gateway1/seed/network-config");
    expect(meta.filename).toBe("../../../generated/gateway1/seed/meta-data");
    for (const f of [userData, network, meta]) expect(f.file_permission).toBe("0644");
    expect(userData.content).toMatch(/^#cloud-config\n/);
    expect(userData.content).toContain("hostname: gateway1");
    expect(userData.content).toContain("${var.apt_proxy_url}");
  });

  it("derives the instance-id from the seed content, so a changed seed is a new instance", () => {
    expect(meta.content).toContain(
      `instance-id: "gateway1-\${substr(sha256(join("", [local_file.${userDataId}.content_sha256, local_file.${networkId}.content_sha256])), 0, 12)}"`,
    );
    expect(meta.content).toContain("local-hostname: gateway1");
  });

  it("builds the ISO in the VM folder when any file or the disk changes", () => {
    expect(iso.triggers).toEqual({
      vm_name: "gateway1",
      vms_dir: "VMs/k8s_cluster",
      seed_dir: "generated/gateway1/seed",
      iso_path: "VMs/k8s_cluster/gateway1.vmwarevm/seed.iso",
      user_data: `\${local_file.${userDataId}.content_sha256}`,
      meta_data: `\${local_file.${metaId}.content_sha256}`,
      network_config: `\${local_file.${networkId}.content_sha256}`,
      disk: `\${null_resource.${diskId}.id}`,
    });
    const create = provisioner(iso, "create");
    expect(create.command).toBe("../../../scripts/run seed-iso");
    expect(create.environment).toEqual({
      VM_NAME: "${self.triggers.vm_name}",
      VMS_DIR: "${self.triggers.vms_dir}",
      SEED_DIR: "${self.triggers.seed_dir}",
      ISO_PATH: "${self.triggers.iso_path}",
      ISO_TIMEOUT_SECONDS: "120",
    });
  });

  it("matches the snapshot (ISO resource and meta-data)", () => {
    expect({ iso, meta }).toMatchSnapshot();
  });
});

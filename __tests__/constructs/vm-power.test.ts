import { renderSeed } from "../../lib/model/render/seed";
import { BaseImage } from "../../constructs/base-image";
import { SeedIso } from "../../constructs/seed-iso";
import { VmDisk } from "../../constructs/vm-disk";
import { VmPower, VmPowerProps } from "../../constructs/vm-power";
import { VmxFile } from "../../constructs/vmx-file";
import { modelFixture, vmByName } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import { one, realTemplates, resources, synthScope } from "../../test-support/synth";
import { Construct } from "constructs";

const model = modelFixture();

function parts(s: Construct) {
  const vm = vmByName(model, "k8s-worker2");
  const baseImage = new BaseImage(s, "base-image", { image: model.baseImage });
  const disk = new VmDisk(s, "disk", { vm, baseImage, vmsDir: model.paths.vmsDir });
  const seed = new SeedIso(s, "seed", {
    disk,
    documents: renderSeed(vm, model, realTemplates(), SEED_VARIABLE_EXPRESSIONS),
    vmsDir: model.paths.vmsDir,
  });
  const vmx = new VmxFile(s, "vmx", { vm, arch: "amd64", natVmnet: "vmnet2" });
  return { disk, seed, vmx };
}

function powerProps(s: Construct, overrides: Partial<VmPowerProps> = {}): VmPowerProps {
  return {
    ...parts(s),
    vmsDir: model.paths.vmsDir,
    ipNetworks: ["10.10.0.0/24"],
    ipExclude: [],
    ...overrides,
  };
}

describe("VmPower", () => {
  it("passes its tuning knobs as literals, so changing a timeout replaces nothing", () => {
    const json = synthScope(
      (s) => new VmPower(s, "power", powerProps(s, { ipWaitSeconds: 60, vmrunTimeoutSeconds: 30 })),
    );
    const [, power] = one(resources(json, "null_resource"), "power");
    const [create, destroy] = (power.provisioner as { "local-exec": Record<string, unknown> }[]).map(
      (p) => p["local-exec"],
    );
    expect(create.environment).toMatchObject({
      IP_WAIT_SECONDS: "60",
      VMRUN_TIMEOUT_SECONDS: "30",
      IP_NETWORKS: "10.10.0.0/24",
      IP_EXCLUDE: "",
    });
    expect(destroy.environment).toMatchObject({ VMRUN_TIMEOUT_SECONDS: "30" });
    expect(Object.values(power.triggers).join(" ")).not.toMatch(/60|30/);
    expect(power).toMatchSnapshot();
  });

  it("fails without a network to accept the IP from", () => {
    expect(() => synthScope((s) => new VmPower(s, "power", powerProps(s, { ipNetworks: [] })))).toThrow(
      /ipNetworks of k8s-worker2 is empty/,
    );
  });
});

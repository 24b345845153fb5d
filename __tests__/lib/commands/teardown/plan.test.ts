import { planTeardown, planVmOfFolder } from "../../../../lib/commands/teardown/plan";
import { modelFixture } from "../../../../test-support/model-fixture";

describe("planTeardown", () => {
  const model = modelFixture();

  it("covers the cluster VMs, the cluster state and the inventory, not the APT cache or base images", () => {
    const plan = planTeardown(model);
    expect(plan.vms.map((v) => v.name)).toEqual(model.vms.map((v) => v.name));
    expect(plan.vms.map((v) => v.name)).not.toContain(model.aptCache.vm.name);
    expect(plan.stateFiles).toEqual([
      "terraform.k8s-cluster.tfstate",
      "terraform.k8s-cluster.tfstate.backup",
    ]);
    expect(plan.inventoryFile).toBe(model.paths.inventoryFile);
    expect(plan.baseImagesDir).toBeUndefined();
    expect(plan.vms[0]).toEqual({
      name: model.vms[0].name,
      vmDir: model.vms[0].vmDir,
      vmx: model.vms[0].vmxPath,
      seedIso: model.vms[0].seedIsoPath,
      generatedDir: model.vms[0].generatedDir,
    });
  });

  it("adds the APT cache and its state, and the base images, when asked", () => {
    const plan = planTeardown(model, { includeAptCache: true, purgeImages: true });
    expect(plan.vms.map((v) => v.name)).toContain(model.aptCache.vm.name);
    expect(plan.stateFiles).toContain("terraform.apt-cache.tfstate");
    expect(plan.baseImagesDir).toBe(model.paths.baseImagesDir);
  });

  it("maps only folders named after a plan VM", () => {
    const plan = planTeardown(model);
    const name = model.vms[0].name;
    expect(planVmOfFolder(plan, `${name}.vmwarevm`)?.name).toBe(name);
    expect(planVmOfFolder(plan, "stranger.vmwarevm")).toBeUndefined();
    expect(planVmOfFolder(plan, name)).toBeUndefined();
    expect(planVmOfFolder(plan, `${model.aptCache.vm.name}.vmwarevm`)).toBeUndefined();
  });
});

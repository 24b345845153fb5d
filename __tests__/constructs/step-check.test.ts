import { virtualMachineInputs } from "../../constructs/fusion-machines";
import { BaseImage } from "../../constructs/base-image";
import { StepCheck } from "../../constructs/step-check";
import { VirtualMachine } from "../../constructs/virtual-machine";
import { parseStepCheckVms } from "../../lib/model/entry/contracts";
import { modelFixture, vmByName } from "../../test-support/model-fixture";
import { dataSources, one, realTemplates, resources, synthScope, TfJson } from "../../test-support/synth";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";

const model = modelFixture();
const vm = vmByName(model, "k8s-worker1");

/** A step check over one VM, and that VM built with it. */
const json = synthScope((s) => {
  const stepCheck = new StepCheck(s, "steps", {
    vms: [vm],
    steps: ["disk", "seed", "power"],
    vmsDir: model.paths.vmsDir,
  });
  new VirtualMachine(s, vm.name, {
    ...virtualMachineInputs(vm, model, realTemplates(), SEED_VARIABLE_EXPRESSIONS),
    baseImage: new BaseImage(s, "base-image", { image: model.baseImage }),
    stepCheck,
  });
});

describe("StepCheck", () => {
  const [checkId, check] = one(dataSources(json, "external"), "steps_check");
  const [tokensId, tokens] = one(resources(json, "terraform_data"), "steps_tokens");
  const nulls = resources(json, "null_resource");

  it("reads at every plan: its query is static and it depends on nothing", () => {
    expect(check.program).toEqual(["../../../scripts/run", "step-check"]);
    expect(check.depends_on).toBeUndefined();
    expect(check.query.vms_dir).toBe("VMs/k8s_cluster");
    expect(parseStepCheckVms(check.query.vms)).toEqual([
      {
        name: "k8s-worker1",
        steps_dir: "VMs/k8s_cluster/k8s-worker1.vmwarevm/.lab-steps",
        disk_path: "VMs/k8s_cluster/k8s-worker1.vmwarevm/k8s-worker1.vmdk",
        seed_path: "VMs/k8s_cluster/k8s-worker1.vmwarevm/seed.iso",
        vmx_path: "VMs/k8s_cluster/k8s-worker1.vmwarevm/k8s-worker1.vmx",
        steps: ["disk", "seed", "power"],
      },
    ]);
    expect(tokens.input).toBe(`\${data.external.${checkId}.result}`);
  });

  it.each(["disk", "seed_iso", "power"])(
    "replaces the VM's %s resource when its own token changes, and hands the step its token and folder",
    (part) => {
      const [, resource] = one(nulls, `k8s-worker1_${part}`);
      const step = part === "seed_iso" ? "seed" : part;
      expect(resource.lifecycle).toEqual({
        replace_triggered_by: [`terraform_data.${tokensId}.input["k8s-worker1_${step}"]`],
      });
      const create = (resource.provisioner as TfJson[])
        .map((p) => p["local-exec"] as TfJson)
        .find((p) => p.when === undefined)!;
      expect(create.environment).toMatchObject({
        STEP_DIR: "VMs/k8s_cluster/k8s-worker1.vmwarevm/.lab-steps",
        STEP_TOKEN: `\${data.external.${checkId}.result["k8s-worker1_${step}"]}`,
      });
      // No trigger key is added: a new one would replace the resource of every VM built before.
      expect(Object.keys(resource.triggers as object).some((k) => k.includes("step"))).toBe(false);
    },
  );

  it("refuses a step or a VM it does not read, and an empty list", () => {
    expect(() =>
      synthScope((s) => {
        const c = new StepCheck(s, "steps", {
          vms: [vm],
          steps: ["disk"],
          vmsDir: "VMs/k8s_cluster",
        });
        c.hook(vm, "config");
      }),
    ).toThrow("k8s-worker1's config step is not one this step check reads");
    expect(() =>
      synthScope((s) => new StepCheck(s, "steps", { vms: [], steps: ["disk"], vmsDir: "VMs" })),
    ).toThrow("a step check needs at least one VM");
  });
});

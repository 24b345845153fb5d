import { BaseImage } from "../../constructs/base-image";
import { GuestIpLookup } from "../../constructs/guest-ip-lookup";
import { Inventory } from "../../constructs/inventory";
import { ProjectLayout } from "../../constructs/project-layout";
import { VirtualMachine } from "../../constructs/virtual-machine";
import { modelFixture } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import { dataSources, one, realTemplates, resources, synthScope } from "../../test-support/synth";

describe("Inventory", () => {
  const model = modelFixture();
  const layout = new ProjectLayout();
  const json = synthScope((s) => {
    const baseImage = new BaseImage(s, "base-image", { image: model.baseImage, layout });
    const machines = model.vms
      .filter((vm) => vm.role === "master")
      .map(
        (vm) =>
          new VirtualMachine(s, vm.name, {
            vm,
            model,
            baseImage,
            templates: realTemplates(),
            variables: SEED_VARIABLE_EXPRESSIONS,
            layout,
          }),
      );
    const lookup = new GuestIpLookup(s, "ips", { machines, layout, vmsDir: model.paths.vmsDir });
    new Inventory(s, "inventory", {
      machines,
      lookup,
      fixed: { APT_CACHE_SERVER_IP: "10.10.0.148" },
      layout,
    });
  });
  const [, file] = one(resources(json, "local_file"), "inventory");
  const lookups = dataSources(json, "external");

  it("writes one NAME_IP line per VM from the stack's IP lookup into vm-ips.env", () => {
    const [id] = one(lookups, "ips_lookup");
    expect(file.filename).toBe("../../../vm-ips.env");
    expect(file.content).toBe(
      [
        "# Written by cdktf deploy from the guests' reported addresses; do not edit (it is overwritten).",
        "APT_CACHE_SERVER_IP=10.10.0.148",
        `K8S_MASTER1_IP=\${data.external.${id}.result["k8s-master1_ip"]}`,
        `K8S_MASTER2_IP=\${data.external.${id}.result["k8s-master2_ip"]}`,
        `K8S_MASTER3_IP=\${data.external.${id}.result["k8s-master3_ip"]}`,
        "",
      ].join("\n"),
    );
    expect(file.depends_on).toEqual([`data.external.${id}`]);
  });

  it("fails for a fixed key that is not a shell variable name, and for no VMs", () => {
    expect(() =>
      synthScope((s) => {
        const baseImage = new BaseImage(s, "b", { image: model.baseImage, layout });
        const vm = model.vms[0];
        const m = new VirtualMachine(s, vm.name, {
          vm,
          model,
          baseImage,
          templates: realTemplates(),
          variables: SEED_VARIABLE_EXPRESSIONS,
          layout,
        });
        const lookup = new GuestIpLookup(s, "ips", { machines: [m], layout, vmsDir: model.paths.vmsDir });
        new Inventory(s, "i", { machines: [], lookup, layout });
      }),
    ).toThrow(/at least one VM/);
    expect(() =>
      synthScope((s) => {
        const baseImage = new BaseImage(s, "b", { image: model.baseImage, layout });
        const vm = model.vms[0];
        const m = new VirtualMachine(s, vm.name, {
          vm,
          model,
          baseImage,
          templates: realTemplates(),
          variables: SEED_VARIABLE_EXPRESSIONS,
          layout,
        });
        const lookup = new GuestIpLookup(s, "ips", { machines: [m], layout, vmsDir: model.paths.vmsDir });
        new Inventory(s, "i", { machines: [m], lookup, fixed: { "X;rm": "1" }, layout });
      }),
    ).toThrow(/not a shell variable name/);
  });
});

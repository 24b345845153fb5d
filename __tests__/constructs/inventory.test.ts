import { BaseImage } from "../../constructs/base-image";
import { Inventory } from "../../constructs/inventory";
import { ProjectLayout } from "../../constructs/project-layout";
import { VirtualMachine } from "../../constructs/virtual-machine";
import { modelFixture } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/terraform-template";
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
    new Inventory(s, "inventory", { machines, fixed: { APT_CACHE_SERVER_IP: "10.10.0.148" }, layout });
  });
  const [, file] = one(resources(json, "local_file"), "inventory");
  const lookups = dataSources(json, "external");

  it("writes one NAME_IP line per VM from the IP lookups into vm-ips.env", () => {
    const ids = ["k8s-master1", "k8s-master2", "k8s-master3"].map((n) => one(lookups, `${n}_ip`)[0]);
    expect(file.filename).toBe("../../../vm-ips.env");
    expect(file.content).toBe(
      [
        "# Written by cdktf deploy from the guests' reported addresses; do not edit (it is overwritten).",
        "APT_CACHE_SERVER_IP=10.10.0.148",
        `K8S_MASTER1_IP=\${data.external.${ids[0]}.result["ip"]}`,
        `K8S_MASTER2_IP=\${data.external.${ids[1]}.result["ip"]}`,
        `K8S_MASTER3_IP=\${data.external.${ids[2]}.result["ip"]}`,
        "",
      ].join("\n"),
    );
    expect(file.depends_on).toEqual(ids.map((id) => `data.external.${id}`));
  });

  it("fails for a fixed key that is not a shell variable name, and for no VMs", () => {
    expect(() => synthScope((s) => new Inventory(s, "i", { machines: [], layout }))).toThrow(
      /at least one VM/,
    );
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
        new Inventory(s, "i", { machines: [m], fixed: { "X;rm": "1" }, layout });
      }),
    ).toThrow(/not a shell variable name/);
  });
});

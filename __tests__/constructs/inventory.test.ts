import { Construct } from "constructs";
import type { VmSpec } from "../../lib/model/config/model";
import { fusionMachines } from "../../constructs/fusion-machines";
import { Inventory } from "../../constructs/inventory";
import type { LabMachine, MachineSet } from "../../constructs/machine-set";
import { modelFixture } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import { dataSources, one, realTemplates, resources, synthScope } from "../../test-support/synth";

describe("Inventory", () => {
  const model = modelFixture();
  const masters = model.vms.filter((vm) => vm.role === "master");
  const json = synthScope((s) => {
    const machines = fusionMachines(s, {
      model,
      vms: masters,
      templates: realTemplates(),
      variables: SEED_VARIABLE_EXPRESSIONS,
      steps: ["disk", "seed", "power"],
    });
    new Inventory(s, "inventory", { machines, fixed: { APT_CACHE_SERVER_IP: "10.10.0.148" } });
  });
  const [, file] = one(resources(json, "local_file"), "inventory");
  const lookups = dataSources(json, "external");

  it("writes one NAME_IP line per VM from the stack's IP lookup into vm-ips.env, after the lookup", () => {
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

  const machineIn = (scope: Construct, vm: VmSpec): LabMachine =>
    Object.assign(new Construct(scope, vm.name), {
      spec: vm,
      runningId: "id",
      hostKeys: { knownHostsFile: "k", consoleLog: "c" },
    });

  /** A set whose addresses are all given (as on vSphere): nothing to wait for. */
  const staticSet = (machines: readonly LabMachine[]): MachineSet => ({
    machines,
    addressOf: (vm) => ({ literal: `addr-of-${vm}` }),
    ipOf: (vm) => `addr-of-${vm}`,
  });

  it("takes given addresses as they are and waits for nothing when the set has no address source", () => {
    const vm = masters[0];
    const j = synthScope((s) => {
      new Inventory(s, "i", { machines: staticSet([machineIn(s, vm)]) });
    });
    const [, f] = one(resources(j, "local_file"), "i");
    expect(f.content).toContain("K8S_MASTER1_IP=addr-of-k8s-master1\n");
    expect(f.depends_on).toBeUndefined();
  });

  it("fails for a fixed key that is not a shell variable name, and for no VMs", () => {
    const vm = masters[0];
    expect(() => synthScope((s) => new Inventory(s, "i", { machines: staticSet([]) }))).toThrow(
      /at least one VM/,
    );
    expect(() =>
      synthScope((s) => {
        const machines = staticSet([machineIn(s, vm)]);
        new Inventory(s, "i", { machines, fixed: { "X;rm": "1" } });
      }),
    ).toThrow(/not a shell variable name/);
  });
});

import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import type { MachineSet } from "../constructs/machine-set";
import { LabStack, LabStackProps } from "./stack-base";

/**
 * The long-lived APT cache VM (apt-cacher-ng), in its own stack and state so that tearing the
 * cluster down never touches it or its cache.
 */
export class AptCacheStack extends LabStack {
  public readonly machineSet: MachineSet;

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { model } = props;
    const vm = model.aptCache.vm;
    // The cache does not go through itself.
    this.machineSet = this.machinesFor([vm], props, {
      aptProxyUrl: { literal: "" },
      steps: ["disk", "seed", "power"],
    });
    new TerraformOutput(this, "apt_cache_ip", {
      value: this.machineSet.ipOf(vm.name),
      description: "Address the APT cache VM reports",
    });
    new TerraformOutput(this, "apt_cache_url", {
      value: model.aptCache.proxyUrl,
      description: "The proxy URL every cluster VM uses",
    });
  }
}

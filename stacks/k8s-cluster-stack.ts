import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { ClusterVariables } from "../constructs/cluster-variables";
import { GuestConfig } from "../constructs/guest-config";
import { Inventory } from "../constructs/inventory";
import type { LabMachine, MachineSet } from "../constructs/machine-set";
import { inventoryVariable } from "../lib/model/config/build-model";
import type { ClusterModel } from "../lib/model/config/model";
import type { GatewayVariables } from "../lib/model/render/gateway";
import { guestFilesFor } from "../lib/model/render/guest-files";
import { LabStack, LabStackProps } from "./stack-base";

/** The cluster VMs (gateways, masters, workers), their role files and the inventory of their addresses. */
export class K8sClusterStack extends LabStack {
  public readonly machineSet: MachineSet;
  public readonly inventory: Inventory;
  public readonly guestConfigs: readonly GuestConfig[];

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { model } = props;
    const variables = new ClusterVariables(this, "variables", {
      network: model.network,
      aptProxyUrl: model.aptCache.proxyUrl,
    });
    // The VIPs can sit on a guest's NIC: neither start nor the lookup takes one as a guest's address.
    const vips = [variables.externalVip.stringValue, variables.internalVip.stringValue];
    this.machineSet = this.machinesFor(model.vms, props, {
      aptProxyUrl: LabStack.expressionOf(variables.aptProxyUrl),
      ipExclude: vips,
      steps: ["disk", "seed", "power", "config"],
    });
    this.inventory = new Inventory(this, "inventory", {
      machines: this.machineSet,
      path: model.paths.inventoryFile,
      fixed: { [inventoryVariable(model.aptCache.vm)]: model.aptCache.address },
    });
    const gatewayVariables: GatewayVariables = {
      externalVip: LabStack.expressionOf(variables.externalVip),
      internalVip: LabStack.expressionOf(variables.internalVip),
      externalRouterId: LabStack.expressionOf(variables.externalRouterId),
      internalRouterId: LabStack.expressionOf(variables.internalRouterId),
      authPass: LabStack.expressionOf(variables.authPass),
    };
    this.guestConfigs = this.machineSet.machines.map((m) => this.guestConfigOf(m, model, gatewayVariables));
    this.addOutputs();
  }

  /** Role files that name other VMs' addresses: installed once every address is known. */
  private guestConfigOf(machine: LabMachine, model: ClusterModel, vars: GatewayVariables): GuestConfig {
    const set = this.machineSet;
    const addressOf = (vm: { readonly name: string }) => {
      if (!set.machines.some((m) => m.spec.name === vm.name))
        throw new Error(`no VM named ${vm.name} in this stack`);
      return set.addressOf(vm.name);
    };
    return new GuestConfig(machine, "config", {
      machine,
      files: guestFilesFor(machine.spec, model, addressOf, vars, this.templates),
      address: addressOf(machine.spec),
      sshUser: model.ssh.user,
      ...(model.ssh.identityFile !== undefined ? { identityFile: model.ssh.identityFile } : {}),
      waitSeconds: model.timeouts.guestConfigSeconds,
      ...(set.roleFilesStep !== undefined ? { step: set.roleFilesStep(machine.spec) } : {}),
    });
  }

  private addOutputs(): void {
    for (const m of this.machineSet.machines) {
      new TerraformOutput(this, `${m.spec.name.replace(/-/g, "_")}_ip`, {
        value: this.machineSet.ipOf(m.spec.name),
        description: `Address ${m.spec.name} reports`,
      });
    }
    new TerraformOutput(this, "inventory_file", {
      value: this.inventory.path,
      description: "Project-relative path of the inventory (NAME_IP=... lines)",
    });
  }
}

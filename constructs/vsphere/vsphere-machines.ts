import type { Construct } from "constructs";
import type { ClusterModel, VmSpec } from "../../lib/model/config/model";
import type { SeedVariables } from "../../lib/model/render/cloud-init";
import type { SeedTemplates } from "../../lib/model/render/templates";
import type { MachineSet } from "../machine-set";
import { renderSeed } from "../../lib/model/render/seed";
import { VsphereMachine } from "./vsphere-machine";
import { VsphereSite } from "./vsphere-site";

export interface VsphereMachinesProps {
  readonly model: ClusterModel;
  readonly vms: readonly VmSpec[];
  readonly templates: SeedTemplates;
  readonly variables: SeedVariables;
}

/**
 * The vSphere target: the site's lookups (`vsphere-site`) and one VsphereMachine per VM (its name as
 * id), directly under the stack. Addressing is static there (the config check requires it), so every
 * address is the configured one and nothing has to be discovered.
 */
export function vsphereMachines(stack: Construct, props: VsphereMachinesProps): MachineSet {
  const { model } = props;
  if (model.vsphere === undefined)
    throw new Error(
      "the vSphere target needs the model's vsphere block; build the model with buildClusterModel",
    );
  const site = new VsphereSite(stack, "vsphere-site", { site: model.vsphere });
  const machines = props.vms.map(
    (vm) =>
      new VsphereMachine(stack, vm.name, {
        vm,
        site,
        documents: renderSeed(vm, model, props.templates, props.variables),
      }),
  );
  const addresses = new Map(machines.map((m) => [m.spec.name, configuredAddress(m.spec)] as const));
  const addressOf = (vm: string): string => {
    const address = addresses.get(vm);
    if (address === undefined) throw new Error(`no VM named ${vm} in this stack`);
    return address;
  };
  return { machines, ipOf: addressOf, addressOf: (vm) => ({ literal: addressOf(vm) }) };
}

function configuredAddress(vm: VmSpec): string {
  const address = vm.nics.find((n) => n.network === "nat")?.address;
  if (address === undefined)
    throw new Error(`${vm.name} has no configured address; the vSphere target needs addressing: static`);
  return address;
}

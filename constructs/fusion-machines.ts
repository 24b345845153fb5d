import type { Construct } from "constructs";
import type { ClusterModel, VmSpec } from "../lib/model/config/model";
import type { SeedVariables } from "../lib/model/render/cloud-init";
import type { SeedTemplates } from "../lib/model/render/templates";
import { BaseImage } from "./base-image";
import { GuestIpLookup } from "./guest-ip-lookup";
import type { MachineSet } from "./machine-set";
import { StepCheck } from "./step-check";
import { renderSeed } from "../lib/model/render/seed";
import { vmxOptionsFor } from "../lib/model/render/vmx";
import { VirtualMachine, type VirtualMachineProps } from "./virtual-machine";
import type { StepName } from "../lib/model/entry/contracts";

export interface FusionMachinesProps {
  readonly model: ClusterModel;
  readonly vms: readonly VmSpec[];
  readonly templates: SeedTemplates;
  readonly variables: SeedVariables;
  /** Addresses never taken as a guest's own (the VIPs); may be Terraform expressions. @default [] */
  readonly ipExclude?: readonly string[];
  /** The steps checked at every plan: the build steps, and `config` where the stack installs role files. */
  readonly steps: readonly StepName[];
}

/**
 * The Fusion (and Workstation) target: the base image, the step check, one VirtualMachine per VM and the
 * stack's one IP lookup, all directly under the stack (their ids, `base-image`, `steps`, the VM's name and
 * `ips`, are a contract: they name the real disks and VMs in the state).
 */
export function fusionMachines(stack: Construct, props: FusionMachinesProps): MachineSet {
  const { model } = props;
  const baseImage = new BaseImage(stack, "base-image", {
    image: model.baseImage,
    downloadTimeoutSeconds: model.timeouts.downloadSeconds,
  });
  const stepCheck = new StepCheck(stack, "steps", {
    vms: props.vms,
    steps: props.steps,
    vmsDir: model.paths.vmsDir,
  });
  const exclude = props.ipExclude ?? [];
  const machines = props.vms.map(
    (vm) =>
      new VirtualMachine(stack, vm.name, {
        ...virtualMachineInputs(vm, model, props.templates, props.variables),
        baseImage,
        ...(props.ipExclude !== undefined ? { ipExclude: exclude } : {}),
        stepCheck,
      }),
  );
  const lookup = new GuestIpLookup(stack, "ips", {
    machines,
    vmsDir: model.paths.vmsDir,
    ...(props.ipExclude !== undefined ? { exclude } : {}),
    timeoutSeconds: model.timeouts.ipLookupSeconds,
  });
  const specs = new Map(machines.map((m) => [m.spec.name, m.spec] as const));
  return {
    machines,
    addressSource: lookup.data,
    roleFilesStep: (vm) => stepCheck.hook(vm, "config"),
    ipOf: (vm) => lookup.ipOf(vm),
    addressOf: (vm) => {
      const configured = specs.get(vm)?.nics.find((n) => n.network === "nat")?.address;
      return configured !== undefined ? { literal: configured } : { expression: lookup.ipExpressionOf(vm) };
    },
  };
}

/**
 * What a VirtualMachine takes from the model: its cloud-init documents, the VMs folder, the hardware the
 * .vmx says, the networks whose address the inventory records (the vmnet's first; a gateway's LAN
 * address only as a fallback) and its deadlines.
 */
export function virtualMachineInputs(
  vm: VmSpec,
  model: ClusterModel,
  templates: SeedTemplates,
  variables: SeedVariables,
): Omit<VirtualMachineProps, "baseImage"> {
  const lan = vm.nics.some((n) => n.network === "lan") ? [model.network.lan.subnet] : [];
  return {
    vm,
    documents: renderSeed(vm, model, templates, variables),
    vmsDir: model.paths.vmsDir,
    hardware: vmxOptionsFor(model),
    ipNetworks: [model.network.nat.subnet, ...lan],
    timeouts: model.timeouts,
  };
}

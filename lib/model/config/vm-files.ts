import type { VmSpec } from "./model";

/**
 * Project-relative file holding the address `vm` last reported: written by vm-start and by every
 * lookup that finds the VM running, read by lookups while it is off (lib/runtime/vm/last-ip.ts).
 */
export function lastIpFile(vm: Pick<VmSpec, "generatedDir">): string {
  return `${vm.generatedDir}/last-ip`;
}

/** `k8s-master1` -> `K8S_MASTER1_IP`: the VM's variable in the inventory file. */
export function inventoryVariableName(vmName: string): string {
  return `${vmName.toUpperCase().replace(/-/g, "_")}_IP`;
}

/**
 * The folder inside a VM's bundle where each build step records its attempts and its results
 * (lib/runtime/steps): removed with the VM, read by the plan-time step check.
 */
export const STEPS_FOLDER = ".lab-steps";

/** Project-relative steps folder of `vm` (`<vmDir>/.lab-steps`). */
export function stepsDir(vm: Pick<VmSpec, "vmDir">): string {
  return `${vm.vmDir}/${STEPS_FOLDER}`;
}

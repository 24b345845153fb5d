import type { Target, VmSpec } from "./model";

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

/** The guest's serial console, which the .vmx writes into the VM folder. */
export const CONSOLE_LOG_NAME = "console.log";

/** Project-relative serial console log of `vm`: cloud-init prints the guest's host keys there. */
export function consoleLogFile(vm: Pick<VmSpec, "vmDir">): string {
  return `${vm.vmDir}/${CONSOLE_LOG_NAME}`;
}

/**
 * Project-relative known_hosts file of `vm`'s pinned host keys (lib/runtime/ssh/host-keys.ts): on
 * Fusion in the VM's folder, so it goes with the VM and a VM built anew starts without the old one's
 * keys; on vSphere beside its generated files, where guest-config drops them for a new clone (epoch).
 */
export function knownHostsFile(
  vm: Pick<VmSpec, "vmDir" | "generatedDir">,
  target: Target = "fusion",
): string {
  // A vSphere VM has no folder here: its pins live with its generated files (teardown removes them).
  return target === "vsphere" ? `${vm.generatedDir}/known_hosts` : `${vm.vmDir}/known_hosts`;
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

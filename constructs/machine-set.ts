import type { ITerraformDependable } from "cdktf";
import type { IConstruct } from "constructs";
import type { VmSpec } from "../lib/model/config/model";
import type { TextValue } from "../lib/model/render/terraform-text";
import type { StepHook } from "./step-check";

/** One VM of a stack, whatever hypervisor runs it (a construct: what belongs to the VM is added under it). */
export interface LabMachine extends IConstruct {
  readonly spec: VmSpec;
  /** Terraform id of the resource whose replacement means a freshly started VM (its role files must be installed again). */
  readonly runningId: string;
  /** Where the project's ssh pins the VM's host keys (project-relative), and what says a new VM has new ones. */
  readonly hostKeys: MachineHostKeys;
  /** The VM's .vmx, where the VM has one on this machine (Fusion); what a message about it names. */
  readonly vmxPath?: string;
}

export interface MachineHostKeys {
  readonly knownHostsFile: string;
  /** The serial console cloud-init prints the keys on (a path that never exists where there is none). */
  readonly consoleLog: string;
  /** A Terraform token that changes with the VM itself, where the path outlives it. @default none */
  readonly epoch?: string;
}

/**
 * The VMs a stack builds on its target (Fusion: disk, seed ISO, .vmx and vmrun; vSphere: a clone with
 * cloud-init in guestinfo), and how to reach them. The stacks compose what is above the target (role
 * files, inventory, outputs) from this alone.
 */
export interface MachineSet {
  readonly machines: readonly LabMachine[];
  /** A VM's address for its peers' files and the project's ssh: a literal (static) or an HCL expression (discovered). */
  addressOf(vm: string): TextValue;
  /** The address a VM reports or was given, as a Terraform token (outputs, the inventory). */
  ipOf(vm: string): string;
  /** What must be read before the addresses are known (the IP lookup), if anything. */
  readonly addressSource?: ITerraformDependable;
  /** The plan-time check of a VM's role-files step (constructs/step-check.ts), where the target has one. */
  roleFilesStep?(vm: VmSpec): StepHook;
}

import type { ITerraformDependable } from "cdktf";
import type { IConstruct } from "constructs";
import type { VmSpec } from "../lib/model/config/model";
import type { TextValue } from "../lib/model/render/terraform-text";

/** One VM of a stack, whatever hypervisor runs it (a construct: what belongs to the VM is added under it). */
export interface LabMachine extends IConstruct {
  readonly spec: VmSpec;
  /** Terraform id of the resource whose replacement means a freshly started VM (its role files must be installed again). */
  readonly runningId: string;
  /** Where the project's ssh pins the VM's host keys (project-relative), and what says a new VM has new ones. */
  readonly hostKeys: MachineHostKeys;
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
}

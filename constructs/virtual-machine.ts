import { Construct } from "constructs";
import type { TimeoutSpec, VmSpec } from "../lib/model/config/model";
import type { SeedDocuments } from "../lib/model/render/seed";
import type { VmxOptions } from "../lib/model/render/vmx";
import { BaseImage } from "./base-image";
import { SeedIso } from "./seed-iso";
import { VmDisk } from "./vm-disk";
import type { LabMachine, MachineHostKeys } from "./machine-set";
import { consoleLogFile, knownHostsFile } from "../lib/model/config/vm-files";
import { VmPower } from "./vm-power";
import { VmxFile } from "./vmx-file";
import { StepCheck } from "./step-check";

export interface VirtualMachineProps {
  readonly vm: VmSpec;
  readonly baseImage: BaseImage;
  /** The VM's cloud-init documents, carried by its seed ISO. */
  readonly documents: SeedDocuments;
  /** Project-relative folder that holds every VM folder; nothing outside it is ever removed. */
  readonly vmsDir: string;
  /** What the .vmx says of the hardware (architecture, hardware version, NIC type, vmnet). */
  readonly hardware: VmxOptions;
  /** Networks (CIDR) in which the guest's reported IP is accepted, most wanted first. */
  readonly ipNetworks: readonly string[];
  /** The deadlines of the VM's steps. */
  readonly timeouts: Pick<TimeoutSpec, "diskSeconds" | "vmrunSeconds" | "ipWaitSeconds">;
  /** Addresses never taken as the guest's IP (the VIPs); may be Terraform expressions. @default [] */
  readonly ipExclude?: readonly string[];
  /** The stack's step check, which has this VM's disk, seed and power steps. @default the steps are not checked */
  readonly stepCheck?: StepCheck;
}

/**
 * One VM, from nothing to running: disk -> seed ISO and VMX -> power. Its address comes from the
 * stack's one GuestIpLookup, which answers for every VM. Child ids (`disk`, `seed`, `vmx`, `power`,
 * and `config` which the stack adds once every address is known) are a contract: renaming one
 * replaces the VM.
 */
export class VirtualMachine extends Construct implements LabMachine {
  public readonly spec: VmSpec;
  public readonly disk: VmDisk;
  public readonly seed: SeedIso;
  public readonly vmx: VmxFile;
  public readonly power: VmPower;
  /** Networks (CIDR) in which the guest's reported IP is accepted, most wanted first. */
  public readonly ipNetworks: readonly string[];

  /** Pinned in the VM's folder, from its console; the folder goes with the VM. */
  get hostKeys(): MachineHostKeys {
    return { knownHostsFile: knownHostsFile(this.spec), consoleLog: consoleLogFile(this.spec) };
  }

  /** Fusion's VMs have their .vmx on this machine. */
  get vmxPath(): string {
    return this.spec.vmxPath;
  }

  /** A replaced power resource is a freshly started VM. */
  get runningId(): string {
    return this.power.resource.id;
  }

  constructor(scope: Construct, id: string, props: VirtualMachineProps) {
    super(scope, id);
    const { vm, timeouts } = props;
    this.spec = vm;
    const step = (name: "disk" | "seed" | "power") =>
      props.stepCheck ? { step: props.stepCheck.hook(vm, name) } : {};
    this.disk = new VmDisk(this, "disk", {
      vm,
      baseImage: props.baseImage,
      vmsDir: props.vmsDir,
      timeoutSeconds: timeouts.diskSeconds,
      vmrunTimeoutSeconds: timeouts.vmrunSeconds,
      ...step("disk"),
    });
    this.seed = new SeedIso(this, "seed", {
      disk: this.disk,
      documents: props.documents,
      vmsDir: props.vmsDir,
      ...step("seed"),
    });
    this.vmx = new VmxFile(this, "vmx", { vm, ...props.hardware });
    const networks = props.ipNetworks;
    if (networks.length === 0)
      throw new Error(
        `ipNetworks of ${vm.name} is empty; give the CIDR of the network whose address the inventory should record`,
      );
    this.ipNetworks = networks;
    const exclude = props.ipExclude ?? [];
    this.power = new VmPower(this, "power", {
      disk: this.disk,
      seed: this.seed,
      vmx: this.vmx,
      vmsDir: props.vmsDir,
      ipNetworks: networks,
      ipExclude: exclude,
      ipWaitSeconds: timeouts.ipWaitSeconds,
      vmrunTimeoutSeconds: timeouts.vmrunSeconds,
      ...step("power"),
    });
  }
}

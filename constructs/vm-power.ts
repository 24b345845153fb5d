import { Construct } from "constructs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { VmSpec } from "../lib/model/config/model";
import { VM_START, VM_STOP } from "../lib/model/entry/contracts";
import { lastIpFile } from "../lib/model/config/vm-files";
import { ProjectLayout, selfTrigger } from "./project-layout";
import { SeedIso } from "./seed-iso";
import { VmDisk } from "./vm-disk";
import { VmxFile } from "./vmx-file";
import { StepHook, stepEnvironment, stepLifecycle } from "./step-check";

export interface VmPowerProps {
  readonly disk: VmDisk;
  readonly seed: SeedIso;
  readonly vmx: VmxFile;
  readonly vmsDir: string;
  /** Networks (CIDR) in which the guest's reported IP is accepted, most wanted first. */
  readonly ipNetworks: readonly string[];
  /** Addresses never taken as the guest's own (the VIPs); may be Terraform expressions. */
  readonly ipExclude: readonly string[];
  /** How long start waits for the guest to report its IP, in seconds. @default VM_START's IP_WAIT_SECONDS (900) */
  readonly ipWaitSeconds?: number;
  /** Deadline for each vmrun call, in seconds. @default DEFAULT_VMRUN_TIMEOUT_SECONDS (120) */
  readonly vmrunTimeoutSeconds?: number;
  /** This step's hook in the stack's StepCheck: its result is checked at every plan, and made again when missing. @default not checked */
  readonly step?: StepHook;
}

/**
 * The VM running. Create installs the rendered `.vmx` into the VM folder, starts the VM headless
 * and waits for its IP; destroy stops it. A changed `.vmx` or seed replaces only this resource, so
 * the VM restarts with the new settings and keeps its disk.
 */
export class VmPower extends Construct {
  public readonly resource: Resource;
  public readonly vm: VmSpec;

  constructor(scope: Construct, id: string, props: VmPowerProps) {
    super(scope, id);
    const vm = props.disk.vm;
    this.vm = vm;
    if (props.ipNetworks.length === 0)
      throw new Error(
        `ipNetworks of ${vm.name} is empty; give the CIDR of the network whose address the inventory should record`,
      );
    this.resource = new Resource(this, "power", {
      triggers: {
        vm_name: vm.name,
        vms_dir: props.vmsDir,
        vmx_path: vm.vmxPath,
        disk_path: vm.diskPath,
        vmx_source: props.vmx.path,
        vmx_sha256: props.vmx.file.contentSha256,
        seed: props.seed.resource.id,
        disk: props.disk.resource.id,
      },
      lifecycle: stepLifecycle(props.step),
      provisioners: [
        ProjectLayout.of(this).localExec(VM_START, {
          VM_NAME: selfTrigger("vm_name"),
          VMS_DIR: selfTrigger("vms_dir"),
          VMX_PATH: selfTrigger("vmx_path"),
          VMX_SOURCE: selfTrigger("vmx_source"),
          DISK_PATH: selfTrigger("disk_path"),
          DISK_SIZE_GB: vm.diskGb,
          IP_NETWORKS: props.ipNetworks.join(","),
          IP_EXCLUDE: props.ipExclude.join(","),
          IP_WAIT_SECONDS: props.ipWaitSeconds,
          LAST_IP_FILE: lastIpFile(vm),
          SEED_ISO_PATH: vm.seedIsoPath,
          VMRUN_TIMEOUT_SECONDS: props.vmrunTimeoutSeconds,
          ...stepEnvironment(props.step),
        }),
        ProjectLayout.of(this).localExec(
          VM_STOP,
          {
            VM_NAME: selfTrigger("vm_name"),
            VMS_DIR: selfTrigger("vms_dir"),
            VMX_PATH: selfTrigger("vmx_path"),
            VMRUN_TIMEOUT_SECONDS: props.vmrunTimeoutSeconds,
          },
          "destroy",
        ),
      ],
    });
  }
}

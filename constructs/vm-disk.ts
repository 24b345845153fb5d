import { Construct } from "constructs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { VmSpec } from "../lib/config/model";
import { BaseImage } from "./base-image";
import { ProjectLayout, selfTrigger } from "./project-layout";

export interface VmDiskProps {
  readonly vm: VmSpec;
  readonly baseImage: BaseImage;
  /** Project-relative folder that holds every VM folder; nothing outside it is ever removed. */
  readonly vmsDir: string;
  readonly layout: ProjectLayout;
  /** Deadline for the clone, in seconds. @default 900 */
  readonly timeoutSeconds?: number;
  /** Deadline for each vmrun call when the VM is destroyed. @default 120 */
  readonly vmrunTimeoutSeconds?: number;
}

/**
 * The VM's disk, and so the VM's life: created by cloning the base image into a `.vmdk` of the
 * configured size, and at destroy the VM is stopped, deleted from Fusion and its folder removed.
 * Its triggers are only what defines the disk (name, paths, size), so a change of cloud-init,
 * CPU or memory never re-clones it, and nor does a refreshed base image.
 */
export class VmDisk extends Construct {
  public readonly resource: Resource;
  public readonly vm: VmSpec;

  constructor(scope: Construct, id: string, props: VmDiskProps) {
    super(scope, id);
    const { vm } = props;
    if (!vm.diskPath.startsWith(`${props.vmsDir}/`) || !vm.vmDir.startsWith(`${props.vmsDir}/`)) {
      throw new Error(`the disk of ${vm.name} (${vm.diskPath}) must lie inside vmsDir ${props.vmsDir}; build VmSpecs with buildClusterModel`);
    }
    this.vm = vm;
    // Tuning knobs are literals, not triggers: changing a timeout must never replace (destroy) a VM.
    const vmrunTimeout = String(props.vmrunTimeoutSeconds ?? 120);
    this.resource = new Resource(this, "disk", {
      triggers: {
        vm_name: vm.name,
        vms_dir: props.vmsDir,
        vm_dir: vm.vmDir,
        vmx_path: vm.vmxPath,
        disk_path: vm.diskPath,
        disk_size_gb: String(vm.diskGb),
        base_image: props.baseImage.path,
      },
      dependsOn: [props.baseImage.resource],
      provisioners: [
        props.layout.localExec("disk-clone", {
          VM_NAME: selfTrigger("vm_name"),
          VMS_DIR: selfTrigger("vms_dir"),
          BASE_IMAGE: selfTrigger("base_image"),
          DISK_PATH: selfTrigger("disk_path"),
          DISK_SIZE_GB: selfTrigger("disk_size_gb"),
          DISK_TIMEOUT_SECONDS: String(props.timeoutSeconds ?? 900),
        }),
        props.layout.localExec(
          "vm-destroy",
          {
            VM_NAME: selfTrigger("vm_name"),
            VMS_DIR: selfTrigger("vms_dir"),
            VM_DIR: selfTrigger("vm_dir"),
            VMX_PATH: selfTrigger("vmx_path"),
            VMRUN_TIMEOUT_SECONDS: vmrunTimeout,
          },
          "destroy",
        ),
      ],
    });
  }
}

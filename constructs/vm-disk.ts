import { Construct } from "constructs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { VmSpec } from "../lib/model/config/model";
import { DISK_CLONE, VM_DESTROY } from "../lib/model/entry/contracts";
import { BaseImage } from "./base-image";
import { ProjectLayout, selfTrigger } from "./project-layout";
import { StepHook, stepEnvironment, stepLifecycle } from "./step-check";

export interface VmDiskProps {
  readonly vm: VmSpec;
  readonly baseImage: BaseImage;
  /** Project-relative folder that holds every VM folder; nothing outside it is ever removed. */
  readonly vmsDir: string;
  /** Deadline for the clone, in seconds. @default DISK_CLONE's DISK_TIMEOUT_SECONDS (900) */
  readonly timeoutSeconds?: number;
  /** Deadline for each vmrun call when the VM is destroyed. @default DEFAULT_VMRUN_TIMEOUT_SECONDS (120) */
  readonly vmrunTimeoutSeconds?: number;
  /** This step's hook in the stack's StepCheck: its result is checked at every plan, and made again when missing. @default not checked */
  readonly step?: StepHook;
}

/**
 * The VM's disk, and so the VM's life: created by cloning the base image into a `.vmdk` of the
 * configured size, and at destroy the VM is stopped, deleted from Fusion and its folder removed.
 * Its triggers are only the VM's identity (name, paths), so no config edit ever replaces it: not
 * cloud-init, CPU or memory, not a refreshed base image, and not `diskGb` either, which sizes new
 * disks only (replacing a disk would delete the VM's data; `vm-start` warns about the mismatch).
 */
export class VmDisk extends Construct {
  public readonly resource: Resource;
  public readonly vm: VmSpec;

  constructor(scope: Construct, id: string, props: VmDiskProps) {
    super(scope, id);
    const { vm } = props;
    if (!vm.diskPath.startsWith(`${props.vmsDir}/`) || !vm.vmDir.startsWith(`${props.vmsDir}/`)) {
      throw new Error(
        `the disk of ${vm.name} (${vm.diskPath}) must lie inside vmsDir ${props.vmsDir}; build VmSpecs with buildClusterModel`,
      );
    }
    this.vm = vm;
    // Tuning knobs are literals, not triggers: changing a timeout must never replace (destroy) a VM.
    this.resource = new Resource(this, "disk", {
      triggers: {
        vm_name: vm.name,
        vms_dir: props.vmsDir,
        vm_dir: vm.vmDir,
        vmx_path: vm.vmxPath,
        disk_path: vm.diskPath,
        base_image: props.baseImage.path,
      },
      dependsOn: [props.baseImage.resource],
      // A missing disk (an interrupted clone) is cloned again; a disk that is there is never re-made.
      lifecycle: stepLifecycle(props.step),
      provisioners: [
        ProjectLayout.of(this).localExec(DISK_CLONE, {
          VM_NAME: selfTrigger("vm_name"),
          VMS_DIR: selfTrigger("vms_dir"),
          BASE_IMAGE: selfTrigger("base_image"),
          DISK_PATH: selfTrigger("disk_path"),
          DISK_SIZE_GB: vm.diskGb,
          DISK_TIMEOUT_SECONDS: props.timeoutSeconds,
          IMAGE_SOURCE: props.baseImage.spec.url,
          IMAGE_PATH: selfTrigger("base_image"),
          IMAGE_SHA256: props.baseImage.spec.sha256 ?? "",
          IMAGE_CHECKSUMS_URL: props.baseImage.spec.checksumsUrl ?? "",
          DOWNLOAD_TIMEOUT_SECONDS: props.baseImage.downloadTimeoutSeconds,
          ...stepEnvironment(props.step),
        }),
        ProjectLayout.of(this).localExec(
          VM_DESTROY,
          {
            VM_NAME: selfTrigger("vm_name"),
            VMS_DIR: selfTrigger("vms_dir"),
            VM_DIR: selfTrigger("vm_dir"),
            VMX_PATH: selfTrigger("vmx_path"),
            VMRUN_TIMEOUT_SECONDS: props.vmrunTimeoutSeconds,
          },
          "destroy",
        ),
      ],
    });
  }
}

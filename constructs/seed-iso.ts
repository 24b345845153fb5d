import { Construct } from "constructs";
import { Fn } from "cdktf";
import { File } from "@cdktf/provider-local/lib/file";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { VmSpec } from "../lib/model/config/model";
import { SEED_ISO } from "../lib/model/entry/contracts";
import type { SeedDocuments } from "../lib/model/render/seed";
import { ProjectLayout, selfTrigger } from "./project-layout";
import { VmDisk } from "./vm-disk";
import { StepHook, stepEnvironment, stepLifecycle } from "./step-check";

export interface SeedIsoProps {
  readonly disk: VmDisk;
  /** The VM's cloud-init documents (lib/model/render/seed.ts). */
  readonly documents: SeedDocuments;
  /** Project-relative folder that holds every VM folder; the ISO is made inside the VM's. */
  readonly vmsDir: string;
  /** Deadline for building the ISO, in seconds. @default SEED_ISO's ISO_TIMEOUT_SECONDS (120) */
  readonly timeoutSeconds?: number;
  /** This step's hook in the stack's StepCheck: its result is checked at every plan, and made again when missing. @default not checked */
  readonly step?: StepHook;
}

/**
 * The cloud-init NoCloud seed: `user-data`, `meta-data` and `network-config` rendered at synth into
 * `generated/<name>/seed/` (visible and diffable in the plan), then packed into an ISO labelled
 * `cidata` in the VM folder. The instance-id follows the content, so a changed seed is applied as
 * a new instance at the next boot.
 */
export class SeedIso extends Construct {
  public readonly resource: Resource;
  public readonly userData: File;
  public readonly metaData: File;
  public readonly networkConfig: File;
  /** Project-relative folder holding the three source files. */
  public readonly sourceDir: string;

  constructor(scope: Construct, id: string, props: SeedIsoProps) {
    super(scope, id);
    const vm: VmSpec = props.disk.vm;
    this.sourceDir = `${vm.generatedDir}/seed`;
    const file = (fileId: string, name: string, content: string) =>
      new File(this, fileId, {
        filename: ProjectLayout.of(this).fromStackDir(`${this.sourceDir}/${name}`),
        content,
        filePermission: "0644",
        directoryPermission: "0755",
      });
    this.userData = file("user_data", "user-data", props.documents.userData);
    this.networkConfig = file("network_config", "network-config", props.documents.networkConfig);
    const contentHash = Fn.substr(
      Fn.sha256(Fn.join("", [this.userData.contentSha256, this.networkConfig.contentSha256])),
      0,
      12,
    );
    this.metaData = file("meta_data", "meta-data", props.documents.metaData(`${vm.name}-${contentHash}`));

    this.resource = new Resource(this, "iso", {
      triggers: {
        vm_name: vm.name,
        vms_dir: props.vmsDir,
        seed_dir: this.sourceDir,
        iso_path: vm.seedIsoPath,
        user_data: this.userData.contentSha256,
        meta_data: this.metaData.contentSha256,
        network_config: this.networkConfig.contentSha256,
        // A re-cloned disk means a new VM folder: the ISO inside it must be made again.
        disk: props.disk.resource.id,
      },
      lifecycle: stepLifecycle(props.step),
      provisioners: [
        ProjectLayout.of(this).localExec(SEED_ISO, {
          VM_NAME: selfTrigger("vm_name"),
          VMS_DIR: selfTrigger("vms_dir"),
          SEED_DIR: selfTrigger("seed_dir"),
          ISO_PATH: selfTrigger("iso_path"),
          ISO_TIMEOUT_SECONDS: props.timeoutSeconds,
          ...stepEnvironment(props.step),
        }),
      ],
    });
  }
}

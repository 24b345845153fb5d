import { Construct } from "constructs";
import { File } from "@cdktf/provider-local/lib/file";
import { Arch, VmSpec } from "../lib/model/config/model";
import { renderVmx } from "../lib/model/render/vmx";
import { ProjectLayout } from "./project-layout";

export interface VmxFileProps {
  readonly vm: VmSpec;
  readonly arch: Arch;
  readonly natVmnet: string;
  /** @default 21 */
  readonly virtualHwVersion?: number;
  /** @default "vmxnet3" */
  readonly nicType?: "vmxnet3" | "e1000e";
}

/**
 * The VM's desired `.vmx`, rendered at synth into `generated/<name>/<name>.vmx`. Fusion rewrites
 * the copy inside the VM folder while it runs, so the desired one lives apart (stable plans) and
 * `vm-start` installs it into the VM folder.
 */
export class VmxFile extends Construct {
  public readonly file: File;
  /** Project-relative path of the rendered file. */
  public readonly path: string;
  public readonly content: string;

  constructor(scope: Construct, id: string, props: VmxFileProps) {
    super(scope, id);
    this.path = `${props.vm.generatedDir}/${props.vm.name}.vmx`;
    this.content = renderVmx(props.vm, {
      arch: props.arch,
      virtualHwVersion: props.virtualHwVersion ?? 21,
      nicType: props.nicType ?? "vmxnet3",
      natVmnet: props.natVmnet,
    });
    this.file = new File(this, "vmx", {
      filename: ProjectLayout.of(this).fromStackDir(this.path),
      content: this.content,
      filePermission: "0644",
      directoryPermission: "0755",
    });
  }
}

import { Construct } from "constructs";
import { File } from "@cdktf/provider-local/lib/file";
import { inventoryVariable } from "../lib/model/config/build-model";
import { formatInventory } from "../lib/model/inventory/env-file";
import type { MachineSet } from "./machine-set";
import { ProjectLayout } from "./project-layout";

export interface InventoryProps {
  /** The stack's VMs and their addresses. */
  readonly machines: MachineSet;
  /** Project-relative path of the env file. @default "vm-ips.env" */
  readonly path?: string;
  /** Extra fixed entries, e.g. the APT cache's configured address. @default {} */
  readonly fixed?: Readonly<Record<string, string>>;
}

/** `vm-ips.env`: one `NAME_IP=<address>` line per VM (`K8S_MASTER1_IP=10.10.0.131`), for scripts and people. */
export class Inventory extends Construct {
  public readonly file: File;
  /** Project-relative path of the file. */
  public readonly path: string;

  constructor(scope: Construct, id: string, props: InventoryProps) {
    super(scope, id);
    this.path = props.path ?? "vm-ips.env";
    const set = props.machines;
    if (set.machines.length === 0) throw new Error("an inventory needs at least one VM");
    const content = formatInventory([
      ...Object.entries(props.fixed ?? {}),
      ...set.machines.map((m) => [inventoryVariable(m.spec), set.ipOf(m.spec.name)] as const),
    ]);
    this.file = new File(this, "file", {
      filename: ProjectLayout.of(this).fromStackDir(this.path),
      content,
      filePermission: "0644",
      ...(set.addressSource !== undefined ? { dependsOn: [set.addressSource] } : {}),
    });
  }
}

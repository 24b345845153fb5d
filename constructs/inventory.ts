import { Construct } from "constructs";
import { File } from "@cdktf/provider-local/lib/file";
import { inventoryVariable } from "../lib/model/config/build-model";
import { formatInventory } from "../lib/model/inventory/env-file";
import { GuestIpLookup } from "./guest-ip-lookup";
import { ProjectLayout } from "./project-layout";
import { VirtualMachine } from "./virtual-machine";

export interface InventoryProps {
  readonly machines: readonly VirtualMachine[];
  /** The stack's IP lookup, which answers for every one of `machines`. */
  readonly lookup: GuestIpLookup;
  /** Project-relative path of the env file. @default "vm-ips.env" */
  readonly path?: string;
  /** Extra fixed entries, e.g. the APT cache's configured address. @default {} */
  readonly fixed?: Readonly<Record<string, string>>;
  readonly layout: ProjectLayout;
}

/** `vm-ips.env`: one `NAME_IP=<address>` line per VM (`K8S_MASTER1_IP=10.10.0.131`), for scripts and people. */
export class Inventory extends Construct {
  public readonly file: File;
  /** Project-relative path of the file. */
  public readonly path: string;

  constructor(scope: Construct, id: string, props: InventoryProps) {
    super(scope, id);
    this.path = props.path ?? "vm-ips.env";
    if (props.machines.length === 0) throw new Error("an inventory needs at least one VM");
    const content = formatInventory([
      ...Object.entries(props.fixed ?? {}),
      ...props.machines.map((m) => [inventoryVariable(m.spec), props.lookup.ipOf(m.spec.name)] as const),
    ]);
    this.file = new File(this, "file", {
      filename: props.layout.fromStackDir(this.path),
      content,
      filePermission: "0644",
      dependsOn: [props.lookup.data],
    });
  }
}

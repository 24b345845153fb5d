import { Construct } from "constructs";
import { Token } from "cdktf";
import { DataExternal } from "@cdktf/provider-external/lib/data-external";
import { encodeLookupVms, GUEST_IP, lookupResultKey } from "../lib/model/entry/contracts";
import { lastIpFile } from "../lib/model/config/vm-files";
import { ProjectLayout } from "./project-layout";
import { VirtualMachine } from "./virtual-machine";

export interface GuestIpLookupProps {
  /** The stack's VMs; each answers for itself under `<vm>_ip`. */
  readonly machines: readonly VirtualMachine[];
  /** Project-relative folder of all VM folders; the lookup refuses a .vmx outside it. */
  readonly vmsDir: string;
  /** Addresses never taken as a guest's own (the VIPs); may be Terraform expressions. @default [] */
  readonly exclude?: readonly string[];
  /** Budget for each running VM, in seconds (they are asked at once); an off or missing VM answers at once. @default GUEST_IP's timeout_seconds (20) */
  readonly timeoutSeconds?: number;
}

/**
 * Every guest's IP as VMware Tools reports it, for all VMs of a stack in one `external` data source:
 * one process and one `vmrun list` per plan, whatever the number of VMs, with the running VMs asked
 * (`getGuestIPAddress -wait` under a deadline) at once. Read at every plan and refresh, so it never
 * hangs or fails them: an off or deleted VM answers at once (an off one with its last known address),
 * and a running one that has no address yet answers `""` when the budget runs out. (Start already
 * waited for the IP, and fails the apply honestly when none comes.)
 */
export class GuestIpLookup extends Construct {
  public readonly data: DataExternal;
  private readonly names: ReadonlySet<string>;

  constructor(scope: Construct, id: string, props: GuestIpLookupProps) {
    super(scope, id);
    if (props.machines.length === 0) throw new Error("an IP lookup needs at least one VM");
    for (const m of props.machines) {
      if (m.ipNetworks.length === 0)
        throw new Error(
          `networks of the IP lookup for ${m.spec.name} is empty; give at least the vmnet's CIDR`,
        );
    }
    this.names = new Set(props.machines.map((m) => m.spec.name));
    if (this.names.size !== props.machines.length)
      throw new Error("a VM is listed twice in the IP lookup; give each VM once");
    this.data = new DataExternal(this, "lookup", {
      program: ProjectLayout.of(this).externalProgram(GUEST_IP.entry),
      query: GUEST_IP.environment({
        vms_dir: props.vmsDir,
        vms: encodeLookupVms(
          props.machines.map((m) => ({
            name: m.spec.name,
            vmx_path: m.spec.vmxPath,
            networks: m.ipNetworks,
            last_ip_file: lastIpFile(m.spec),
          })),
        ),
        exclude: (props.exclude ?? []).join(","),
        timeout_seconds: props.timeoutSeconds,
      }),
      dependsOn: props.machines.map((m) => m.power.resource),
    });
  }

  /** The address `vm` reports, `""` while unknown (a Terraform reference). */
  ipOf(vm: string): string {
    return Token.asString(this.data.result.lookup(this.key(vm)));
  }

  /** The same address as a bare HCL expression, for text rendered with Terraform references. */
  ipExpressionOf(vm: string): string {
    return `data.external.${this.data.friendlyUniqueId}.result[${JSON.stringify(this.key(vm))}]`;
  }

  private key(vm: string): string {
    if (!this.names.has(vm))
      throw new Error(`${vm} is not one of this lookup's VMs (${[...this.names].join(", ")})`);
    return lookupResultKey(vm, "ip");
  }
}

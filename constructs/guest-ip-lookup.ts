import { Construct } from "constructs";
import { Token } from "cdktf";
import { DataExternal } from "@cdktf/provider-external/lib/data-external";
import { ProjectLayout } from "./project-layout";
import { lastIpFile } from "../lib/config/vm-files";
import { VmPower } from "./vm-power";

export interface GuestIpLookupProps {
  readonly power: VmPower;
  readonly layout: ProjectLayout;
  /** Project-relative folder of all VM folders; the lookup refuses a .vmx outside it. */
  readonly vmsDir: string;
  /** Networks (CIDR) in which an answer is accepted, most wanted first. */
  readonly networks: readonly string[];
  /** Addresses never taken as the guest's own (the VIPs); may be Terraform expressions. */
  readonly exclude: readonly string[];
  /** Budget for a running VM, in seconds; an off or missing VM answers at once. @default 20 */
  readonly timeoutSeconds?: number;
}

/**
 * The guest's IP as VMware Tools reports it (`vmrun getGuestIPAddress -wait` under a deadline).
 * Read at every plan and refresh, so it must never hang or fail them: an off or deleted VM answers
 * `ip = ""` at once, and a running one that has no address yet answers `""` when the budget runs out.
 * (Start already waited for the IP, and fails the apply honestly when none comes.)
 */
export class GuestIpLookup extends Construct {
  public readonly data: DataExternal;
  /** The discovered address, `""` while unknown. */
  public readonly ip: string;
  /** The same address as a bare HCL expression, for text rendered with Terraform references. */
  public readonly ipExpression: string;

  constructor(scope: Construct, id: string, props: GuestIpLookupProps) {
    super(scope, id);
    const vm = props.power.vm;
    if (props.networks.length === 0)
      throw new Error(`networks of the IP lookup for ${vm.name} is empty; give at least the vmnet's CIDR`);
    this.data = new DataExternal(this, "ip", {
      program: props.layout.externalProgram("guest-ip"),
      query: {
        vm_name: vm.name,
        vms_dir: props.vmsDir,
        vmx_path: vm.vmxPath,
        networks: props.networks.join(","),
        exclude: props.exclude.join(","),
        timeout_seconds: String(props.timeoutSeconds ?? 20),
        last_ip_file: lastIpFile(vm),
      },
      dependsOn: [props.power.resource],
    });
    this.ip = Token.asString(this.data.result.lookup("ip"));
    this.ipExpression = `data.external.${this.data.friendlyUniqueId}.result.ip`;
  }
}

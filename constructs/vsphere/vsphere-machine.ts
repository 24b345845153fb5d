import { Construct } from "constructs";
import { Fn, TerraformLocal } from "cdktf";
import { VirtualMachine as VsphereVm } from "@cdktf/provider-vsphere/lib/virtual-machine";
import type { VmSpec } from "../../lib/model/config/model";
import type { SeedDocuments } from "../../lib/model/render/seed";
import type { LabMachine, MachineHostKeys } from "../machine-set";
import { knownHostsFile } from "../../lib/model/config/vm-files";
import type { VsphereSite } from "./vsphere-site";

export interface VsphereMachineProps {
  readonly vm: VmSpec;
  readonly site: VsphereSite;
  /** The VM's cloud-init documents: the same user-data and network-config the Fusion seed ISO carries. */
  readonly documents: SeedDocuments;
}

/** extra_config keys cloud-init's VMware datasource reads (cloud-init 21.3 and later). */
const GUESTINFO_ENCODING = "gzip+base64";

/**
 * One VM on vSphere: a clone of the site's template with the VM's vCPUs, memory and disk (never smaller
 * than the template's), one vmxnet3 NIC per network with the model's static MAC (VMware's manual range,
 * which vCenter accepts), and cloud-init's seed in guestinfo: `guestinfo.userdata` and
 * `guestinfo.metadata` (instance-id, hostname and the netplan network config by MAC), gzip+base64. The
 * rendered documents are Terraform locals, so the plan shows them. The instance id follows their content,
 * so a changed seed is applied as a new instance at the next boot, as on Fusion. The guest's address is
 * the configured one (static addressing): nothing waits for VMware Tools to report it.
 */
export class VsphereMachine extends Construct implements LabMachine {
  public readonly spec: VmSpec;
  public readonly vm: VsphereVm;

  constructor(scope: Construct, id: string, props: VsphereMachineProps) {
    super(scope, id);
    const { vm, site, documents } = props;
    this.spec = vm;
    const userData = new TerraformLocal(this, "user_data", documents.userData);
    const networkConfig = new TerraformLocal(this, "network_config", documents.networkConfig);
    const contentHash = Fn.substr(Fn.sha256(Fn.join("", [userData.asString, networkConfig.asString])), 0, 12);
    const metadata = new TerraformLocal(
      this,
      "metadata",
      documents.guestinfoMetadata(`${vm.name}-${contentHash}`, `local.${networkConfig.friendlyUniqueId}`),
    );
    const template = site.template;
    this.vm = new VsphereVm(this, "vm", {
      name: vm.name,
      folder: site.folder,
      resourcePoolId: site.resourcePoolId,
      datastoreId: site.datastoreId,
      numCpus: vm.cpus,
      memory: vm.memoryMb,
      guestId: template.guestId,
      firmware: template.firmware,
      scsiType: template.scsiType,
      networkInterface: vm.nics.map((nic) => ({
        networkId: site.networkId(nic.network),
        adapterType: "vmxnet3",
        useStaticMac: true,
        macAddress: nic.mac,
      })),
      disk: [
        {
          label: "disk0",
          size: Fn.max([vm.diskGb, template.disks.get(0).size]),
          thinProvisioned: site.diskProvisioning === "thin",
        },
      ],
      clone: { templateUuid: template.id },
      extraConfig: {
        "guestinfo.metadata": Fn.base64gzip(metadata.asString),
        "guestinfo.metadata.encoding": GUESTINFO_ENCODING,
        "guestinfo.userdata": Fn.base64gzip(userData.asString),
        "guestinfo.userdata.encoding": GUESTINFO_ENCODING,
      },
      // Static addressing: the address is known; guest-config waits for SSH itself.
      waitForGuestNetTimeout: 0,
      waitForGuestIpTimeout: 0,
    });
  }

  /**
   * Pinned beside the VM's generated files at first use (no console reaches this machine); a new clone
   * has new keys, so the clone's id is the pins' epoch.
   */
  get hostKeys(): MachineHostKeys {
    const file = knownHostsFile(this.spec, "vsphere");
    return { knownHostsFile: file, consoleLog: `${this.spec.generatedDir}/no-console`, epoch: this.vm.id };
  }

  /** A replaced clone is a freshly started VM. */
  get runningId(): string {
    return this.vm.id;
  }
}

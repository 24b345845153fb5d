import { Construct } from "constructs";
import { DataVsphereComputeCluster } from "@cdktf/provider-vsphere/lib/data-vsphere-compute-cluster";
import { DataVsphereDatacenter } from "@cdktf/provider-vsphere/lib/data-vsphere-datacenter";
import { DataVsphereDatastore } from "@cdktf/provider-vsphere/lib/data-vsphere-datastore";
import { DataVsphereHost } from "@cdktf/provider-vsphere/lib/data-vsphere-host";
import { DataVsphereNetwork } from "@cdktf/provider-vsphere/lib/data-vsphere-network";
import { DataVsphereResourcePool } from "@cdktf/provider-vsphere/lib/data-vsphere-resource-pool";
import { DataVsphereVirtualMachine } from "@cdktf/provider-vsphere/lib/data-vsphere-virtual-machine";
import type { NicNetwork, VsphereSpec } from "../../lib/model/config/model";

export interface VsphereSiteProps {
  /** Where in vCenter the lab lands. */
  readonly site: VsphereSpec;
}

/**
 * What the lab's VMs are placed on, looked up by name at plan time (a missing datacenter, cluster,
 * datastore, port group or template fails the plan before anything is created, naming it): the
 * datacenter, the resource pool (the cluster's or host's root pool, or the one named), the datastore,
 * the two port groups and the template VM whose guest id, firmware, SCSI type and disk the clones keep.
 */
export class VsphereSite extends Construct {
  public readonly datacenterId: string;
  public readonly resourcePoolId: string;
  public readonly datastoreId: string;
  public readonly template: DataVsphereVirtualMachine;
  public readonly folder: string;
  public readonly diskProvisioning: VsphereSpec["diskProvisioning"];
  private readonly networks: Record<NicNetwork, DataVsphereNetwork>;

  constructor(scope: Construct, id: string, props: VsphereSiteProps) {
    super(scope, id);
    const site = props.site;
    const datacenter = new DataVsphereDatacenter(this, "datacenter", { name: site.datacenter });
    const datacenterId = datacenter.id;
    this.datacenterId = datacenterId;
    this.resourcePoolId = this.resourcePool(site, datacenterId);
    this.datastoreId = new DataVsphereDatastore(this, "datastore", { name: site.datastore, datacenterId }).id;
    this.networks = {
      lan: new DataVsphereNetwork(this, "lan-network", { name: site.networks.lan, datacenterId }),
      nat: new DataVsphereNetwork(this, "internal-network", { name: site.networks.internal, datacenterId }),
    };
    this.template = new DataVsphereVirtualMachine(this, "template", { name: site.template, datacenterId });
    this.folder = site.folder;
    this.diskProvisioning = site.diskProvisioning;
  }

  /** The managed object id of the port group a NIC on `network` is connected to. */
  networkId(network: NicNetwork): string {
    return this.networks[network].id;
  }

  private resourcePool(site: VsphereSpec, datacenterId: string): string {
    if (site.resourcePool !== undefined)
      return new DataVsphereResourcePool(this, "resource-pool", { name: site.resourcePool, datacenterId }).id;
    if (site.cluster !== undefined)
      return new DataVsphereComputeCluster(this, "cluster", { name: site.cluster, datacenterId })
        .resourcePoolId;
    if (site.host !== undefined)
      return new DataVsphereHost(this, "host", { name: site.host, datacenterId }).resourcePoolId;
    throw new Error(
      "the vsphere block names neither a cluster nor a host; name one (the config check says so)",
    );
  }
}

import type { ConfigIssue } from "./errors";
import type { ClusterConfig } from "./schema";

/**
 * The target and its block agree: `target: vsphere` needs the vsphere block and static addressing (a
 * port group has no DHCP the lab can count on, and the lab learns no address from vCenter); the block
 * is refused on the fusion target, where nothing would read it.
 */
export function checkTarget(config: ClusterConfig, issues: ConfigIssue[]): void {
  if (config.target === "fusion") {
    if (config.vsphere !== undefined)
      issues.push({
        field: "vsphere",
        value: undefined,
        problem:
          "is read only with target: vsphere; set target: vsphere, or remove the block to stay on Fusion",
      });
    return;
  }
  if (config.vsphere === undefined)
    issues.push({
      field: "vsphere",
      value: undefined,
      problem:
        "is missing; target: vsphere needs a vsphere block (server, datacenter, cluster, datastore, folder, networks, template); see cluster.vsphere.example.yaml",
    });
  if (config.addressing !== "static")
    issues.push({
      field: "addressing",
      value: config.addressing,
      problem:
        "must be static with target: vsphere (a port group has no DHCP the lab can rely on); set addressing: static and give every VM an address on network.nat.subnet",
    });
}

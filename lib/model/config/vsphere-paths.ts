import type { VsphereSpec } from "./model";

/**
 * Where the lab's VMs sit in vCenter's inventory, as govc and the day-two commands name them. Terraform
 * places each clone by `folder` (relative to the datacenter's VM folder) and `name`; the same two values
 * give its inventory path `/<datacenter>/vm/<folder>/<name>`, so synthesis and runtime name one VM alike.
 * The schema keeps '/' out of every name, so no part can add a level.
 */

/** `/<datacenter>`. */
function vsphereDatacenterPath(site: Pick<VsphereSpec, "datacenter">): string {
  return `/${site.datacenter}`;
}

/** `/<datacenter>/vm/<folder>`: the VM folder every lab VM is cloned into. */
export function vsphereFolderPath(site: Pick<VsphereSpec, "datacenter" | "folder">): string {
  return `${vsphereDatacenterPath(site)}/vm/${site.folder}`;
}

/** `/<datacenter>/vm/<folder>/<name>`: a lab VM's inventory path, its locator for govc. */
export function vsphereVmPath(site: Pick<VsphereSpec, "datacenter" | "folder">, vmName: string): string {
  return `${vsphereFolderPath(site)}/${vmName}`;
}

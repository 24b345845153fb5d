import type { ClusterModel } from "../config/model";
import type { AddressOf } from "./gateway";
import { terraformTemplate as tf, type TextValue } from "./terraform-text";

/** Markers of the block the guest's applier replaces in `/etc/hosts`; the rest of the file is kept. */
export const HOSTS_BEGIN = "# BEGIN k8s-lab (written by guest-config; edits inside are replaced)";
export const HOSTS_END = "# END k8s-lab";

/**
 * The `/etc/hosts` block every cluster VM gets: each cluster VM by its vmnet address, the APT cache,
 * and the API name on the internal VIP. Terraform template text (addresses may be expressions).
 */
export function renderHostsBlock(model: ClusterModel, addressOf: AddressOf, internalVip: TextValue): string {
  const lines = [
    ...model.vms.map((vm) => tf`${addressOf(vm)} ${vm.name}\n`),
    tf`${model.aptCache.address} ${model.aptCache.vm.name}\n`,
    tf`${internalVip} ${model.network.apiHostname}\n`,
  ];
  return tf`${HOSTS_BEGIN}\n` + lines.join("") + tf`${HOSTS_END}\n`;
}

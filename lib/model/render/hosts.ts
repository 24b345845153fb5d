import type { ClusterModel } from "../config/model";
import type { AddressOf } from "./gateway";
import { type SeedTemplates, templateFile } from "./templates";
import type { TextValue } from "./terraform-text";
import { renderTextTemplate } from "./text-template";

const HOSTS_TEMPLATE = "hosts-block.mustache";

/** Markers of the block the guest's applier replaces in `/etc/hosts`; the rest of the file is kept. */
export const HOSTS_BEGIN = "# BEGIN k8s-lab (written by guest-config; edits inside are replaced)";
export const HOSTS_END = "# END k8s-lab";

/**
 * The `/etc/hosts` block every cluster VM gets: each cluster VM by its vmnet address, the APT cache,
 * and the API name on the internal VIP (templates/hosts-block.mustache). Terraform template text
 * (addresses may be expressions).
 */
export function renderHostsBlock(
  model: ClusterModel,
  addressOf: AddressOf,
  internalVip: TextValue,
  templates: SeedTemplates,
): string {
  return renderTextTemplate(HOSTS_TEMPLATE, templateFile(templates, HOSTS_TEMPLATE), {
    begin: HOSTS_BEGIN,
    end: HOSTS_END,
    hosts: [
      ...model.vms.map((vm) => ({ address: addressOf(vm), name: vm.name })),
      { address: model.aptCache.address, name: model.aptCache.vm.name },
      { address: internalVip, name: model.network.apiHostname },
    ],
  });
}

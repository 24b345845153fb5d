/**
 * `npm run render -- <vm>`: the files a deploy writes for one VM (its cloud-init seed, its .vmx and,
 * for a cluster VM, the role files guest-config installs), rendered by the same renderers the stacks
 * use, with the Terraform variables (as the stacks pass them) resolved to their defaults and the other VMs' addresses as the project
 * knows them (placeholders where none is known yet). Nothing is written unless asked.
 */
import { createHash } from "node:crypto";
import type { ClusterModel, VmSpec } from "../../model/config/model";
import { renderMetaData, renderNetworkConfig, renderUserData } from "../../model/render/cloud-init";
import { guestFilesFor } from "../../model/render/guest-files";
import type { SeedTemplates } from "../../model/render/templates";
import { resolveTerraformText } from "../../model/render/terraform-text";
import { GATEWAY_VARIABLES, seedVariablesOf, variableDefaults } from "../../model/render/variable-defaults";
import { renderVmx, vmxOptionsFor } from "../../model/render/vmx";
import type { KnownAddress } from "../common/vm-addresses";

/** One rendered file, named as under `generated/<vm>/`. */
export interface RenderedFile {
  readonly name: string;
  readonly content: string;
  /** Octal mode of the file (keepalived.conf holds the VRRP password). */
  readonly mode: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A placeholder for an address discovered only at deploy. */
const unknownAddress = (vm: string) => `<address of ${vm}: known after the deploy>`;

/**
 * The seed: user-data and network-config as rendered text, meta-data with the instance id the deploy
 * gives it (the VM's name and 12 hex digits of the other two files' SHA-256s: constructs/seed-iso.ts).
 */
function seedFiles(vm: VmSpec, model: ClusterModel, templates: SeedTemplates): RenderedFile[] {
  const vars = seedVariablesOf(vm);
  const resolve = (text: string) => resolveTerraformText(text, variableDefaults(model));
  const userData = resolve(renderUserData(vm, model, templates, vars));
  const networkConfig = resolve(renderNetworkConfig(vm, model, templates, vars));
  const instanceId = `${vm.name}-${sha256(sha256(userData) + sha256(networkConfig)).slice(0, 12)}`;
  const metaData = resolve(renderMetaData(vm, instanceId, templates));
  return [
    { name: "seed/user-data", content: userData, mode: "0644" },
    { name: "seed/meta-data", content: metaData, mode: "0644" },
    { name: "seed/network-config", content: networkConfig, mode: "0644" },
  ];
}

export function renderVmFiles(
  vm: VmSpec,
  model: ClusterModel,
  templates: SeedTemplates,
  addresses: ReadonlyMap<string, KnownAddress>,
): RenderedFile[] {
  const files = [
    ...seedFiles(vm, model, templates),
    // A vSphere VM is a clone of its template: no .vmx of the project's; the seed travels in guestinfo.
    ...(model.target === "fusion"
      ? [{ name: `${vm.name}.vmx`, content: renderVmx(vm, vmxOptionsFor(model)), mode: "0644" }]
      : []),
  ];
  if (vm.role === "apt-cache") return files;
  const addressOf = (other: { readonly name: string }) => ({
    literal: addresses.get(other.name)?.address ?? unknownAddress(other.name),
  });
  for (const file of guestFilesFor(vm, model, addressOf, GATEWAY_VARIABLES, templates)) {
    files.push({
      name: `guest/${file.name}`,
      content: resolveTerraformText(file.content, variableDefaults(model)),
      mode: file.mode ?? "0644",
    });
  }
  return files;
}

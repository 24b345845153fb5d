/** Terraform state files as the product's stacks leave them, for the tests that read them without Terraform. */

/** A state (format 4) whose null_resources carry these VMs' names in their triggers, as the stacks' do. */
export function stateNaming(names: readonly string[], vmsDir = "VMs/k8s_cluster"): string {
  return JSON.stringify({
    version: 4,
    terraform_version: "1.9.8",
    serial: 3,
    lineage: "fixture",
    outputs: {},
    resources: names.flatMap((vm_name) =>
      ["disk", "power"].map((r) => ({
        mode: "managed",
        type: "null_resource",
        name: `${vm_name.replace(/-/g, "_")}_${r}`,
        provider: 'provider["registry.terraform.io/hashicorp/null"]',
        instances: [{ schema_version: 0, attributes: { id: "1", triggers: { vm_name, vms_dir: vmsDir } } }],
      })),
    ),
  });
}

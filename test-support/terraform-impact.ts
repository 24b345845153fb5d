import type { TfJson } from "./synth";

/**
 * Which resources of a synthesized stack a change of `root` (e.g. `var.external_vip`) replaces or
 * rewrites, following references the way Terraform's plan would: a null_resource is replaced when a
 * trigger changes, a local_file when its content, name or mode changes, and whatever references an
 * affected resource's attributes (`null_resource.x.id`, `local_file.x.content_sha256`) is affected in
 * turn. `depends_on` orders but does not replace, and a data source's answer (a VM's IP) does not
 * change because its query did, so data sources stop the walk.
 */
const REPLACING_ATTRIBUTES: Record<string, readonly string[]> = {
  null_resource: ["triggers"],
  local_file: ["content", "filename", "file_permission", "directory_permission"],
};

function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

export function affectedBy(json: TfJson, root: string): Set<string> {
  const nodes: { address: string; text: string }[] = [];
  for (const [type, attributes] of Object.entries(REPLACING_ATTRIBUTES)) {
    for (const [name, body] of Object.entries((json.resource?.[type] ?? {}) as Record<string, TfJson>)) {
      nodes.push({
        address: `${type}.${name}`,
        text: attributes.flatMap((a) => stringsIn(body[a])).join("\n"),
      });
    }
  }
  const mentions = (text: string, ref: string) =>
    new RegExp(`(^|[^A-Za-z0-9_.-])${ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^A-Za-z0-9_-]|$)`).test(
      text,
    );
  const affected = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of nodes) {
      if (affected.has(node.address)) continue;
      if (mentions(node.text, root) || [...affected].some((a) => mentions(node.text, a))) {
        affected.add(node.address);
        grew = true;
      }
    }
  }
  return affected;
}

/** `local_file.gateway1_config_nginxconf_1A2B3C4D` -> `local_file.gateway1_config_nginxconf` (ids without cdktf's hash). */
export function withoutHash(address: string): string {
  return address.replace(/_[0-9A-F]{8}$/, "");
}

import Mustache from "mustache";
import { escapeTerraformText, type TemplatePart, templateTextOf } from "./terraform-text";

/**
 * Plain-text guest files (keepalived, nginx, the hosts block) are Mustache templates in templates/:
 * `{{name}}` inserts a value, `{{#list}}...{{/list}}` repeats a block per item (or keeps it when a value
 * is true), `{{^x}}` when it is empty or false. The output is Terraform template text: the template's
 * own text and every literal value are escaped (`${` -> `$${`, `%{` -> `%%{`), and a value that is a
 * Terraform expression becomes `${expression}`. Mustache's HTML escaping is off: these are config files.
 */

/** A value of the view: a text part, a flag, or a list/mapping of them. */
export type TextView = TemplatePart | boolean | readonly TextView[] | { readonly [key: string]: TextView };

/** Renders `source` (the template named `name`) with `view`; a name the view does not give is an error. */
export function renderTextTemplate(
  name: string,
  source: string,
  view: { readonly [key: string]: TextView },
): string {
  const missing = new Set<string>();
  checkNames(Mustache.parse(source) as Token[], [view], missing);
  if (missing.size > 0)
    throw new Error(
      `template ${name} uses ${[...missing].join(", ")}, which the renderer does not give: fix the template`,
    );
  return Mustache.render(
    escapeTerraformText(source),
    toMustacheView(view),
    {},
    { escape: (text: string) => text },
  );
}

type Token = [string, string, number, number, Token[]?];
type Context = { readonly [key: string]: TextView };

/** Every name a template uses must be in one of the contexts Mustache will look it up in (a block's item, then its parents). */
function checkNames(tokens: readonly Token[], contexts: readonly Context[], missing: Set<string>): void {
  const lookup = (key: string) => contexts.find((c) => key in c)?.[key];
  for (const [type, value, , , children] of tokens) {
    if (!["name", "&", "#", "^"].includes(type) || value === ".") continue;
    if (!contexts.some((c) => value in c)) {
      missing.add(value);
      continue;
    }
    const v = lookup(value);
    // A block is checked against its first item (or its mapping); an empty or false block renders nothing.
    const inner = Array.isArray(v) ? v[0] : v;
    if (children !== undefined && isContext(inner)) checkNames(children, [inner, ...contexts], missing);
  }
}

function isContext(v: TextView | undefined): v is Context {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && !("literal" in v) && !("expression" in v)
  );
}

/** Leaves become Terraform template text; lists, mappings and flags stay what Mustache iterates on. */
function toMustacheView(value: TextView): unknown {
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(toMustacheView);
  if (typeof value === "string" || typeof value === "number") return templateTextOf(value);
  if ("literal" in value || "expression" in value) return templateTextOf(value as TemplatePart);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toMustacheView(v)]));
}

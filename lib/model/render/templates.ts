import * as YAML from "yaml";
import type { Role } from "../config/model";

/**
 * The cloud-init seed templates and the small template language they use.
 *
 * A template is a YAML document. `{{ name }}` placeholders may appear only in scalar VALUES; they are
 * substituted in the parsed tree, never in the text, so no value can change the document's structure.
 * - A scalar that is exactly one placeholder takes the value as is (a string, a list or a mapping).
 *   As an item of a sequence, a list value is spliced in (`packages: ["{{ packages }}", extra]`).
 * - A placeholder inside a longer string must hold a string; it is replaced in place.
 * - Unknown placeholders are errors; substituted values are not scanned again.
 * Role overlay merge rule (base user-data + `cloud-init-role-<role>.yaml`), applied before substitution:
 * mappings merge key by key (recursively); sequences are concatenated, base first (so packages,
 * write_files and runcmd are appended); any other value in the overlay replaces the base one; a null
 * on either side yields the other side; a mapping/sequence/scalar mismatch is an error.
 * YAML 1.1 is used for parsing and writing, as cloud-init (PyYAML) reads 1.1: `yes`, `0644`, `1:30`
 * keep the meaning a cloud-init author expects, and strings that 1.1 would misread get quoted.
 */

/** The template texts; main.ts reads them once with `loadSeedTemplates` (lib/runtime/load), renderers stay free of I/O. */
export interface SeedTemplates {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
  /** Overlay merged onto `userData` for VMs of that role; a role without a file has none. */
  readonly roleOverlays: Readonly<Partial<Record<Role, string>>>;
  /** The guest side of guest-config (Python), installed on every cluster VM; not a template. */
  readonly guestApplier: string;
  /** The apt cache's report (Python) behind `npm run apt-cache -- status`; not a template. */
  readonly aptCacheStats: string;
  /** apt's proxy auto-detect program (bash) on every VM but the cache; not a template. */
  readonly aptProxyDetector: string;
  /** Every file of templates/ by name, so a new template is found without naming it here (templateFile). */
  readonly files: ReadonlyMap<string, string>;
}

/** The text of templates/<name>; a missing one is an error naming the file. */
export function templateFile(templates: SeedTemplates, name: string): string {
  const text = templates.files.get(name);
  if (text === undefined)
    throw new Error(`the template ${name} is missing from templates/; restore it from the repository`);
  return text;
}

export const SEED_TEMPLATE_FILES = {
  userData: "cloud-init-user-data.yaml",
  metaData: "cloud-init-meta-data.yaml",
  networkConfig: "cloud-init-network-config.yaml",
  roleOverlay: (role: Role): string => `cloud-init-role-${role}.yaml`,
  guestApplier: "guest-apply.py",
  aptCacheStats: "apt-cache-stats.py",
  aptProxyDetector: "apt-proxy-detect.sh",
} as const;

/** JSON-like tree of a parsed template and of placeholder values. */
export type TemplateValue =
  string | number | boolean | null | readonly TemplateValue[] | { readonly [key: string]: TemplateValue };
export type TemplateMapping = { readonly [key: string]: TemplateValue };

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

function isMapping(v: TemplateValue | undefined): v is TemplateMapping {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Parsed templates by name and text. Every VM renders the same few templates, and parsing them again
 * for each was a tenth of a synth; a tree is frozen, since merging and filling build new ones.
 */
const parsedTemplates = new Map<string, TemplateMapping>();

/** Parses a template; it must be a YAML mapping (an empty file counts as an empty mapping). */
export function parseTemplate(name: string, text: string): TemplateMapping {
  const key = `${name}\0${text}`;
  let tree = parsedTemplates.get(key);
  if (tree === undefined) {
    tree = deepFreeze(parseTemplateText(name, text));
    parsedTemplates.set(key, tree);
  }
  return tree;
}

function deepFreeze<T extends TemplateValue>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child as TemplateValue);
    Object.freeze(value);
  }
  return value;
}

function parseTemplateText(name: string, text: string): TemplateMapping {
  let value: unknown;
  try {
    const doc = YAML.parseDocument(text, { version: "1.1", uniqueKeys: true });
    if (doc.errors.length > 0) throw doc.errors[0];
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`seed template ${name} is not valid YAML: ${oneLine((err as Error).message)}`, {
      cause: err,
    });
  }
  if (value === null || value === undefined) return {};
  if (!isMapping(value as TemplateValue)) {
    throw new Error(`seed template ${name} must be a YAML mapping at the top level (key: value lines)`);
  }
  return value as TemplateMapping;
}

function kindOf(v: TemplateValue): string {
  return Array.isArray(v) ? "a list" : isMapping(v) ? "a mapping" : "a scalar";
}

/** Merges an overlay onto a base template by the rule in the file comment. */
export function mergeTemplates(
  base: TemplateMapping,
  overlay: TemplateMapping,
  overlayName: string,
): TemplateMapping {
  const mergeValue = (b: TemplateValue, o: TemplateValue, at: string): TemplateValue => {
    if (b === null) return o;
    if (o === null) return b;
    if (Array.isArray(b) && Array.isArray(o)) return [...b, ...o];
    if (isMapping(b) && isMapping(o)) return mergeMappings(b, o, at);
    if (!Array.isArray(b) && !isMapping(b) && !Array.isArray(o) && !isMapping(o)) return o;
    throw new Error(
      `role overlay ${overlayName}: "${at}" is ${kindOf(o)} there but ${kindOf(b)} in the base user-data template; make both the same kind`,
    );
  };
  const mergeMappings = (b: TemplateMapping, o: TemplateMapping, at: string): TemplateMapping => {
    const out: Record<string, TemplateValue> = { ...b };
    for (const [key, value] of Object.entries(o)) {
      const where = at ? `${at}.${key}` : key;
      out[key] = Object.prototype.hasOwnProperty.call(b, key) ? mergeValue(b[key], value, where) : value;
    }
    return out;
  };
  return mergeMappings(base, overlay, "");
}

/** Substitutes `{{ name }}` placeholders in scalar values (see the file comment for the rules). */
export function fillPlaceholders(
  templateName: string,
  tree: TemplateMapping,
  values: Readonly<Record<string, TemplateValue>>,
): TemplateMapping {
  const lookup = (name: string): TemplateValue => {
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      throw new Error(
        `seed template ${templateName} uses unknown placeholder {{ ${name} }}; known placeholders: ${Object.keys(values).sort().join(", ")}`,
      );
    }
    return values[name];
  };
  const fillString = (s: string, at: string): TemplateValue => {
    const whole = WHOLE_PLACEHOLDER.exec(s);
    if (whole) return lookup(whole[1]);
    return s.replace(PLACEHOLDER, (_m, name: string) => {
      const v = lookup(name);
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
      throw new Error(
        `seed template ${templateName}: {{ ${name} }} at "${at}" holds ${kindOf(v)}, so it must be the whole value, not part of a string`,
      );
    });
  };
  const fill = (v: TemplateValue, at: string): TemplateValue => {
    if (typeof v === "string") return fillString(v, at);
    if (Array.isArray(v)) {
      const out: TemplateValue[] = [];
      v.forEach((item: TemplateValue, i: number) => {
        const filled = fill(item, `${at}[${i}]`);
        // Only a whole-placeholder item splices; a literal nested list stays one item.
        if (typeof item === "string" && WHOLE_PLACEHOLDER.test(item) && Array.isArray(filled))
          out.push(...filled);
        else out.push(filled);
      });
      return out;
    }
    if (isMapping(v)) {
      const out: Record<string, TemplateValue> = {};
      for (const [key, value] of Object.entries(v)) {
        const where = at ? `${at}.${key}` : key;
        if (key.includes("{{")) {
          throw new Error(
            `seed template ${templateName}: placeholder in the key "${where}"; placeholders are allowed only in values`,
          );
        }
        out[key] = fill(value, where);
      }
      return out;
    }
    return v;
  };
  return fill(tree, "") as TemplateMapping;
}

/**
 * Reads `<stackDir>/cdk.tf.json` the way `terraform validate` would for our subset: which blocks and
 * arguments exist, what every expression references, which references Terraform rejects. Anything the
 * simulator does not reproduce throws UnsupportedError, so tests notice when the synthesized JSON grows.
 * `"//"` keys (cdktf metadata) are ignored where a block body is expected, as HCL's JSON syntax treats
 * them as comments there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  evaluate,
  ExpressionError,
  isWhollyKnown,
  markMap,
  ObjectValue,
  parseExpression,
  parseTemplate,
  Reference,
  referencesInJson,
  referencesOf,
  UnsupportedError,
  Value,
} from "./expressions";

export type Mode = "managed" | "data";

export interface ProvisionerConfig {
  readonly when: "create" | "destroy";
  readonly onFailure: "fail" | "continue";
  /** command, environment, working_dir, interpreter: evaluated when the provisioner runs. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** One step of a replace_triggered_by path: `.name` (an object's attribute) or `["key"]` (a map's element). */
export interface PathStep {
  readonly kind: "attr" | "index";
  readonly key: string;
}

/** One `lifecycle.replace_triggered_by` entry: a managed resource, and optionally a path into its attributes. */
export interface ReplaceTrigger {
  readonly address: string;
  /** The steps after the resource (`input["k"]`: attr input, index k); empty for the whole resource. */
  readonly path: readonly PathStep[];
  /** As the configuration spells it, for the plan's reason. */
  readonly spelled: string;
}

export interface ResourceConfig {
  /** `null_resource.x`, `local_file.y`, `terraform_data.t`, `data.external.z`. */
  readonly address: string;
  readonly mode: Mode;
  readonly type: string;
  readonly name: string;
  /** The provider arguments (meta-arguments removed), still holding templates. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly dependsOn: readonly string[];
  /** Addresses referenced from the arguments and the create-time provisioners. */
  readonly references: readonly string[];
  readonly provisioners: readonly ProvisionerConfig[];
  /** lifecycle.replace_triggered_by (managed resources only); its resources are in `references` too. */
  readonly replaceTriggeredBy: readonly ReplaceTrigger[];
}

export interface VariableConfig {
  readonly name: string;
  readonly type: TypeConstraint;
  readonly default?: unknown;
  readonly validations: readonly { readonly condition: string; readonly errorMessage: string }[];
}

export interface OutputConfig {
  readonly name: string;
  readonly value: unknown;
  readonly references: readonly string[];
}

export interface StackConfig {
  readonly stackDir: string;
  /** Absolute path of the state file (terraform.backend.local.path, relative to the stack dir). */
  readonly statePath: string;
  readonly resources: ReadonlyMap<string, ResourceConfig>;
  readonly variables: ReadonlyMap<string, VariableConfig>;
  readonly outputs: ReadonlyMap<string, OutputConfig>;
}

export const MANAGED_TYPES = ["null_resource", "local_file", "terraform_data"] as const;
const DATA_TYPES = ["external"] as const;

const ARGUMENTS: Record<string, readonly string[]> = {
  null_resource: ["triggers"],
  local_file: ["filename", "content", "file_permission", "directory_permission"],
  terraform_data: ["input", "triggers_replace"],
  external: ["program", "query", "working_dir"],
};

/** The Terraform release whose behaviour this interpreter reproduces (sources cited in each module). */
export const TERRAFORM_VERSION = "1.11.4";

/**
 * The providers it emulates, at the versions the stacks pin in required_providers (stacks/stack-base.ts
 * through the @cdktf/provider-* packages). Another version in required_providers is refused: a provider
 * bump must come with a look at what changed, here and in the real-Terraform tier.
 */
export const EMULATED_PROVIDERS: Readonly<
  Record<string, { readonly source: string; readonly version: string }>
> = {
  null: { source: "hashicorp/null", version: "3.2.4" },
  local: { source: "hashicorp/local", version: "2.6.1" },
  external: { source: "hashicorp/external", version: "2.3.5" },
};
const META = ["//", "depends_on", "provisioner", "lifecycle"];

/** Terraform's own message (configs/provisioner.go), for a destroy provisioner that references anything but self. */
const DESTROY_REFERENCE_ERROR =
  "Invalid reference from destroy provisioner: destroy-time provisioners and their connection configurations may only reference attributes of the related resource, via 'self', 'count.index', or 'each.key'";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(where: string, body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) throw new UnsupportedError(`${JSON.stringify(key)} in ${where}`);
}

function record(where: string, v: unknown): Record<string, unknown> {
  if (!isRecord(v)) throw new ExpressionError(`${where} must be a JSON object`);
  return v;
}

export function loadStackConfig(stackDir: string): StackConfig {
  const file = path.join(stackDir, "cdk.tf.json");
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(
      `cannot read the stack's Terraform JSON ${file}: ${(err as Error).message}; synthesize the stack first`,
      { cause: err },
    );
  }
  return parseStackConfig(stackDir, json);
}

function parseStackConfig(stackDir: string, json: unknown): StackConfig {
  const top = record("the Terraform JSON", json);
  checkKeys("the top level", top, ["//", "terraform", "provider", "resource", "data", "variable", "output"]);

  const statePath = path.resolve(stackDir, backendPath(top.terraform));
  const variables = parseVariables(top.variable);
  const resources = new Map<string, ResourceConfig>();
  const raw: {
    cfg: Omit<ResourceConfig, "references">;
    body: Record<string, unknown>;
    provisionerRefs: Reference[];
    destroyRefs: Reference[];
  }[] = [];

  for (const [mode, section] of [
    ["managed", top.resource],
    ["data", top.data],
  ] as const) {
    if (section === undefined) continue;
    for (const [type, instances] of Object.entries(record(`${mode} section`, section))) {
      const known: readonly string[] = mode === "managed" ? MANAGED_TYPES : DATA_TYPES;
      if (!known.includes(type))
        throw new UnsupportedError(`${mode === "data" ? "data source" : "resource"} type ${type}`);
      for (const [name, bodyRaw] of Object.entries(record(`${type} section`, instances))) {
        const address = mode === "managed" ? `${type}.${name}` : `data.${type}.${name}`;
        const body = record(address, bodyRaw);
        checkKeys(address, body, [...META, ...ARGUMENTS[type]]);
        if (mode === "data" && (body.provisioner !== undefined || body.lifecycle !== undefined))
          throw new UnsupportedError(`provisioner/lifecycle in ${address}`);
        const replaceTriggeredBy = parseLifecycle(address, body.lifecycle);
        const args = Object.fromEntries(Object.entries(body).filter(([k]) => !META.includes(k)));
        const provisioners = parseProvisioners(address, body.provisioner);
        raw.push({
          cfg: {
            address,
            mode,
            type,
            name,
            args,
            dependsOn: parseDependsOn(address, body.depends_on),
            provisioners,
            replaceTriggeredBy,
          },
          body: args,
          provisionerRefs: provisioners
            .filter((p) => p.when === "create")
            .flatMap((p) => referencesInJson(p.body)),
          destroyRefs: provisioners
            .filter((p) => p.when === "destroy")
            .flatMap((p) => referencesInJson(p.body)),
        });
      }
    }
  }
  const declared = new Set(raw.map((r) => r.cfg.address));

  // Reference checks as `terraform validate` makes them.
  const resolve = (where: string, ref: Reference, allowSelf: boolean): string | undefined => {
    switch (ref.root) {
      case "var":
        if (!variables.has(ref.path[0] ?? ""))
          throw new ExpressionError(
            `${where}: reference to undeclared input variable var.${ref.path[0] ?? ""}`,
          );
        return undefined;
      case "self":
        if (!allowSelf)
          throw new ExpressionError(`${where}: "self" may only be used in provisioner and connection blocks`);
        return undefined;
      case "data": {
        const address = `data.${ref.path[0] ?? ""}.${ref.path[1] ?? ""}`;
        if (!declared.has(address))
          throw new ExpressionError(`${where}: reference to undeclared resource ${address}`);
        return address;
      }
      default: {
        if ((MANAGED_TYPES as readonly string[]).includes(ref.root)) {
          const address = `${ref.root}.${ref.path[0] ?? ""}`;
          if (!declared.has(address))
            throw new ExpressionError(`${where}: reference to undeclared resource ${address}`);
          return address;
        }
        throw new UnsupportedError(`reference to ${[ref.root, ...ref.path].join(".")} in ${where}`);
      }
    }
  };

  for (const r of raw) {
    const refs = new Set<string>();
    for (const ref of referencesInJson(r.body)) {
      const a = resolve(r.cfg.address, ref, false);
      if (a === r.cfg.address)
        throw new ExpressionError(`${r.cfg.address}: self-referential block (use "self" in provisioners)`);
      if (a) refs.add(a);
    }
    for (const ref of r.provisionerRefs) {
      const a = resolve(`${r.cfg.address} provisioner`, ref, true);
      if (a && a !== r.cfg.address) refs.add(a);
    }
    for (const ref of r.destroyRefs)
      if (ref.root !== "self")
        throw new ExpressionError(
          `${r.cfg.address}: ${DESTROY_REFERENCE_ERROR} (found ${[ref.root, ...ref.path].join(".")})`,
        );
    for (const d of r.cfg.dependsOn)
      if (!declared.has(d))
        throw new ExpressionError(`${r.cfg.address}: depends_on names undeclared resource ${d}`);
    for (const t of r.cfg.replaceTriggeredBy) {
      if (!declared.has(t.address))
        throw new ExpressionError(
          `${r.cfg.address}: replace_triggered_by names undeclared resource ${t.address}`,
        );
      if (t.address === r.cfg.address)
        throw new ExpressionError(`${r.cfg.address}: replace_triggered_by refers to the resource itself`);
      refs.add(t.address);
    }
    resources.set(r.cfg.address, { ...r.cfg, references: [...refs].sort() });
  }

  const outputs = new Map<string, OutputConfig>();
  if (top.output !== undefined) {
    for (const [name, bodyRaw] of Object.entries(record("output section", top.output))) {
      const body = record(`output.${name}`, bodyRaw);
      checkKeys(`output.${name}`, body, ["//", "value", "description", "sensitive", "depends_on"]);
      const refs = new Set<string>();
      for (const ref of referencesInJson(body.value)) {
        const a = resolve(`output.${name}`, ref, false);
        if (a) refs.add(a);
      }
      for (const d of parseDependsOn(`output.${name}`, body.depends_on)) {
        if (!declared.has(d))
          throw new ExpressionError(`output.${name}: depends_on names undeclared resource ${d}`);
        refs.add(d);
      }
      outputs.set(name, { name, value: body.value, references: [...refs].sort() });
    }
  }
  for (const v of variables.values()) {
    for (const val of v.validations) {
      for (const ref of referencesInJson(val.condition)) {
        if (ref.root !== "var")
          throw new ExpressionError(
            `variable ${v.name}: a validation condition may only refer to input variables, found ${ref.root}`,
          );
        resolve(`variable ${v.name} validation`, ref, false);
      }
    }
  }
  return { stackDir, statePath, resources, variables, outputs };
}

function backendPath(terraform: unknown): string {
  if (terraform === undefined) return "terraform.tfstate";
  const t = record("terraform block", terraform);
  checkKeys("the terraform block", t, ["//", "backend", "required_providers", "required_version"]);
  checkRequiredProviders(t.required_providers);
  if (t.backend === undefined) return "terraform.tfstate"; // Terraform's default for the local backend
  const backend = record("terraform.backend", t.backend);
  for (const kind of Object.keys(backend))
    if (kind !== "local") throw new UnsupportedError(`backend ${kind}`);
  const local = record("terraform.backend.local", backend.local);
  checkKeys("terraform.backend.local", local, ["path"]);
  if (local.path === undefined) return "terraform.tfstate";
  if (typeof local.path !== "string")
    throw new ExpressionError("terraform.backend.local.path must be a string");
  return local.path;
}

function parseDependsOn(where: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw new ExpressionError(`${where}: depends_on must be a list of resource addresses`);
  return v.map((x) => {
    const bare = /^\$\{(.*)\}$/.exec(x)?.[1] ?? x; // "${null_resource.x}" is accepted as well as "null_resource.x"
    const parts = bare.split(".");
    if (parts[0] === "data" ? parts.length !== 3 : parts.length !== 2)
      throw new UnsupportedError(`depends_on entry ${JSON.stringify(x)} in ${where} (only whole resources)`);
    return bare;
  });
}

/**
 * Each provider named in required_providers must be one this interpreter emulates, at its version
 * (`source` as cdktf writes it: "null", "hashicorp/null" or "registry.terraform.io/hashicorp/null").
 */
function checkRequiredProviders(v: unknown): void {
  if (v === undefined) return;
  for (const [name, raw] of Object.entries(record("terraform.required_providers", v))) {
    const req = record(`terraform.required_providers.${name}`, raw);
    const known = EMULATED_PROVIDERS[name];
    const source =
      typeof req.source === "string" ? req.source.replace(/^registry\.terraform\.io\//, "") : name;
    const fullSource = source.includes("/") ? source : `hashicorp/${source}`;
    if (known === undefined || fullSource !== known.source)
      throw new UnsupportedError(
        `provider ${name} (${fullSource}) in required_providers: this interpreter emulates ${Object.values(
          EMULATED_PROVIDERS,
        )
          .map((p) => `${p.source} ${p.version}`)
          .join(", ")} only`,
      );
    if (req.version !== known.version)
      throw new UnsupportedError(
        `provider ${known.source} version ${JSON.stringify(req.version)} in required_providers: this interpreter reproduces ${known.source} ${known.version} (with Terraform ${TERRAFORM_VERSION}); check what the new version changes, update test-support/terraform-apply/providers.ts and the real-Terraform traces, then EMULATED_PROVIDERS`,
      );
  }
}

/** Trivial lifecycle settings pass; replace_triggered_by is parsed; anything else is unsupported. */
function parseLifecycle(where: string, v: unknown): ReplaceTrigger[] {
  if (v === undefined) return [];
  const lc = record(`${where} lifecycle`, Array.isArray(v) && v.length === 1 ? v[0] : v);
  let triggers: ReplaceTrigger[] = [];
  for (const [k, val] of Object.entries(lc)) {
    if (k === "replace_triggered_by" && Array.isArray(val)) {
      triggers = val.map((item) => parseReplaceTrigger(where, item));
      continue;
    }
    const trivial =
      (k === "create_before_destroy" && val === false) ||
      (k === "prevent_destroy" && val === false) ||
      (k === "ignore_changes" && Array.isArray(val) && val.length === 0);
    if (!trivial) throw new UnsupportedError(`lifecycle ${k} = ${JSON.stringify(val)} in ${where}`);
  }
  return triggers;
}

/**
 * One replace_triggered_by entry. In JSON syntax it is a bare traversal, not a template: Terraform
 * 1.11.4 rejects `"${...}"` there ("Invalid character"). Only managed resources may be named, with an
 * optional path of attribute names and literal keys (configs/resource.go decodeReplaceTriggeredBy).
 */
function parseReplaceTrigger(where: string, item: unknown): ReplaceTrigger {
  const bad = (why: string): never => {
    throw new ExpressionError(`${where}: replace_triggered_by entry ${JSON.stringify(item)} ${why}`);
  };
  if (typeof item !== "string") return bad("must be a string");
  if (item.includes("${")) return bad("is a template; give the bare reference, e.g. terraform_data.x.input");
  const expr = parseExpression(item);
  if (expr.kind !== "traversal") return bad("is not a reference to a managed resource");
  const [ref] = referencesOf(expr);
  if (!(MANAGED_TYPES as readonly string[]).includes(ref.root) || ref.path.length === 0)
    return bad("does not name a managed resource");
  if (ref.path.length !== expr.steps.length) return bad("indexes with something other than literal keys");
  const path = expr.steps.slice(1).map((step, i): PathStep => ({
    kind: step.kind === "attr" ? "attr" : "index",
    key: ref.path[i + 1],
  }));
  return { address: `${ref.root}.${ref.path[0]}`, path, spelled: item };
}

function parseProvisioners(where: string, v: unknown): ProvisionerConfig[] {
  if (v === undefined) return [];
  const blocks = Array.isArray(v) ? v : [v];
  const out: ProvisionerConfig[] = [];
  for (const block of blocks) {
    for (const [type, bodies] of Object.entries(record(`${where} provisioner`, block))) {
      if (type !== "local-exec") throw new UnsupportedError(`provisioner ${type} in ${where}`);
      for (const bodyRaw of Array.isArray(bodies) ? bodies : [bodies]) {
        const body = record(`${where} local-exec`, bodyRaw);
        checkKeys(`${where} local-exec`, body, [
          "//",
          "command",
          "environment",
          "working_dir",
          "interpreter",
          "when",
          "on_failure",
          "quiet",
        ]);
        if (typeof body.command !== "string")
          throw new ExpressionError(`${where} local-exec: "command" is required`);
        const when = body.when ?? "create";
        if (when !== "create" && when !== "destroy")
          throw new ExpressionError(
            `${where} local-exec: when must be "create" or "destroy", got ${JSON.stringify(when)}`,
          );
        const onFailure = body.on_failure ?? "fail";
        if (onFailure !== "fail" && onFailure !== "continue")
          throw new ExpressionError(
            `${where} local-exec: on_failure must be "fail" or "continue", got ${JSON.stringify(onFailure)}`,
          );
        const rest = Object.fromEntries(
          Object.entries(body).filter(([k]) => !["//", "when", "on_failure", "quiet"].includes(k)),
        );
        out.push({ when, onFailure, body: rest });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- variables

export type TypeConstraint =
  | { readonly kind: "string" | "number" | "bool" | "any" }
  | { readonly kind: "list" | "set" | "map"; readonly element: TypeConstraint };

/** Type constraints as cdktf writes them in JSON ("string", "list(string)", ...). */
function parseType(text: string): TypeConstraint {
  const t = text.trim();
  if (t === "string" || t === "number" || t === "bool" || t === "any") return { kind: t };
  const open = t.indexOf("(");
  if (open > 0 && t.endsWith(")")) {
    const kind = t.slice(0, open);
    if (kind === "list" || kind === "set" || kind === "map")
      return { kind, element: parseType(t.slice(open + 1, -1)) };
  }
  throw new UnsupportedError(`variable type ${JSON.stringify(text)}`);
}

function parseVariables(section: unknown): Map<string, VariableConfig> {
  const out = new Map<string, VariableConfig>();
  if (section === undefined) return out;
  for (const [name, bodyRaw] of Object.entries(record("variable section", section))) {
    const body = record(`variable ${name}`, bodyRaw);
    checkKeys(`variable ${name}`, body, [
      "//",
      "default",
      "type",
      "description",
      "validation",
      "sensitive",
      "nullable",
    ]);
    if (body.nullable === false) throw new UnsupportedError(`nullable = false on variable ${name}`);
    const type = body.type === undefined ? ({ kind: "any" } as const) : parseType(String(body.type));
    const validations = (
      body.validation === undefined
        ? []
        : Array.isArray(body.validation)
          ? body.validation
          : [body.validation]
    ).map((v) => {
      const val = record(`variable ${name} validation`, v);
      checkKeys(`variable ${name} validation`, val, ["condition", "error_message"]);
      return { condition: String(val.condition), errorMessage: String(val.error_message ?? "") };
    });
    out.set(name, { name, type, default: body.default, validations });
  }
  return out;
}

/** A value as the type constraint converts it (Terraform converts numbers and bools to strings, and back). */
function convertToType(value: Value, type: TypeConstraint, where: string): Value {
  if (value === null || type.kind === "any") return value;
  const bad = (): never => {
    throw new ExpressionError(`${where}: ${JSON.stringify(value)} is not a ${describeType(type)}`);
  };
  switch (type.kind) {
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return bad();
    case "number":
      if (typeof value === "number") return value;
      if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
        return Number(value);
      return bad();
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      return bad();
    case "list":
    case "set": {
      if (!Array.isArray(value)) return bad();
      const items = value.map((v, i) => convertToType(v, type.element, `${where}[${i}]`));
      return type.kind === "set"
        ? items.filter((v, i) => items.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) === i)
        : items;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) return bad();
      const out: ObjectValue = {};
      for (const [k, v] of Object.entries(value as ObjectValue))
        out[k] = convertToType(v, type.element, `${where}["${k}"]`);
      return markMap(out);
    }
  }
}

function describeType(t: TypeConstraint): string {
  return "element" in t ? `${t.kind}(${describeType(t.element)})` : t.kind;
}

/** A plain JS value (test input, JSON default) as an expression value; rejects what JSON cannot hold. */
function toValue(v: unknown, where: string): Value {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (Array.isArray(v)) return v.map((x, i) => toValue(x, `${where}[${i}]`));
  if (isRecord(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x, `${where}.${k}`)]));
  throw new ExpressionError(`${where}: ${String(v)} is not a JSON value`);
}

/**
 * Values of the declared variables, by Terraform's precedence: `overrides` (as -var), then TF_VAR_<name>
 * from `env` (a string; parsed as an HCL expression for list, set and map types), then the default.
 * Validation conditions are evaluated (a false one fails, as `terraform plan` does); one using something
 * this simulator does not support is skipped and reported through `onSkippedValidation`.
 */
export function resolveVariables(
  config: StackConfig,
  overrides: Readonly<Record<string, unknown>> = {},
  env: NodeJS.ProcessEnv = {},
  onSkippedValidation?: (note: string) => void,
): ObjectValue {
  for (const name of Object.keys(overrides)) {
    if (!config.variables.has(name))
      throw new ExpressionError(
        `Value for undeclared variable: a variable named "${name}" was assigned, but the stack does not declare it`,
      );
  }
  const values: ObjectValue = {};
  for (const v of config.variables.values()) {
    let raw: Value;
    if (Object.prototype.hasOwnProperty.call(overrides, v.name)) {
      raw = toValue(overrides[v.name], `var.${v.name}`);
    } else if (env[`TF_VAR_${v.name}`] !== undefined) {
      const text = env[`TF_VAR_${v.name}`]!;
      // Terraform parses TF_VAR_ values as HCL only for collection types; a primitive or `any` is the text itself.
      raw =
        v.type.kind === "list" || v.type.kind === "set" || v.type.kind === "map"
          ? evaluate(parseExpression(text), { lookup: () => undefined })
          : text;
    } else if (v.default !== undefined) {
      raw = toValue(v.default, `var.${v.name} default`);
    } else {
      throw new ExpressionError(
        `No value for required variable "${v.name}": pass it in variables or as TF_VAR_${v.name}`,
      );
    }
    values[v.name] = convertToType(raw, v.type, `var.${v.name}`);
  }
  const scope = { lookup: (root: string) => (root === "var" ? values : undefined) };
  for (const v of config.variables.values()) {
    for (const val of v.validations) {
      let ok: Value;
      try {
        ok = evaluate(parseTemplate(val.condition), scope);
      } catch (err) {
        // Validation is a check on inputs, not part of what an apply does: one this simulator cannot
        // evaluate is skipped (and said), so a new function in a condition does not stop every test.
        if (!(err instanceof UnsupportedError)) throw err;
        onSkippedValidation?.(`variable ${v.name}: validation not evaluated (${err.message})`);
        continue;
      }
      if (!isWhollyKnown(ok) || typeof ok !== "boolean")
        throw new ExpressionError(`variable ${v.name}: validation condition did not give a bool`);
      if (!ok) throw new ExpressionError(`Invalid value for variable "${v.name}": ${val.errorMessage}`);
    }
  }
  return values;
}

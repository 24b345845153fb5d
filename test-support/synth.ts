import * as path from "node:path";
import { Testing } from "cdktf";
import { Construct } from "constructs";
import { SeedTemplates } from "../lib/model/render/templates";
import { loadSeedTemplates } from "../lib/runtime/load/seed-templates";

/** The real templates from templates/, as main.ts loads them. */
export function realTemplates(): SeedTemplates {
  return loadSeedTemplates(path.join(__dirname, "..", "templates"));
}

export type TfJson = Record<string, any>;

/** Synthesizes what `build` adds to a fresh test stack and returns the parsed Terraform JSON. */
export function synthScope(build: (scope: Construct) => void): TfJson {
  return JSON.parse(Testing.synthScope(build)) as TfJson;
}

/** All instances of a resource type, keyed by logical id. */
export function resources(json: TfJson, type: string): Record<string, TfJson> {
  return (json.resource?.[type] ?? {}) as Record<string, TfJson>;
}

export function dataSources(json: TfJson, type: string): Record<string, TfJson> {
  return (json.data?.[type] ?? {}) as Record<string, TfJson>;
}

/** The single instance of `type` whose logical id starts with `prefix`. */
export function one(all: Record<string, TfJson>, prefix: string): [string, TfJson] {
  const hits = Object.entries(all).filter(([id]) => id.startsWith(prefix));
  if (hits.length !== 1)
    throw new Error(
      `expected one resource starting with ${prefix}, found ${hits.map(([id]) => id).join(", ") || "none"}`,
    );
  return hits[0];
}

/** A provisioner block by `when` (create or destroy). */
export function provisioner(resource: TfJson, when: "create" | "destroy"): TfJson {
  const all = (resource.provisioner as TfJson[]).map((p) => p["local-exec"] as TfJson);
  const hits = all.filter((p) => (when === "destroy" ? p.when === "destroy" : p.when === undefined));
  if (hits.length !== 1) throw new Error(`expected one ${when} provisioner, found ${hits.length}`);
  return hits[0];
}

/** Every string in a JSON tree. */
export function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === "object") return Object.values(value).flatMap(allStrings);
  return [];
}

/** `local_file.gateway1_config_nginx_conf_1A2B3C4D` -> `local_file.gateway1_config_nginx_conf` (ids without cdktf's hash). */
export function withoutHash(address: string): string {
  return address.replace(/_[0-9A-F]{8}$/, "");
}

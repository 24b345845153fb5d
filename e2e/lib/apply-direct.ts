/**
 * Applies a freshly synthesized stack without Terraform, for a first apply only (no state, no plan):
 * writes every local_file, runs every create-time local-exec of every null_resource with the
 * environment Terraform would give it, reads every external data source, in dependency order, one at a
 * time. It is the fallback until test-support/terraform-apply is complete (see ./apply.ts); anything
 * the stacks use beyond that subset throws (tf-eval.ts), so nothing is applied half-understood.
 */
import { createHash, randomInt } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runWithDeadline } from "../../lib/process/run-with-deadline";
import { referencesIn, renderString, TfValue, TraversalResolver } from "./tf-eval";

type Json = Record<string, unknown>;

export interface DirectApplyOptions {
  readonly stackDir: string;
  /** The environment Terraform runs in; provisioners get it plus their own `environment`. */
  readonly env: NodeJS.ProcessEnv;
  readonly commandTimeoutMs: number;
  readonly log: (line: string) => void;
}

export interface DirectStep {
  readonly address: string;
  readonly command?: string;
  readonly durationMs: number;
}

interface Node {
  readonly address: string;
  readonly type: "local_file" | "null_resource" | "data.external";
  readonly name: string;
  readonly body: Json;
  readonly deps: Set<string>;
}

const SUPPORTED = new Set(["local_file", "null_resource"]);

function nodesOf(json: Json): Node[] {
  const nodes: Node[] = [];
  const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
  for (const [type, byName] of Object.entries(resources)) {
    if (!SUPPORTED.has(type)) throw new Error(`the stack has a ${type} resource, which the direct apply does not support: use test-support/terraform-apply`);
    for (const [name, body] of Object.entries(byName)) nodes.push({ address: `${type}.${name}`, type: type as Node["type"], name, body, deps: new Set() });
  }
  const data = (json.data ?? {}) as Record<string, Record<string, Json>>;
  for (const [type, byName] of Object.entries(data)) {
    if (type !== "external") throw new Error(`the stack has a data.${type} source, which the direct apply does not support`);
    for (const [name, body] of Object.entries(byName)) nodes.push({ address: `data.external.${name}`, type: "data.external", name, body, deps: new Set() });
  }
  const known = new Set(nodes.map((n) => n.address));
  for (const node of nodes) {
    const { provisioner, ...rest } = node.body;
    // Destroy-time provisioners do not order a create.
    const creates = ((provisioner ?? []) as Json[]).filter((p) => (p["local-exec"] as Json | undefined)?.when !== "destroy");
    for (const ref of referencesIn([rest, creates])) {
      if (ref === node.address) continue;
      if (!known.has(ref)) throw new Error(`${node.address} refers to ${ref}, which the stack does not define`);
      node.deps.add(ref);
    }
  }
  return nodes;
}

/** Dependency order, ties broken by address so that runs are repeatable. */
export function applyOrder(json: Json): string[] {
  const nodes = nodesOf(json);
  const byAddress = new Map(nodes.map((n) => [n.address, n]));
  const done = new Set<string>();
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (address: string) => {
    if (done.has(address)) return;
    if (visiting.has(address)) throw new Error(`dependency cycle through ${address}`);
    visiting.add(address);
    for (const dep of [...(byAddress.get(address) as Node).deps].sort()) visit(dep);
    visiting.delete(address);
    done.add(address);
    order.push(address);
  };
  for (const n of [...nodes].sort((a, b) => a.address.localeCompare(b.address))) visit(n.address);
  return order;
}

/** `../../../scripts/run disk-clone` -> argv; commands are fixed strings, never handed to a shell. */
export function commandArgv(command: string): string[] {
  if (!/^[A-Za-z0-9_./-]+( [A-Za-z0-9_.-]+)*$/.test(command)) {
    throw new Error(`local-exec command ${JSON.stringify(command)} is not a plain program with plain arguments; the direct apply runs no shell`);
  }
  return command.split(" ");
}

export async function applyDirect(json: Json, opts: DirectApplyOptions): Promise<DirectStep[]> {
  const nodes = new Map(nodesOf(json).map((n) => [n.address, n]));
  const variables = new Map<string, TfValue>();
  for (const [name, v] of Object.entries((json.variable ?? {}) as Record<string, Json>)) {
    if (v.default === undefined) throw new Error(`variable ${name} has no default; the direct apply passes no -var`);
    variables.set(name, v.default as TfValue);
  }
  const attrs = new Map<string, Record<string, TfValue | Record<string, string>>>();

  const resolverFor =
    (self?: Record<string, string>): TraversalResolver =>
    (p) => {
      const [head, ...rest] = p;
      if (head === "var" && rest.length === 1 && variables.has(rest[0])) return variables.get(rest[0]) as TfValue;
      if (head === "self" && self && rest[0] === "triggers" && rest.length === 2 && rest[1] in self) return self[rest[1]];
      const address = head === "data" ? `data.${rest[0]}.${rest[1]}` : `${head}.${rest[0]}`;
      const tail = head === "data" ? rest.slice(2) : rest.slice(1);
      const a = attrs.get(address);
      if (a && tail.length >= 1 && tail[0] in a) {
        const v = a[tail[0]];
        if (tail.length === 1 && (typeof v === "string" || Array.isArray(v))) return v as TfValue;
        if (tail.length === 2 && typeof v === "object" && !Array.isArray(v) && tail[1] in v) return (v as Record<string, string>)[tail[1]];
      }
      throw new Error(`cannot resolve ${p.join(".")} (not known yet, or not supported by the direct apply)`);
    };

  const steps: DirectStep[] = [];
  for (const address of applyOrder(json)) {
    const node = nodes.get(address) as Node;
    const started = Date.now();
    const resolve = resolverFor();
    if (node.type === "local_file") {
      const content = renderString(String(node.body.content ?? ""), resolve, `${address}.content`);
      const file = path.resolve(opts.stackDir, renderString(String(node.body.filename), resolve, `${address}.filename`));
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: parseInt(String(node.body.directory_permission ?? "0777"), 8) });
      fs.writeFileSync(file, content, { mode: parseInt(String(node.body.file_permission ?? "0777"), 8) });
      const sha = (alg: string) => createHash(alg).update(content, "utf8").digest("hex");
      attrs.set(address, { content, filename: file, id: sha("sha1"), content_sha256: sha("sha256") });
      steps.push({ address, durationMs: Date.now() - started });
      continue;
    }
    if (node.type === "null_resource") {
      const triggers: Record<string, string> = {};
      for (const [k, v] of Object.entries((node.body.triggers ?? {}) as Record<string, string>)) triggers[k] = renderString(v, resolve, `${address}.triggers.${k}`);
      const self = resolverFor(triggers);
      for (const p of (node.body.provisioner ?? []) as Json[]) {
        const exec = p["local-exec"] as Json | undefined;
        if (!exec) throw new Error(`${address} has a provisioner other than local-exec: ${Object.keys(p).join(", ")}`);
        if (exec.when === "destroy") continue;
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries((exec.environment ?? {}) as Record<string, string>)) env[k] = renderString(v, self, `${address} environment ${k}`);
        const command = String(exec.command);
        const [file, ...args] = commandArgv(command);
        opts.log(`${address}: ${command}`);
        const run = await runWithDeadline(file, args, { cwd: opts.stackDir, env: { ...opts.env, ...env }, timeoutMs: opts.commandTimeoutMs });
        const output = `${run.stdout}${run.stderr}`.trim();
        if (output) opts.log(output.split("\n").map((l) => `  ${l}`).join("\n"));
        if (run.code !== 0) {
          throw new Error(`${address}: ${command} ${run.timedOut ? `timed out after ${opts.commandTimeoutMs / 1000} s` : `exited ${run.code ?? run.signal}`}: ${output.split("\n").slice(-3).join(" | ")}`);
        }
        steps.push({ address, command, durationMs: run.durationMs });
      }
      attrs.set(address, { id: String(randomInt(2 ** 40)), triggers });
      continue;
    }
    // data "external": the program gets the query as JSON on stdin and answers a JSON object of strings.
    const argv = ((node.body.program ?? []) as string[]).map((a) => renderString(a, resolve, `${address}.program`));
    if (argv.length === 0) throw new Error(`${address} has no program`);
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries((node.body.query ?? {}) as Record<string, string>)) query[k] = renderString(v, resolve, `${address}.query.${k}`);
    opts.log(`${address}: ${argv.join(" ")}`);
    const run = await runWithDeadline(argv[0], argv.slice(1), { cwd: opts.stackDir, env: opts.env, input: JSON.stringify(query), timeoutMs: opts.commandTimeoutMs });
    if (run.code !== 0) throw new Error(`${address}: ${argv.join(" ")} exited ${run.code ?? run.signal}: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    let result: Record<string, string>;
    try {
      result = JSON.parse(run.stdout) as Record<string, string>;
    } catch {
      throw new Error(`${address}: ${argv.join(" ")} did not answer a JSON object: ${JSON.stringify(run.stdout.slice(0, 200))}`);
    }
    attrs.set(address, { result });
    steps.push({ address, command: argv.join(" "), durationMs: run.durationMs });
  }
  return steps;
}

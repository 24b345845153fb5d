/**
 * Plan, apply and destroy of one synthesized stack, reproducing what `terraform apply` / `terraform
 * destroy` do for our subset (see ./index.ts for the API and the list of semantics, with sources).
 *
 * Like Terraform, an apply is a plan followed by a walk of the apply graph:
 * - plan: refresh each prior object (local_file drops one whose file is gone or changed), evaluate the
 *   configuration with UNKNOWN for what only apply knows, decide keep / create / replace per resource, read
 *   data sources now unless their configuration is unknown or a managed resource they depend on (depends_on
 *   or a direct reference, with everything those depend on) has changes planned;
 * - apply graph: one create node per create, destroy-then-create per replace, one read node per deferred
 *   read, one destroy node per orphan; a create waits for the creates/reads of what it references or
 *   depends on; a destroy waits for the destroys of everything that depends on its object.
 */
import * as path from "node:path";
import {
  loadStackConfig,
  MANAGED_TYPES,
  PathStep,
  ProvisionerConfig,
  resolveVariables,
  ResourceConfig,
  StackConfig,
} from "./config";
import { describeExit, runCommand } from "./exec";
import {
  EvalScope,
  evaluateJson,
  isMapValue,
  isObject,
  isWhollyKnown,
  ObjectValue,
  UNKNOWN,
  UnsupportedError,
  Value,
  valuesEqual,
} from "./expressions";
import { ancestorsOf, GraphNode, walkGraph } from "./graph";
import {
  deferredExternal,
  givenExternal,
  MANAGED_PROVIDERS,
  normalizeExternal,
  readExternal,
} from "./providers";
import { ResourceState, StateStore } from "./state";

/** A data source's answer given by the test instead of running its program (`result`, as the program would print it). */
export type DataReader = (address: string, query: ObjectValue) => Record<string, string>;

export interface StackOptions {
  /** The directory holding cdk.tf.json (`cdktf.out/stacks/<stack>`); Terraform's working directory. */
  readonly stackDir: string;
  /** Input variables, as `-var` gives them (highest precedence). */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** The environment Terraform runs in: commands and programs inherit it; TF_VAR_<name> is read from it. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Operations at once (`terraform apply -parallelism`). @default 10 */
  readonly parallelism?: number;
  /** Aborting kills running commands (their resources end up tainted) and starts nothing more. */
  readonly signal?: AbortSignal;
  /** Deadline of one provisioner command or external program; its process group is killed then. @default 15 min */
  readonly commandTimeoutMs?: number;
  /** Progress lines ("null_resource.x: Creating..."), for debugging a test. */
  readonly log?: (line: string) => void;
  /**
   * Where commands run: "own" (default) puts each in its own process group, which an abort or a deadline
   * kills whole; "shared" leaves them in this process's group, as Terraform's local-exec does, so a signal
   * to the group (a closed terminal, kill -9 of the deploy) reaches them too (./cli.ts uses it).
   */
  readonly processGroups?: "own" | "shared";
  /** "skip": no provisioner runs (only for planning what a change replaces, ./impact.ts). @default "run" */
  readonly provisioners?: "run" | "skip";
  /** Answers data sources instead of running their programs (./impact.ts). */
  readonly readData?: DataReader;
}

export type ChangeAction = "create" | "replace" | "update" | "keep" | "read" | "delete";

export interface Change {
  readonly address: string;
  readonly action: ChangeAction;
  /** Why (e.g. "triggers changed", "tainted", "during apply: depends on pending changes"). */
  readonly reason?: string;
}

export interface Failure {
  readonly address: string;
  readonly error: string;
}

/** One command a provisioner or data source ran, with its output (stdout and stderr interleaved). */
export interface CommandRun {
  readonly address: string;
  readonly kind: "create" | "destroy" | "read";
  readonly command: string;
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface PlanResult {
  readonly changes: readonly Change[];
  readonly failed: readonly Failure[];
  readonly runs: readonly CommandRun[];
  /** What the simulator left out, e.g. a variable validation using a function it does not implement. */
  readonly notes: readonly string[];
}

export interface StackResult extends PlanResult {
  /** Not started because something they depend on failed (or the run was aborted). */
  readonly skipped: readonly string[];
  /** Outputs after the run (an output whose inputs failed keeps its previous value). */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly aborted: boolean;
  readonly statePath: string;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 15 * 60_000;

interface PlanEntry {
  readonly address: string;
  readonly action: ChangeAction;
  readonly reason?: string;
  /** True for a data source read that waits for apply. */
  readonly deferred?: boolean;
  /** The planned object of an in-place update. */
  readonly planned?: ObjectValue;
}

/**
 * The values at `path` in the prior and the planned object, as cty's Path.Apply finds them (Terraform
 * 1.11.4 EvaluateReplaceTriggeredBy): an attribute step applies to an object only, an index step to a
 * map or a list only (whether a value is a map is read from the planned side, whose values keep the
 * mark); where a step does not apply, neither side has a value ([undefined, undefined]: no replacement).
 */
function valuesAt(
  before: Value | undefined,
  after: Value | undefined,
  path: readonly PathStep[],
): [Value | undefined, Value | undefined] {
  let [b, a] = [before, after];
  for (const step of path) {
    const shape = a !== undefined && a !== UNKNOWN ? a : b;
    const fits =
      step.kind === "index"
        ? Array.isArray(shape) || isMapValue(shape)
        : shape !== undefined && isObject(shape) && !isMapValue(shape);
    if (!fits) return [undefined, undefined];
    const at = (v: Value | undefined): Value | undefined => {
      if (v === UNKNOWN) return UNKNOWN;
      if (Array.isArray(v) && /^\d+$/.test(step.key)) return v[Number(step.key)];
      if (v !== undefined && isObject(v) && Object.prototype.hasOwnProperty.call(v, step.key))
        return v[step.key];
      return undefined;
    };
    [b, a] = [at(b), at(a)];
  }
  return [b, a];
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const tail = (text: string, max = 2000) => (text.length > max ? `…${text.slice(-max)}` : text).trim();
const byAddress = <T extends { address: string }>(a: T, b: T) =>
  a.address < b.address ? -1 : a.address > b.address ? 1 : 0;

class Session {
  readonly config: StackConfig;
  readonly state: StateStore;
  readonly variables: ObjectValue;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Attribute values dependents see: prior state, plan placeholders (UNKNOWN), then applied results. */
  readonly values = new Map<string, ObjectValue>();
  readonly runs: CommandRun[] = [];
  /** What the simulator left out (a variable validation it cannot evaluate). */
  readonly notes: string[] = [];
  /** address -> what its configuration references or depends_on. */
  readonly configDeps: Map<string, string[]>;
  /** The objects in state before this run, for replace_triggered_by's before-and-after comparison. */
  readonly priorValues: ReadonlyMap<string, ObjectValue>;
  private unsupported: UnsupportedError | undefined;

  constructor(readonly opts: StackOptions) {
    this.config = loadStackConfig(opts.stackDir);
    this.env = opts.env ?? process.env;
    this.variables = resolveVariables(this.config, opts.variables, this.env, (note) => this.notes.push(note));
    this.state = StateStore.load(this.config.statePath);
    this.priorValues = new Map([...this.state.resources.values()].map((r) => [r.address, r.attributes]));
    this.timeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.configDeps = new Map(
      [...this.config.resources.values()].map((r) => [
        r.address,
        [...new Set([...r.references, ...r.dependsOn])].sort(),
      ]),
    );
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private scope(self?: ObjectValue): EvalScope {
    return {
      lookup: (root) => {
        if (root === "var") return this.variables;
        if (root === "self") return self;
        if (root === "data") {
          const out: Record<string, ObjectValue> = {};
          for (const [address, v] of this.values) {
            const [mode, type, name] = address.split(".");
            if (mode === "data") (out[type] ??= {})[name] = v;
          }
          return out;
        }
        if ((MANAGED_TYPES as readonly string[]).includes(root)) {
          const out: ObjectValue = {};
          for (const [address, v] of this.values)
            if (address.startsWith(`${root}.`)) out[address.slice(root.length + 1)] = v;
          return out;
        }
        return undefined;
      },
    };
  }

  /** Turns an UnsupportedError into a throw of the whole run (a test must notice), others into the message. */
  private catchError(err: unknown): string {
    if (err instanceof UnsupportedError) this.unsupported ??= err;
    return errorText(err);
  }

  private rethrowUnsupported(): void {
    if (this.unsupported) throw this.unsupported;
  }

  private managedAncestors(address: string): string[] {
    return [...ancestorsOf(address, this.configDeps)].filter((a) => !a.startsWith("data.")).sort();
  }

  private evalArgs(r: ResourceConfig): ObjectValue {
    const raw = evaluateJson(r.args, this.scope()) as ObjectValue;
    return r.mode === "data"
      ? normalizeExternal(raw, r.address)
      : MANAGED_PROVIDERS[r.type].normalize(raw, r.address);
  }

  // ------------------------------------------------------------ plan

  async plan(): Promise<{ entries: Map<string, PlanEntry>; failed: Failure[] }> {
    const entries = new Map<string, PlanEntry>();
    const failed: Failure[] = [];
    const nodes: GraphNode[] = [...this.config.resources.values()].map((r) => ({
      id: r.address,
      deps: this.configDeps.get(r.address)!,
      run: async () => {
        try {
          entries.set(
            r.address,
            r.mode === "data" ? await this.planData(r, entries) : this.planManaged(r, entries),
          );
        } catch (err) {
          failed.push({ address: r.address, error: this.catchError(err) });
          throw err;
        }
      },
    }));
    const walk = await walkGraph(nodes, { parallelism: this.opts.parallelism, signal: this.opts.signal });
    this.rethrowUnsupported();
    if (this.opts.signal?.aborted && walk.skipped.length > 0)
      failed.push({ address: "", error: "plan interrupted" });

    for (const s of [...this.state.resources.values()]) {
      if (this.config.resources.has(s.address)) continue;
      if (s.mode === "data") {
        this.state.resources.delete(s.address);
        continue;
      }
      // Orphans are refreshed too; their destroy provisioners do not run (the block is gone: Terraform docs, "Destroy-Time Provisioners").
      if (!MANAGED_PROVIDERS[s.type]?.refresh(s.attributes, this.config.stackDir)) {
        this.state.resources.delete(s.address);
        continue;
      }
      entries.set(s.address, { address: s.address, action: "delete", reason: "not in configuration" });
    }
    return { entries, failed: failed.sort(byAddress) };
  }

  private planManaged(r: ResourceConfig, entries: ReadonlyMap<string, PlanEntry>): PlanEntry {
    const provider = MANAGED_PROVIDERS[r.type];
    const args = this.evalArgs(r);
    let prior = this.state.get(r.address);
    let reason = "not in state";
    if (prior && !provider.refresh(prior.attributes, this.config.stackDir)) {
      this.state.resources.delete(r.address);
      prior = undefined;
      reason = "gone from disk (refresh removed it from state)";
    }
    let entry: PlanEntry;
    if (!prior) entry = { address: r.address, action: "create", reason };
    else if (prior.tainted) entry = { address: r.address, action: "replace", reason: "tainted" };
    else {
      const change = provider.planChange(prior.attributes, args);
      const triggeredBy = change.action === "replace" ? undefined : this.replaceTriggeredBy(r, entries);
      entry =
        triggeredBy !== undefined
          ? { address: r.address, action: "replace", reason: `replace_triggered_by ${triggeredBy}` }
          : change.action === "keep"
            ? { address: r.address, action: "keep" }
            : change.action === "update"
              ? { address: r.address, action: "update", reason: change.reason, planned: change.planned }
              : { address: r.address, action: "replace", reason: change.reason };
    }
    this.values.set(
      r.address,
      entry.action === "keep"
        ? prior!.attributes
        : entry.action === "update"
          ? entry.planned!
          : provider.plannedNew(args),
    );
    return entry;
  }

  /**
   * The replace_triggered_by entry that forces a replacement, or undefined, as Terraform 1.11.4 decides
   * (internal/terraform/eval_context_builtin.go EvaluateReplaceTriggeredBy): only an update or a
   * replacement of the named resource counts, never its creation; with a path, only when the value at
   * that path differs between the prior and the planned object (a value unknown until apply differs).
   */
  private replaceTriggeredBy(r: ResourceConfig, entries: ReadonlyMap<string, PlanEntry>): string | undefined {
    for (const t of r.replaceTriggeredBy) {
      const change = entries.get(t.address);
      if (change?.action !== "update" && change?.action !== "replace") continue;
      if (t.path.length === 0) return t.spelled;
      const [before, after] = valuesAt(this.priorValues.get(t.address), this.values.get(t.address), t.path);
      if (before === undefined || after === undefined ? before !== after : !valuesEqual(before, after))
        return t.spelled;
    }
    return undefined;
  }

  private async planData(r: ResourceConfig, entries: ReadonlyMap<string, PlanEntry>): Promise<PlanEntry> {
    const args = this.evalArgs(r);
    let deferReason: string | undefined;
    if (!isWhollyKnown(args)) deferReason = "its configuration depends on values known only after apply";
    // Only its depends_on targets and the managed resources it references directly, not what those depend
    // on: Terraform 1.11.4 internal/terraform/node_resource_abstract_instance.go
    // dependenciesHavePendingChanges (n.dependsOn, from transform_reference.go ReferenceMap.dependsOn,
    // which adds ancestors only for modules, outputs and variables). Checked against real Terraform in
    // __tests__/test-support/terraform-apply/real-traces.test.ts.
    const managedRefs = r.references.filter((a) => !a.startsWith("data."));
    for (const a of [...r.dependsOn, ...managedRefs]) {
      if (deferReason || a.startsWith("data.")) continue;
      const action = entries.get(a)?.action;
      if (action !== undefined && action !== "keep")
        deferReason = `it depends on ${a}, which has changes planned`;
    }
    if (deferReason) {
      this.values.set(r.address, deferredExternal(args));
      return { address: r.address, action: "read", reason: `during apply: ${deferReason}`, deferred: true };
    }
    this.values.set(r.address, await this.read(r, args));
    return { address: r.address, action: "read", reason: "during plan" };
  }

  private async read(r: ResourceConfig, args: ObjectValue): Promise<ObjectValue> {
    this.log(`${r.address}: Reading...`);
    const res = this.opts.readData
      ? givenExternal(args, this.opts.readData(r.address, (args.query ?? {}) as ObjectValue))
      : await readExternal(args, r.address, {
          stackDir: this.config.stackDir,
          env: this.env,
          timeoutMs: this.timeoutMs,
          signal: this.opts.signal,
          sharedGroup: this.opts.processGroups === "shared",
        });
    this.runs.push({
      address: r.address,
      kind: "read",
      command: res.command,
      code: res.run.code,
      output: res.run.output,
      timedOut: res.run.timedOut,
      durationMs: res.run.durationMs,
    });
    if (res.error) throw new Error(res.error);
    this.state.resources.set(r.address, {
      address: r.address,
      mode: "data",
      type: r.type,
      name: r.name,
      attributes: res.attributes!,
      tainted: false,
      dependencies: [],
    });
    return res.attributes!;
  }

  // ------------------------------------------------------------ apply graph

  private async runProvisioner(
    address: string,
    p: ProvisionerConfig,
    self: ObjectValue,
  ): Promise<string | undefined> {
    const body = evaluateJson(p.body, this.scope(self)) as ObjectValue;
    if (!isWhollyKnown(body))
      throw new Error(`${address}: provisioner arguments are not known (internal error of the simulator)`);
    const command = String(body.command);
    const environment: Record<string, string> = {};
    if (body.environment !== undefined && body.environment !== null) {
      if (!isObject(body.environment))
        throw new Error(`${address}: local-exec environment must be a map of strings`);
      for (const [k, v] of Object.entries(body.environment)) if (v !== null) environment[k] = String(v);
    }
    const interpreter = Array.isArray(body.interpreter) ? body.interpreter.map(String) : [];
    // local-exec: `/bin/sh -c <command>` unless an interpreter is given, whose argv gets the command appended;
    // env = Terraform's env plus `environment`; cwd = working_dir (relative to Terraform's cwd) or Terraform's cwd.
    const argv = interpreter.length > 0 ? [...interpreter, command] : ["/bin/sh", "-c", command];
    const wd =
      typeof body.working_dir === "string" && body.working_dir !== ""
        ? path.resolve(this.config.stackDir, body.working_dir)
        : this.config.stackDir;
    this.log(`${address} (local-exec): Executing: ${JSON.stringify(argv)}`);
    const res = await runCommand(argv[0], argv.slice(1), {
      cwd: wd,
      env: { ...this.env, ...environment },
      timeoutMs: this.timeoutMs,
      signal: this.opts.signal,
      sharedGroup: this.opts.processGroups === "shared",
    });
    this.runs.push({
      address,
      kind: p.when,
      command,
      code: res.code,
      output: res.output,
      timedOut: res.timedOut,
      durationMs: res.durationMs,
    });
    if (res.code === 0) return undefined;
    const message = `${address}: local-exec provisioner error: Error running command '${command}': ${describeExit(res, this.timeoutMs)}. Output: ${tail(res.output)}`;
    this.log(message);
    if (p.onFailure === "continue") return undefined;
    return message;
  }

  /**
   * Create (or the create half of a replace). As Terraform 1.11.4 does (internal/terraform/
   * node_resource_apply_instance.go managedResourceExecute): the new object goes into the working state
   * before its provisioners run, and the state is written to disk (updateStateHook) only once they have
   * ended, tainted if one failed. So a process killed while a provisioner runs leaves the state as the
   * last completed operation wrote it: with this object recorded, untainted, if any other operation
   * completed meanwhile, and without it otherwise.
   */
  private async create(r: ResourceConfig): Promise<void> {
    const provider = MANAGED_PROVIDERS[r.type];
    const args = this.evalArgs(r);
    if (!isWhollyKnown(args))
      throw new Error(
        `${r.address}: arguments still unknown after their dependencies were applied (internal error of the simulator)`,
      );
    this.log(`${r.address}: Creating...`);
    const attributes = provider.create(args, this.config.stackDir);
    const record: ResourceState = {
      address: r.address,
      mode: "managed",
      type: r.type,
      name: r.name,
      attributes,
      tainted: false,
      dependencies: this.managedAncestors(r.address),
    };
    this.state.resources.set(r.address, record);
    this.values.set(r.address, attributes);
    const provisioners = this.opts.provisioners === "skip" ? [] : r.provisioners;
    for (const p of provisioners.filter((x) => x.when === "create")) {
      const error = await this.runProvisioner(r.address, p, attributes);
      if (error) {
        // A failed creation-time provisioner taints the object (Terraform docs, "Creation-Time Provisioners").
        this.state.resources.set(r.address, { ...record, tainted: true });
        this.state.persist();
        throw new Error(error);
      }
    }
    this.state.persist();
    this.log(`${r.address}: Creation complete`);
  }

  /** An in-place update (terraform_data's input): no provisioner runs; written once done. */
  private update(address: string, planned: ObjectValue): void {
    const prior = this.state.get(address)!;
    const r = this.config.resources.get(address)!;
    const evaluated = { ...planned, ...this.evalArgs(r) };
    const attributes = MANAGED_PROVIDERS[prior.type].update!(evaluated);
    this.state.resources.set(address, {
      ...prior,
      attributes,
      dependencies: this.managedAncestors(address),
    });
    this.values.set(address, attributes);
    this.state.persist();
    this.log(`${address}: Modifications complete`);
  }

  private async destroy(address: string): Promise<void> {
    const prior = this.state.get(address);
    if (!prior) return;
    const r = this.config.resources.get(address);
    this.log(`${address}: Destroying...`);
    // Destroy provisioners run from the configuration with self = the stored object, but not for a tainted
    // object (terraform internal/terraform/node_resource_destroy.go: "Run destroy provisioners if not
    // tainted"; hashicorp/terraform#14403, PR #20819 documents it) nor for a block removed from the configuration.
    if (r && !prior.tainted && this.opts.provisioners !== "skip") {
      for (const p of r.provisioners.filter((x) => x.when === "destroy")) {
        const error = await this.runProvisioner(address, p, prior.attributes);
        if (error) {
          this.state.persist();
          throw new Error(error); // the object stays in state; the next run tries again
        }
      }
    }
    MANAGED_PROVIDERS[prior.type].delete(prior.attributes, this.config.stackDir);
    this.state.resources.delete(address);
    this.state.persist();
    this.values.delete(address);
    this.log(`${address}: Destruction complete`);
  }

  private async readDeferred(r: ResourceConfig): Promise<void> {
    const args = this.evalArgs(r);
    if (!isWhollyKnown(args))
      throw new Error(`${r.address}: arguments still unknown at apply (internal error of the simulator)`);
    this.values.set(r.address, await this.read(r, args));
    this.state.persist();
  }

  /** Managed resources whose objects must be destroyed before `address`'s: those that depend on it. */
  private destroyDependents(address: string, destroying: ReadonlySet<string>): string[] {
    return [...destroying].filter((other) => {
      if (other === address) return false;
      const recorded = this.state.get(other)?.dependencies ?? [];
      return (
        recorded.includes(address) ||
        (this.configDeps.has(other) && ancestorsOf(other, this.configDeps).has(address))
      );
    });
  }

  async walk(
    entries: ReadonlyMap<string, PlanEntry>,
    mode: "apply" | "destroy",
  ): Promise<{ failed: Failure[]; skipped: string[] }> {
    const creates = new Set<string>();
    const updates = new Map<string, ObjectValue>();
    const reads = new Set<string>();
    const destroys = new Set<string>();
    for (const e of entries.values()) {
      if (e.action === "create" || e.action === "replace") creates.add(e.address);
      if (e.action === "update") updates.set(e.address, e.planned!);
      if (e.action === "replace" || e.action === "delete") destroys.add(e.address);
      if (e.action === "read" && e.deferred) reads.add(e.address);
    }
    // Through dependencies without an operation (kept ones) to the nearest ones with one, as Terraform's
    // apply graph keeps no-op nodes in the chain: C -> B (kept, depends_on A) -> A (created) orders A before C.
    const waitFor = (address: string): string[] => {
      const out = new Set<string>();
      const seen = new Set<string>();
      const visit = (a: string): void => {
        for (const d of this.configDeps.get(a) ?? []) {
          if (seen.has(d)) continue;
          seen.add(d);
          if (creates.has(d)) out.add(`create:${d}`);
          else if (updates.has(d)) out.add(`update:${d}`);
          else if (reads.has(d)) out.add(`read:${d}`);
          else visit(d);
        }
      };
      visit(address);
      return [...out];
    };
    const nodes: GraphNode[] = [];
    for (const a of creates) {
      const r = this.config.resources.get(a)!;
      nodes.push({
        id: `create:${a}`,
        deps: [...waitFor(a), ...(destroys.has(a) ? [`destroy:${a}`] : [])],
        run: () => this.create(r),
      });
    }
    for (const [a, planned] of updates)
      nodes.push({ id: `update:${a}`, deps: waitFor(a), run: async () => this.update(a, planned) });
    for (const a of reads) {
      const r = this.config.resources.get(a)!;
      nodes.push({ id: `read:${a}`, deps: waitFor(a), run: () => this.readDeferred(r) });
    }
    for (const a of destroys)
      nodes.push({
        id: `destroy:${a}`,
        deps: this.destroyDependents(a, destroys).map((d) => `destroy:${d}`),
        run: () => this.destroy(a),
      });

    const walk = await walkGraph(nodes, { parallelism: this.opts.parallelism, signal: this.opts.signal });
    const failed = [...walk.failed].map(([id, err]) => ({
      address: id.slice(id.indexOf(":") + 1),
      error: this.catchError(err),
    }));
    this.rethrowUnsupported();
    const failedAddresses = new Set(failed.map((f) => f.address));
    const skipped = [...new Set(walk.skipped.map((id) => id.slice(id.indexOf(":") + 1)))]
      .filter((a) => !failedAddresses.has(a))
      .sort();
    if (mode === "destroy") {
      for (const s of [...this.state.resources.values()])
        if (s.mode === "data") this.state.resources.delete(s.address);
    }
    return { failed: failed.sort(byAddress), skipped };
  }

  /** Outputs from the values now known; one that cannot be evaluated keeps its previous value. */
  updateOutputs(clear: boolean): Record<string, Value> {
    const outputs: Record<string, Value> = {};
    if (!clear) {
      for (const o of this.config.outputs.values()) {
        try {
          const v = evaluateJson(o.value, this.scope());
          if (isWhollyKnown(v)) outputs[o.name] = v;
          else if (o.name in this.state.outputs) outputs[o.name] = this.state.outputs[o.name];
        } catch (err) {
          if (err instanceof UnsupportedError) throw err;
          if (o.name in this.state.outputs) outputs[o.name] = this.state.outputs[o.name];
        }
      }
    }
    this.state.outputs = outputs;
    this.state.persist();
    return outputs;
  }
}

const toChanges = (entries: ReadonlyMap<string, PlanEntry>): Change[] =>
  [...entries.values()]
    .map(({ address, action, reason }) => (reason ? { address, action, reason } : { address, action }))
    .sort(byAddress);

/**
 * What an apply would do, without doing it: no provisioner runs, no file is written, the state file is
 * untouched. Data sources that Terraform reads during a plan are read here too (their programs run, as
 * `terraform plan` runs them: the external provider expects them to have no side effects).
 */
export async function planStack(opts: StackOptions): Promise<PlanResult> {
  const session = new Session(opts);
  const { entries, failed } = await session.plan();
  return { changes: toChanges(entries), failed, runs: session.runs, notes: session.notes };
}

/** `terraform apply -auto-approve`: plan, then apply; nothing is applied when the plan fails. */
export async function applyStack(opts: StackOptions): Promise<StackResult> {
  const session = new Session(opts);
  const { entries, failed: planFailed } = await session.plan();
  const base = { changes: toChanges(entries), statePath: session.config.statePath, notes: session.notes };
  if (planFailed.length > 0) {
    return {
      ...base,
      failed: planFailed,
      skipped: [],
      outputs: session.state.outputs,
      runs: session.runs,
      aborted: !!opts.signal?.aborted,
    };
  }
  const { failed, skipped } = await session.walk(entries, "apply");
  const outputs = session.updateOutputs(false);
  return { ...base, failed, skipped, outputs, runs: session.runs, aborted: !!opts.signal?.aborted };
}

/**
 * `terraform destroy -auto-approve`: first the refresh plan Terraform makes before a destroy (it reads data
 * sources and drops objects gone from disk; its errors stop the destroy: terraform context_plan.go
 * destroyPlan), then every object in state is destroyed, dependents first.
 */
export async function destroyStack(opts: StackOptions): Promise<StackResult> {
  const session = new Session(opts);
  const { failed: planFailed } = await session.plan();
  const entries = new Map<string, PlanEntry>();
  for (const s of session.state.resources.values())
    if (s.mode === "managed") entries.set(s.address, { address: s.address, action: "delete" });
  const base = { changes: toChanges(entries), statePath: session.config.statePath, notes: session.notes };
  if (planFailed.length > 0) {
    return {
      ...base,
      failed: planFailed,
      skipped: [],
      outputs: session.state.outputs,
      runs: session.runs,
      aborted: !!opts.signal?.aborted,
    };
  }
  const { failed, skipped } = await session.walk(entries, "destroy");
  const outputs = session.updateOutputs(true);
  return { ...base, failed, skipped, outputs, runs: session.runs, aborted: !!opts.signal?.aborted };
}

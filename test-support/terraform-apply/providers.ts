/**
 * The resource types our stacks use, reproducing their providers (versions: config.ts EMULATED_PROVIDERS):
 * - null_resource (hashicorp/null 3.2.x, resource.go): `triggers` is map(string) and RequiresReplace; Create
 *   sets id = fmt.Sprintf("%d", rand.Int()); Read and Delete do nothing.
 * - local_file (hashicorp/local 2.6.x, internal/provider/resource_local_file.go): every argument is
 *   RequiresReplace; file_permission and directory_permission default to "0777"; Create makes missing parent
 *   directories (os.MkdirAll with directory_permission) and writes with file_permission (both before umask);
 *   id is the hex SHA-1 of the content, plus content_md5/sha1/sha256/base64sha256/sha512/base64sha512, all
 *   "(known after apply)" in a plan; Read drops the resource from state when the file is missing or its SHA-1
 *   differs from id; Delete is os.Remove with the error ignored.
 * - terraform_data (Terraform's built-in provider, internal/builtin/providers/terraform/resource_data.go in
 *   1.11.4): `triggers_replace` changed -> replace; `input` changed -> update in place with `output`
 *   unknown until apply, then equal to `input`; id is a random UUID.
 * - data "external" (hashicorp/external 2.3.x, docs/data-sources/external.md): runs `program` (argv, no shell)
 *   in working_dir (default: Terraform's cwd) with the query as a JSON object on stdin; stdout must be a JSON
 *   object of strings (`result`); a non-zero exit fails with its stderr; id is "-".
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describeExit, runCommand, CommandResult } from "./exec";
import { ExpressionError, isObject, markMap, ObjectValue, UNKNOWN, Value, valuesEqual } from "./expressions";

/** What the plan does with an existing object. */
export type PlannedChange =
  | { readonly action: "keep" }
  | { readonly action: "update"; readonly reason: string; readonly planned: ObjectValue }
  | { readonly action: "replace"; readonly reason: string };

export interface ManagedProvider {
  /** Type-checks evaluated arguments and fills defaults (may hold UNKNOWN during a plan). */
  normalize(args: ObjectValue, address: string): ObjectValue;
  /** The planned attributes of a new object: arguments as given, computed attributes UNKNOWN. */
  plannedNew(args: ObjectValue): ObjectValue;
  /** Keep, update in place or replace the prior object to match `args`. */
  planChange(prior: ObjectValue, args: ObjectValue): PlannedChange;
  /** The prior object as Read sees it now, or undefined when Read removes it from state. */
  refresh(prior: ObjectValue, stackDir: string): ObjectValue | undefined;
  create(args: ObjectValue, stackDir: string): ObjectValue;
  /** Applies an in-place update (only for types whose planChange can answer "update"). */
  update?(planned: ObjectValue): ObjectValue;
  delete(prior: ObjectValue, stackDir: string): void;
}

/** keep, or replace for `reason` (types whose every argument forces replacement). */
const keepOrReplace = (reason: string | undefined): PlannedChange =>
  reason === undefined ? { action: "keep" } : { action: "replace", reason };

const stringMap = (v: Value, where: string): Value => {
  if (v === null || v === UNKNOWN) return v;
  if (!isObject(v)) throw new ExpressionError(`${where}: a map of strings is required`);
  const out: ObjectValue = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "number" || typeof x === "boolean") out[k] = String(x);
    else if (typeof x === "string" || x === UNKNOWN || x === null) out[k] = x;
    else throw new ExpressionError(`${where}["${k}"]: a string is required`);
  }
  return markMap(out);
};

const requiredString = (v: Value | undefined, where: string): Value => {
  if (v === UNKNOWN) return v;
  if (typeof v !== "string") throw new ExpressionError(`${where}: a string is required`);
  return v;
};

/** A non-negative int63 in decimal, like Go's rand.Int(). */
function randomId(): string {
  return (crypto.randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn).toString();
}

const nullResource: ManagedProvider = {
  normalize: (args, address) => ({ triggers: stringMap(args.triggers ?? null, `${address}.triggers`) }),
  plannedNew: (args) => ({ id: UNKNOWN, triggers: args.triggers }),
  planChange: (prior, args) =>
    keepOrReplace(
      valuesEqual(prior.triggers ?? null, args.triggers ?? null) ? undefined : "triggers changed",
    ),
  refresh: (prior) => prior,
  create: (args) => ({ id: randomId(), triggers: args.triggers }),
  delete: () => undefined,
};

const CHECKSUM_ATTRS = [
  "id",
  "content_md5",
  "content_sha1",
  "content_sha256",
  "content_base64sha256",
  "content_sha512",
  "content_base64sha512",
];

/** Permissions in numeric notation, as the provider's FilePermission type accepts them. */
function permission(v: Value | undefined, where: string): Value {
  if (v === undefined || v === null) return "0777";
  if (v === UNKNOWN) return v;
  if (typeof v !== "string" || !/^[0-7]{3,4}$/.test(v))
    throw new ExpressionError(
      `${where}: bad mode for file - string length should be 3 or 4 digits (octal), got ${JSON.stringify(v)}`,
    );
  return v;
}

const samePermission = (a: Value, b: Value) =>
  typeof a === "string" && typeof b === "string" && parseInt(a, 8) === parseInt(b, 8);

function checksums(content: Buffer): ObjectValue {
  const hash = (alg: string, enc: "hex" | "base64") => crypto.createHash(alg).update(content).digest(enc);
  return {
    id: hash("sha1", "hex"),
    content_md5: hash("md5", "hex"),
    content_sha1: hash("sha1", "hex"),
    content_sha256: hash("sha256", "hex"),
    content_base64sha256: hash("sha256", "base64"),
    content_sha512: hash("sha512", "hex"),
    content_base64sha512: hash("sha512", "base64"),
  };
}

const localFile: ManagedProvider = {
  normalize: (args, address) => ({
    filename: requiredString(args.filename, `${address}.filename`),
    content: requiredString(args.content, `${address}.content`),
    file_permission: permission(args.file_permission, `${address}.file_permission`),
    directory_permission: permission(args.directory_permission, `${address}.directory_permission`),
  }),
  plannedNew: (args) => ({
    ...args,
    content_base64: null,
    sensitive_content: null,
    source: null,
    ...Object.fromEntries(CHECKSUM_ATTRS.map((a) => [a, UNKNOWN])),
  }),
  planChange: (prior, args) => {
    if (!valuesEqual(prior.filename, args.filename)) return keepOrReplace("filename changed");
    if (!valuesEqual(prior.content, args.content)) return keepOrReplace("content changed");
    if (!samePermission(prior.file_permission, args.file_permission))
      return keepOrReplace("file_permission changed");
    if (!samePermission(prior.directory_permission, args.directory_permission))
      return keepOrReplace("directory_permission changed");
    return { action: "keep" };
  },
  refresh: (prior, stackDir) => {
    const file = path.resolve(stackDir, String(prior.filename));
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch {
      return undefined; // missing: the provider removes it from state and the plan creates it again
    }
    return crypto.createHash("sha1").update(content).digest("hex") === prior.id ? prior : undefined;
  },
  create: (args, stackDir) => {
    const file = path.resolve(stackDir, String(args.filename));
    const dir = path.dirname(file);
    if (!fs.existsSync(dir))
      fs.mkdirSync(dir, { recursive: true, mode: parseInt(String(args.directory_permission), 8) });
    const content = Buffer.from(String(args.content), "utf8");
    // Like Go's os.WriteFile, the mode applies only when the file is created.
    fs.writeFileSync(file, content, { mode: parseInt(String(args.file_permission), 8) });
    return { ...args, content_base64: null, sensitive_content: null, source: null, ...checksums(content) };
  },
  delete: (prior, stackDir) => {
    try {
      fs.unlinkSync(path.resolve(stackDir, String(prior.filename)));
    } catch {
      // os.Remove's error is ignored by the provider
    }
  },
};

const terraformData: ManagedProvider = {
  normalize: (args) => ({ input: args.input ?? null, triggers_replace: args.triggers_replace ?? null }),
  // Create: the output's type follows the input's, so a null input gives a null output, known at plan.
  plannedNew: (args) => ({ id: UNKNOWN, ...args, output: args.input === null ? null : UNKNOWN }),
  planChange: (prior, args) => {
    if (!valuesEqual(prior.triggers_replace ?? null, args.triggers_replace ?? null))
      return { action: "replace", reason: "triggers_replace changed" };
    if (!valuesEqual(prior.input ?? null, args.input ?? null))
      return { action: "update", reason: "input changed", planned: { ...prior, ...args, output: UNKNOWN } };
    return { action: "keep" };
  },
  refresh: (prior) => prior,
  create: (args) => ({ id: crypto.randomUUID(), ...args, output: args.input }),
  update: (planned) => ({ ...planned, output: planned.input }),
  delete: () => undefined,
};

export const MANAGED_PROVIDERS: Record<string, ManagedProvider> = {
  null_resource: nullResource,
  local_file: localFile,
  terraform_data: terraformData,
};

// ---------------------------------------------------------------- data "external"

export interface ExternalReadOptions {
  readonly stackDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Run the program in this process's group (exec.ts CommandOptions.sharedGroup). */
  readonly sharedGroup?: boolean;
}

export function normalizeExternal(args: ObjectValue, address: string): ObjectValue {
  const program = args.program;
  if (program !== UNKNOWN) {
    if (!Array.isArray(program) || program.length === 0)
      throw new ExpressionError(`${address}.program: a non-empty list of strings is required`);
    program.forEach((p, i) => requiredString(p, `${address}.program[${i}]`));
  }
  const wd = args.working_dir ?? "";
  return {
    program,
    query: stringMap(args.query ?? {}, `${address}.query`),
    working_dir: wd === UNKNOWN ? wd : requiredString(wd, `${address}.working_dir`),
  };
}

export interface ExternalReadResult {
  readonly attributes?: ObjectValue;
  readonly error?: string;
  readonly run: CommandResult;
  readonly command: string;
}

export async function readExternal(
  args: ObjectValue,
  address: string,
  opts: ExternalReadOptions,
): Promise<ExternalReadResult> {
  const program = (args.program as Value[]).map(String);
  const wd = String(args.working_dir ?? "");
  const run = await runCommand(program[0], program.slice(1), {
    cwd: wd === "" ? opts.stackDir : path.resolve(opts.stackDir, wd),
    env: opts.env,
    input: JSON.stringify(args.query ?? {}),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    sharedGroup: opts.sharedGroup,
  });
  const command = program.join(" ");
  if (run.code !== 0) {
    const why = run.stderr.trim().split("\n").slice(-5).join(" | ");
    return {
      run,
      command,
      error: `${address}: External Program Execution Failed: program ${JSON.stringify(command)} ${describeExit(run, opts.timeoutMs)}${why ? `: ${why}` : ""}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    return {
      run,
      command,
      error: `${address}: Unexpected External Program Results: the program's stdout is not JSON: ${JSON.stringify(run.stdout.slice(0, 200))}`,
    };
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === "string")
  ) {
    return {
      run,
      command,
      error: `${address}: Unexpected External Program Results: the program must print a JSON object whose values are all strings, got ${run.stdout.trim().slice(0, 200)}`,
    };
  }
  return { run, command, attributes: { id: "-", ...args, result: markMap(parsed as ObjectValue) } };
}

/** A read answered by the caller (StackOptions.readData) instead of a program. */
export function givenExternal(args: ObjectValue, result: Record<string, string>): ExternalReadResult {
  const run = {
    code: 0,
    exitSignal: null,
    stdout: JSON.stringify(result),
    stderr: "",
    output: "",
    timedOut: false,
    aborted: false,
    durationMs: 0,
  };
  return {
    run,
    command: "(answered by the test)",
    attributes: { id: "-", ...args, result: markMap({ ...result }) },
  };
}

/** Planned attributes of a data source read that waits for apply. */
export const deferredExternal = (args: ObjectValue): ObjectValue => ({
  id: UNKNOWN,
  ...args,
  result: UNKNOWN,
});

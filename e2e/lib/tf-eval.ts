/**
 * The small part of Terraform's expression language that the synthesized stacks use, so the e2e run
 * can apply them without Terraform: string templates (`${...}`, `$${` and `%%{` escapes) whose
 * expressions are traversals (`var.x`, `self.triggers.k`, `local_file.a.content_sha256`,
 * `data.external.b.result["ip"]`), string/number literals, lists, and the functions jsonencode,
 * sha256, substr and join. Anything else throws, naming the expression, so a new construct that
 * needs more is noticed instead of being applied wrongly.
 */
import { createHash } from "node:crypto";

export type TfValue = string | number | readonly TfValue[];

/** Looks up a traversal such as ["var", "dns_servers"]; throws when it is unknown. */
export type TraversalResolver = (path: readonly string[]) => TfValue;

type Node =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "list"; items: Node[] }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "traversal"; path: string[] };

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseAll(): Node {
    const node = this.expr();
    this.ws();
    if (this.pos !== this.src.length) this.fail(`unexpected ${JSON.stringify(this.src.slice(this.pos, this.pos + 10))}`);
    return node;
  }

  private fail(what: string): never {
    throw new Error(`unsupported Terraform expression ${JSON.stringify(this.src)}: ${what} at offset ${this.pos}`);
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  private peek(): string {
    this.ws();
    return this.src[this.pos] ?? "";
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  private ident(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail("expected a name");
    this.pos += m[0].length;
    return m[0];
  }

  private stringLiteral(): string {
    this.expect('"');
    let out = "";
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos++];
      if (ch === '"') return out;
      if (ch === "\\") {
        const next = this.src[this.pos++];
        const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (next === undefined || !(next in escapes)) this.fail("unsupported escape in a string");
        out += escapes[next];
      } else if (ch === "$" && this.src[this.pos] === "{") {
        this.fail("nested template in a string");
      } else out += ch;
    }
    return this.fail("unterminated string");
  }

  private list(open: string, close: string): Node[] {
    this.expect(open);
    const items: Node[] = [];
    if (this.peek() === close) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.expr());
      const ch = this.peek();
      this.pos++;
      if (ch === close) return items;
      if (ch !== ",") this.fail(`expected ',' or '${close}'`);
    }
  }

  private expr(): Node {
    const ch = this.peek();
    if (ch === '"') return { kind: "string", value: this.stringLiteral() };
    if (ch === "[") return { kind: "list", items: this.list("[", "]") };
    if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+/.exec(this.src.slice(this.pos)) as RegExpExecArray;
      this.pos += m[0].length;
      return { kind: "number", value: Number(m[0]) };
    }
    const name = this.ident();
    if (this.peek() === "(") return { kind: "call", name, args: this.list("(", ")") };
    const path = [name];
    for (;;) {
      const next = this.peek();
      if (next === ".") {
        this.pos++;
        path.push(this.ident());
      } else if (next === "[") {
        this.pos++;
        if (this.peek() !== '"') this.fail("only [\"key\"] indexes are supported");
        path.push(this.stringLiteral());
        this.expect("]");
      } else return { kind: "traversal", path };
    }
  }
}

function asString(v: TfValue, what: string): string {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") throw new Error(`${what} needs a string, got a list`);
  return v;
}

function asNumber(v: TfValue, what: string): number {
  if (typeof v !== "number") throw new Error(`${what} needs a number, got ${JSON.stringify(v)}`);
  return v;
}

function call(name: string, args: TfValue[], src: string): TfValue {
  const arity = (n: number) => {
    if (args.length !== n) throw new Error(`${name}() in ${JSON.stringify(src)} takes ${n} arguments, got ${args.length}`);
  };
  switch (name) {
    case "jsonencode":
      arity(1);
      return JSON.stringify(args[0]);
    case "sha256":
      arity(1);
      return createHash("sha256").update(asString(args[0], "sha256()"), "utf8").digest("hex");
    case "substr": {
      arity(3);
      // Terraform counts Unicode characters; the values hashed here are ASCII hex.
      const chars = [...asString(args[0], "substr()")];
      const offset = asNumber(args[1], "substr() offset");
      const length = asNumber(args[2], "substr() length");
      return chars.slice(offset, length < 0 ? undefined : offset + length).join("");
    }
    case "join": {
      arity(2);
      const list = args[1];
      if (!Array.isArray(list)) throw new Error(`join() in ${JSON.stringify(src)} needs a list as its second argument`);
      return list.map((v) => asString(v, "join()")).join(asString(args[0], "join() separator"));
    }
    default:
      throw new Error(`unsupported Terraform function ${name}() in ${JSON.stringify(src)}`);
  }
}

function evaluate(node: Node, resolve: TraversalResolver, src: string): TfValue {
  switch (node.kind) {
    case "string":
    case "number":
      return node.value;
    case "list":
      return node.items.map((n) => evaluate(n, resolve, src));
    case "traversal":
      return resolve(node.path);
    case "call":
      return call(
        node.name,
        node.args.map((n) => evaluate(n, resolve, src)),
        src,
      );
  }
}

/** Evaluates one expression (the text between `${` and `}`). */
export function evaluateExpression(src: string, resolve: TraversalResolver): TfValue {
  return evaluate(new Parser(src).parseAll(), resolve, src);
}

/** End of the `${...}` starting at `start` (the index of `$`): skips strings and nested brackets. */
function interpolationEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start + 2; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (ch === "{" || ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new Error(`unterminated \${ at offset ${start} in ${JSON.stringify(text.slice(start, start + 40))}`);
}

/**
 * Renders a Terraform string template. A template that is exactly one `${expr}` yields the value
 * itself (possibly a list), as Terraform does; otherwise every value is inserted as a string.
 */
export function renderTemplate(text: string, resolve: TraversalResolver): TfValue {
  if (text.startsWith("${") && interpolationEnd(text, 0) === text.length - 1) return evaluateExpression(text.slice(2, -1), resolve);
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
      out += `${text[i]}{`;
      i += 3;
    } else if (text.startsWith("${", i)) {
      const end = interpolationEnd(text, i);
      out += asString(evaluateExpression(text.slice(i + 2, end), resolve), `\${${text.slice(i + 2, end)}}`);
      i = end + 1;
    } else if (text.startsWith("%{", i)) {
      throw new Error(`template directive %{ at offset ${i} is not supported: ${JSON.stringify(text.slice(i, i + 40))}`);
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/** renderTemplate for places that must be a string (file contents, environment values). */
export function renderString(text: string, resolve: TraversalResolver, what: string): string {
  const v = renderTemplate(text, resolve);
  if (typeof v === "object") throw new Error(`${what} evaluates to a list, a string is needed`);
  return String(v);
}

/** Every `<type>.<name>` a JSON tree refers to (for ordering), e.g. "local_file.x", "data.external.y". */
export function referencesIn(value: unknown): Set<string> {
  const refs = new Set<string>();
  const visit = (v: unknown) => {
    if (typeof v === "string") {
      for (const m of v.matchAll(/\b(data\.[a-z_]+|null_resource|local_file)\.([A-Za-z0-9_-]+)/g)) refs.add(`${m[1]}.${m[2]}`);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") Object.values(v).forEach(visit);
  };
  visit(value);
  return refs;
}

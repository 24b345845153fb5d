/**
 * Terraform's template and expression language (HCL native syntax inside the strings of a JSON config),
 * for the subset our synthesized stacks use: a scanner + recursive-descent parser into a small AST, and
 * an evaluator that knows about values that are not known until apply (UNKNOWN).
 *
 * What HCL's JSON syntax says about strings (hashicorp/hcl json/spec.md, "Expression Evaluation"): every
 * JSON string in an expression position is a template; `${` starts an interpolation, `%{` a directive,
 * and `$${` / `%%{` are the literal `${` / `%{`. JSON already decoded the backslash escapes, so the
 * template text is taken verbatim; quoted strings INSIDE an interpolation are native-syntax templates and
 * do process `\n`, `\"`, `\\`, `\uNNNN`. A template made of exactly one interpolation returns the
 * value itself, with its type (HCL "template unwrapping"): `"${var.list}"` is a list.
 *
 * Anything outside the subset throws UnsupportedError ("unsupported: ..."), so a test notices when the
 * synthesized JSON grows beyond what this simulator reproduces.
 */
import * as crypto from "node:crypto";

// ---------------------------------------------------------------- values

/** A value Terraform knows only after apply ("(known after apply)" in a plan). */
export class Unknown {
  static readonly instance = new Unknown();
  /** A private member makes the class nominal: no other value is structurally an Unknown. */
  private readonly brand = "(known after apply)";
  private constructor() {}
  toString(): string {
    return this.brand;
  }
}
export const UNKNOWN = Unknown.instance;

export type Value = string | number | boolean | null | Unknown | Value[] | { [key: string]: Value };
export type ObjectValue = { [key: string]: Value };

const isUnknown = (v: unknown): v is Unknown => v === UNKNOWN;
export const isObject = (v: Value): v is ObjectValue =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isUnknown(v);

/**
 * Terraform tells a map (every element one type: `triggers`, an external data source's `result`, a
 * map-typed variable) from an object (a literal `{...}` in the configuration); most expressions do not
 * care, but a replace_triggered_by path does (cty's IndexStep applies to maps, GetAttrStep to objects).
 * A map is an ObjectValue carrying this hidden mark; copies and the state file do not keep it.
 */
const MAP_MARK = Symbol("map");

/** Marks `o` as a map (in place) and returns it. */
export function markMap<T extends ObjectValue>(o: T): T {
  Object.defineProperty(o, MAP_MARK, { value: true, enumerable: false });
  return o;
}

export const isMapValue = (v: Value | undefined): boolean =>
  v !== undefined && isObject(v) && (v as unknown as Record<symbol, unknown>)[MAP_MARK] === true;

/** True when no part of the value (nested elements included) is UNKNOWN. */
export function isWhollyKnown(v: Value): boolean {
  if (isUnknown(v)) return false;
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  if (isObject(v)) return Object.values(v).every(isWhollyKnown);
  return true;
}

/** Structural equality; an UNKNOWN anywhere makes the answer "not known to be equal" (false). */
export function valuesEqual(a: Value, b: Value): boolean {
  if (isUnknown(a) || isUnknown(b)) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]))
    );
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && valuesEqual(a[k], b[k]));
  }
  return a === b;
}

// ---------------------------------------------------------------- errors

/** An expression that Terraform would reject or that fails at evaluation (what `can()` turns into false). */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

/** Terraform accepts it, this simulator does not reproduce it. Never swallowed by `can()`. */
export class UnsupportedError extends Error {
  constructor(what: string) {
    super(`unsupported: ${what}`);
    this.name = "UnsupportedError";
  }
}

// ---------------------------------------------------------------- AST

export type Step =
  { readonly kind: "attr"; readonly name: string } | { readonly kind: "index"; readonly key: Expr };

export type Expr =
  | { readonly kind: "literal"; readonly value: Value }
  | { readonly kind: "template"; readonly parts: readonly (string | Expr)[] }
  | { readonly kind: "traversal"; readonly root: string; readonly steps: readonly Step[] }
  | { readonly kind: "postfix"; readonly target: Expr; readonly steps: readonly Step[] }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: "tuple"; readonly items: readonly Expr[] }
  | { readonly kind: "object"; readonly items: readonly { readonly key: Expr; readonly value: Expr }[] }
  | {
      readonly kind: "for";
      readonly keyVar?: string;
      readonly valueVar: string;
      readonly collection: Expr;
      readonly body: Expr;
      readonly cond?: Expr;
    }
  | { readonly kind: "unary"; readonly op: "!" | "-"; readonly operand: Expr }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "conditional"; readonly cond: Expr; readonly then: Expr; readonly else: Expr };

type BinaryOp = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";

// ---------------------------------------------------------------- scanner

type Token =
  | { kind: "ident"; text: string; start: number; end: number }
  | { kind: "number"; value: number; start: number; end: number }
  | { kind: "string"; template: Expr; start: number; end: number }
  | { kind: "punct"; text: string; start: number; end: number }
  | { kind: "eof"; start: number; end: number };

// Longest first, so "<=" wins over "<".
const PUNCTUATION = [
  "...",
  "&&",
  "||",
  "==",
  "!=",
  "<=",
  ">=",
  "=>",
  "<<",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ".",
  ":",
  "?",
  "=",
  "!",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
];

// HCL identifiers: a letter or underscore, then letters, digits, underscores and dashes (so `a-b` is one name).
const isIdentStart = (c: string) => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_-]/.test(c);

/**
 * Scanner and parser in one: tokens are produced on demand from `pos`, because a quoted string token
 * contains a template whose interpolations are parsed recursively from the same source.
 */
class Parser {
  private pos = 0;
  private readonly tokenCache = new Map<number, Token>();

  constructor(private readonly src: string) {}

  fail(message: string, at = this.pos): never {
    throw new ExpressionError(
      `${message} at offset ${at} of ${JSON.stringify(this.src.length > 200 ? `${this.src.slice(0, 200)}…` : this.src)}`,
    );
  }

  // ------------------------------------------------ templates

  /**
   * A template up to `end` (exclusive) for a JSON string (`quoted` false: text verbatim), or up to the
   * closing `"` of a native quoted string (`quoted` true: backslash escapes processed).
   */
  parseTemplate(quoted: boolean): Expr {
    const parts: (string | Expr)[] = [];
    let text = "";
    const flush = () => {
      if (text !== "") parts.push(text);
      text = "";
    };
    for (;;) {
      if (this.pos >= this.src.length) {
        if (quoted) this.fail("unterminated quoted string");
        break;
      }
      const c = this.src[this.pos];
      if (quoted && c === '"') {
        this.pos++;
        break;
      }
      if (quoted && c === "\\") {
        text += this.escape();
        continue;
      }
      if (quoted && c === "\n") this.fail("newline in a quoted string");
      if (this.src.startsWith("$${", this.pos) || this.src.startsWith("%%{", this.pos)) {
        text += `${c}{`;
        this.pos += 3;
        continue;
      }
      if (this.src.startsWith("%{", this.pos))
        throw new UnsupportedError(`template directive %{...} in ${JSON.stringify(this.src)}`);
      if (this.src.startsWith("${", this.pos)) {
        flush();
        const open = this.pos;
        this.pos += 2;
        if (this.src[this.pos] === "~") throw new UnsupportedError("template strip marker ${~");
        const expr = this.parseExpression();
        const close = this.next();
        if (close.kind !== "punct" || close.text !== "}")
          this.fail(`expected "}" closing the interpolation opened at offset ${open}`, close.start);
        parts.push(expr);
        continue;
      }
      text += c;
      this.pos++;
    }
    flush();
    return { kind: "template", parts };
  }

  private escape(): string {
    const c = this.src[this.pos + 1];
    const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
    if (c !== undefined && simple[c] !== undefined) {
      this.pos += 2;
      return simple[c];
    }
    if (c === "u" || c === "U") {
      const len = c === "u" ? 4 : 8;
      const hex = this.src.slice(this.pos + 2, this.pos + 2 + len);
      if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) this.fail("invalid unicode escape");
      this.pos += 2 + len;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    return this.fail(`invalid escape sequence \\${c ?? ""}`);
  }

  // ------------------------------------------------ tokens

  private skipSpace(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") {
        this.pos++;
      } else if (c === "#" || this.src.startsWith("//", this.pos)) {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else if (this.src.startsWith("/*", this.pos)) {
        const end = this.src.indexOf("*/", this.pos + 2);
        if (end < 0) this.fail("unterminated comment");
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  peek(): Token {
    this.skipSpace();
    const start = this.pos;
    const cached = this.tokenCache.get(start);
    if (cached) return cached;
    const token = this.scan(start);
    this.tokenCache.set(start, token);
    this.pos = start; // scanning a string moved pos; peeking must not
    return token;
  }

  next(): Token {
    const token = this.peek();
    this.pos = token.end;
    return token;
  }

  private scan(start: number): Token {
    const src = this.src;
    if (start >= src.length) return { kind: "eof", start, end: start };
    const c = src[start];
    if (isIdentStart(c)) {
      let end = start + 1;
      while (end < src.length && isIdentPart(src[end])) end++;
      return { kind: "ident", text: src.slice(start, end), start, end };
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(start))!;
      return { kind: "number", value: Number(m[0]), start, end: start + m[0].length };
    }
    if (c === '"') {
      this.pos = start + 1;
      const template = this.parseTemplate(true);
      return { kind: "string", template, start, end: this.pos };
    }
    if (c === "~") throw new UnsupportedError("template strip markers (~)");
    const punct = PUNCTUATION.find((p) => src.startsWith(p, start));
    if (punct === undefined) return this.fail(`unexpected character ${JSON.stringify(c)}`, start);
    if (punct === "<<") throw new UnsupportedError("heredoc strings");
    if (punct === "...") throw new UnsupportedError("argument expansion (...)");
    if (punct === "=>") throw new UnsupportedError("object for-expression grouping (=>)");
    return { kind: "punct", text: punct, start, end: start + punct.length };
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === "punct" && t.text === text;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.kind !== "punct" || t.text !== text) this.fail(`expected "${text}"`, t.start);
  }

  atEnd(): boolean {
    return this.peek().kind === "eof";
  }

  // ------------------------------------------------ expressions (HCL operator precedence)

  parseExpression(): Expr {
    const cond = this.parseBinary(0);
    if (!this.isPunct("?")) return cond;
    this.next();
    const then = this.parseExpression();
    this.expect(":");
    return { kind: "conditional", cond, then, else: this.parseExpression() };
  }

  private static readonly LEVELS: readonly (readonly BinaryOp[])[] = [
    ["||"],
    ["&&"],
    ["==", "!="],
    ["<", "<=", ">", ">="],
    ["+", "-"],
    ["*", "/", "%"],
  ];

  private parseBinary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct" || !(Parser.LEVELS[level] as readonly string[]).includes(t.text)) return left;
      this.next();
      left = { kind: "binary", op: t.text as BinaryOp, left, right: this.parseBinary(level + 1) };
    }
  }

  private parseUnary(): Expr {
    if (this.isPunct("!") || this.isPunct("-")) {
      const op = (this.next() as { text: "!" | "-" }).text;
      return { kind: "unary", op, operand: this.parseUnary() };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(target: Expr): Expr {
    const steps: Step[] = [];
    for (;;) {
      if (this.isPunct(".")) {
        this.next();
        const t = this.next();
        if (t.kind === "punct" && t.text === "*") throw new UnsupportedError("splat expressions (.*)");
        if (t.kind === "number") throw new UnsupportedError("legacy index syntax (.0)");
        if (t.kind !== "ident") this.fail('expected an attribute name after "."', t.start);
        steps.push({ kind: "attr", name: t.text });
      } else if (this.isPunct("[")) {
        this.next();
        if (this.isPunct("*")) throw new UnsupportedError("splat expressions ([*])");
        steps.push({ kind: "index", key: this.parseExpression() });
        this.expect("]");
      } else {
        break;
      }
    }
    if (steps.length === 0) return target;
    if (target.kind === "traversal") return { ...target, steps: [...target.steps, ...steps] };
    return { kind: "postfix", target, steps };
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "number":
        return { kind: "literal", value: t.value };
      case "string":
        return t.template;
      case "ident": {
        if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
        if (t.text === "null") return { kind: "literal", value: null };
        if (this.isPunct("(")) return this.parseCall(t.text);
        if (this.isPunct(":") && this.src.startsWith("::", this.peek().start))
          throw new UnsupportedError(`provider-defined function ${t.text}::...`);
        return { kind: "traversal", root: t.text, steps: [] };
      }
      case "punct":
        if (t.text === "(") {
          const inner = this.parseExpression();
          this.expect(")");
          return inner;
        }
        if (t.text === "[") return this.parseTupleOrFor();
        if (t.text === "{") return this.parseObject();
        return this.fail(`unexpected "${t.text}"`, t.start);
      case "eof":
        return this.fail("unexpected end of expression", t.start);
    }
  }

  private parseCall(name: string): Expr {
    this.expect("(");
    const args: Expr[] = [];
    while (!this.isPunct(")")) {
      args.push(this.parseExpression());
      if (!this.isPunct(",")) break;
      this.next();
    }
    this.expect(")");
    return { kind: "call", name, args };
  }

  private parseTupleOrFor(): Expr {
    const t = this.peek();
    if (t.kind === "ident" && t.text === "for") {
      const after = this.src.slice(t.end).trimStart();
      if (isIdentStart(after[0] ?? "")) return this.parseFor();
    }
    const items: Expr[] = [];
    while (!this.isPunct("]")) {
      items.push(this.parseExpression());
      if (!this.isPunct(",")) break;
      this.next();
    }
    this.expect("]");
    return { kind: "tuple", items };
  }

  /** `[for v in coll : body]`, `[for k, v in coll : body if cond]` (the tuple form only). */
  private parseFor(): Expr {
    this.next(); // for
    const first = this.next();
    if (first.kind !== "ident") this.fail('expected a variable name after "for"', first.start);
    let keyVar: string | undefined;
    let valueVar = first.text;
    if (this.isPunct(",")) {
      this.next();
      const second = this.next();
      if (second.kind !== "ident") this.fail("expected a second variable name", second.start);
      keyVar = first.text;
      valueVar = second.text;
    }
    const inKw = this.next();
    if (inKw.kind !== "ident" || inKw.text !== "in") this.fail('expected "in"', inKw.start);
    const collection = this.parseExpression();
    this.expect(":");
    const body = this.parseExpression();
    let cond: Expr | undefined;
    const maybeIf = this.peek();
    if (maybeIf.kind === "ident" && maybeIf.text === "if") {
      this.next();
      cond = this.parseExpression();
    }
    this.expect("]");
    return { kind: "for", keyVar, valueVar, collection, body, cond };
  }

  /** `{ key = value, "key" = value, (expr) = value }`; items separated by commas or newlines. */
  private parseObject(): Expr {
    const t = this.peek();
    if (t.kind === "ident" && t.text === "for")
      throw new UnsupportedError("object for-expressions ({for ...})");
    const items: { key: Expr; value: Expr }[] = [];
    while (!this.isPunct("}")) {
      const k = this.peek();
      let key: Expr;
      if (k.kind === "ident") {
        this.next();
        key = { kind: "literal", value: k.text };
      } else {
        key = this.parseExpression();
      }
      if (!this.isPunct("=") && !this.isPunct(":")) this.fail('expected "=" or ":" after an object key');
      this.next();
      items.push({ key, value: this.parseExpression() });
      if (this.isPunct(",")) this.next();
    }
    this.expect("}");
    return { kind: "object", items };
  }
}

// ---------------------------------------------------------------- parse entry points

const templateCache = new Map<string, Expr>();

/** Parses a JSON string of the config as a template (cached: configs repeat the same strings). */
export function parseTemplate(text: string): Expr {
  let t = templateCache.get(text);
  if (!t) {
    t = new Parser(text).parseTemplate(false);
    templateCache.set(text, t);
  }
  return t;
}

/** Parses a bare expression, e.g. a TF_VAR_ value of a complex type or a validation condition without ${}. */
export function parseExpression(text: string): Expr {
  const p = new Parser(text);
  const expr = p.parseExpression();
  if (!p.atEnd()) p.fail("unexpected text after the expression");
  return expr;
}

/** True when the string needs evaluating (holds an interpolation, a directive or an escape). */
function hasTemplateSyntax(text: string): boolean {
  return text.includes("${") || text.includes("%{");
}

// ---------------------------------------------------------------- references

/** A static reference: root name, then the attribute names (and literal string/number keys) that follow. */
export interface Reference {
  readonly root: string;
  readonly path: readonly string[];
}

/** Every reference an expression makes, except to for-expression variables. */
export function referencesOf(expr: Expr): Reference[] {
  const out: Reference[] = [];
  const walk = (e: Expr, bound: ReadonlySet<string>): void => {
    switch (e.kind) {
      case "literal":
        return;
      case "template":
        for (const p of e.parts) if (typeof p !== "string") walk(p, bound);
        return;
      case "traversal": {
        if (!bound.has(e.root)) {
          const path: string[] = [];
          for (const s of e.steps) {
            if (s.kind === "attr") path.push(s.name);
            else if (
              s.key.kind === "literal" &&
              (typeof s.key.value === "string" || typeof s.key.value === "number")
            )
              path.push(String(s.key.value));
            else if (
              s.key.kind === "template" &&
              s.key.parts.length === 1 &&
              typeof s.key.parts[0] === "string"
            )
              path.push(s.key.parts[0]);
            else break;
          }
          out.push({ root: e.root, path });
        }
        for (const s of e.steps) if (s.kind === "index") walk(s.key, bound);
        return;
      }
      case "postfix":
        walk(e.target, bound);
        for (const s of e.steps) if (s.kind === "index") walk(s.key, bound);
        return;
      case "call":
        e.args.forEach((a) => walk(a, bound));
        return;
      case "tuple":
        e.items.forEach((a) => walk(a, bound));
        return;
      case "object":
        e.items.forEach((i) => (walk(i.key, bound), walk(i.value, bound)));
        return;
      case "for": {
        walk(e.collection, bound);
        const inner = new Set([...bound, e.valueVar, ...(e.keyVar ? [e.keyVar] : [])]);
        walk(e.body, inner);
        if (e.cond) walk(e.cond, inner);
        return;
      }
      case "unary":
        walk(e.operand, bound);
        return;
      case "binary":
        walk(e.left, bound);
        walk(e.right, bound);
        return;
      case "conditional":
        walk(e.cond, bound);
        walk(e.then, bound);
        walk(e.else, bound);
        return;
    }
  };
  walk(expr, new Set());
  return out;
}

/** Every reference in every string of a JSON tree (config block bodies). */
export function referencesInJson(value: unknown): Reference[] {
  if (typeof value === "string") return hasTemplateSyntax(value) ? referencesOf(parseTemplate(value)) : [];
  if (Array.isArray(value)) return value.flatMap(referencesInJson);
  if (value && typeof value === "object") return Object.values(value).flatMap(referencesInJson);
  return [];
}

// ---------------------------------------------------------------- evaluation

/**
 * Where names come from. `lookup(root)` returns the value of a root name (`var` -> object of variables,
 * `null_resource` -> object of that type's resources by name, `data` -> object by type, `self`), or
 * undefined when the caller does not offer that name (reported as unsupported).
 */
export interface EvalScope {
  readonly lookup: (root: string) => Value | undefined;
}

export function evaluate(expr: Expr, scope: EvalScope): Value {
  return new Evaluator(scope).eval(expr, new Map());
}

/** Evaluates every string of a JSON tree as a template; other JSON values are taken as they are. */
export function evaluateJson(value: unknown, scope: EvalScope): Value {
  if (typeof value === "string")
    return hasTemplateSyntax(value) ? evaluate(parseTemplate(value), scope) : value;
  if (Array.isArray(value)) return value.map((v) => evaluateJson(v, scope));
  if (value && typeof value === "object") {
    const out: ObjectValue = {};
    for (const [k, v] of Object.entries(value)) {
      if (hasTemplateSyntax(k))
        throw new UnsupportedError(`template in an object key (${JSON.stringify(k)})`);
      out[k] = evaluateJson(v, scope);
    }
    return out;
  }
  if (value === undefined) return null;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  throw new UnsupportedError(`JSON value of type ${typeof value}`);
}

const typeName = (v: Value): string =>
  isUnknown(v)
    ? "unknown"
    : v === null
      ? "null"
      : Array.isArray(v)
        ? "list"
        : typeof v === "object"
          ? "object"
          : typeof v;

/** HCL's automatic conversion to string (numbers and bools convert; null and collections do not). */
function toStringValue(v: Value, what: string): string | Unknown {
  if (isUnknown(v)) return v;
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) throw new ExpressionError(`${what}: the value is null`);
  throw new ExpressionError(`${what}: string required, got ${typeName(v)}`);
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new ExpressionError(`number ${n} cannot be represented`);
  return String(n);
}

function toNumber(v: Value, what: string): number | Unknown {
  if (isUnknown(v)) return v;
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(v.trim())) return Number(v);
  throw new ExpressionError(`${what}: number required, got ${typeName(v)}`);
}

function toBool(v: Value, what: string): boolean | Unknown {
  if (isUnknown(v)) return v;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new ExpressionError(`${what}: bool required, got ${typeName(v)}`);
}

class Evaluator {
  constructor(private readonly scope: EvalScope) {}

  eval(e: Expr, locals: ReadonlyMap<string, Value>): Value {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "template":
        return this.template(e.parts, locals);
      case "traversal": {
        const value: Value | undefined = locals.has(e.root) ? locals.get(e.root) : this.scope.lookup(e.root);
        if (value === undefined)
          throw new UnsupportedError(
            `reference to ${JSON.stringify(e.root)} (${describeTraversal(e.root, e.steps)})`,
          );
        return this.steps(value, e.steps, e.root, locals);
      }
      case "postfix":
        return this.steps(this.eval(e.target, locals), e.steps, "(expression)", locals);
      case "call":
        return this.call(e.name, e.args, locals);
      case "tuple":
        return e.items.map((i) => this.eval(i, locals));
      case "object": {
        const out: ObjectValue = {};
        for (const item of e.items) {
          const k = toStringValue(this.eval(item.key, locals), "object key");
          if (isUnknown(k)) return UNKNOWN;
          out[k] = this.eval(item.value, locals);
        }
        return out;
      }
      case "for":
        return this.forExpr(e, locals);
      case "unary": {
        const v = this.eval(e.operand, locals);
        if (e.op === "!") {
          const b = toBool(v, "operand of !");
          return isUnknown(b) ? b : !b;
        }
        const n = toNumber(v, "operand of unary -");
        return isUnknown(n) ? n : -n;
      }
      case "binary":
        return this.binary(e.op, this.eval(e.left, locals), this.eval(e.right, locals));
      case "conditional": {
        const c = toBool(this.eval(e.cond, locals), "condition of ? :");
        if (isUnknown(c)) return UNKNOWN;
        return this.eval(c ? e.then : e.else, locals);
      }
    }
  }

  private template(parts: readonly (string | Expr)[], locals: ReadonlyMap<string, Value>): Value {
    // A lone interpolation keeps the value's type (HCL template unwrapping).
    if (parts.length === 1 && typeof parts[0] !== "string") return this.eval(parts[0], locals);
    let out = "";
    let unknown = false;
    for (const p of parts) {
      if (typeof p === "string") {
        out += p;
        continue;
      }
      const v = this.eval(p, locals);
      if (v === null)
        throw new ExpressionError("invalid template interpolation value: the expression result is null");
      const s = toStringValue(v, "cannot include the given value in a string template");
      if (isUnknown(s)) unknown = true;
      else out += s;
    }
    return unknown ? UNKNOWN : out;
  }

  private steps(
    start: Value,
    steps: readonly Step[],
    rootName: string,
    locals: ReadonlyMap<string, Value>,
  ): Value {
    let value = start;
    let where = rootName;
    for (const step of steps) {
      if (isUnknown(value)) return UNKNOWN;
      if (step.kind === "attr") {
        where += `.${step.name}`;
        if (!isObject(value))
          throw new ExpressionError(
            `unsupported attribute: ${where} (the value is ${typeName(value)}, not an object)`,
          );
        if (!Object.prototype.hasOwnProperty.call(value, step.name))
          throw new ExpressionError(`unsupported attribute: ${where} does not exist`);
        value = value[step.name];
      } else {
        const key = this.eval(step.key, locals);
        if (isUnknown(key)) return UNKNOWN;
        where += `[${JSON.stringify(key)}]`;
        if (Array.isArray(value)) {
          const i = toNumber(key, `index ${where}`) as number;
          if (!Number.isInteger(i) || i < 0 || i >= value.length)
            throw new ExpressionError(`invalid index: ${where} is out of range (length ${value.length})`);
          value = value[i];
        } else if (isObject(value)) {
          const k = toStringValue(key, `key ${where}`) as string;
          if (!Object.prototype.hasOwnProperty.call(value, k))
            throw new ExpressionError(
              `invalid index: ${where}: the map has no element with key ${JSON.stringify(k)}`,
            );
          value = value[k];
        } else {
          throw new ExpressionError(`invalid index: ${where} (the value is ${typeName(value)})`);
        }
      }
    }
    return value;
  }

  private forExpr(e: Extract<Expr, { kind: "for" }>, locals: ReadonlyMap<string, Value>): Value {
    const coll = this.eval(e.collection, locals);
    if (isUnknown(coll)) return UNKNOWN;
    let entries: [Value, Value][];
    if (Array.isArray(coll)) entries = coll.map((v, i) => [i, v]);
    else if (isObject(coll))
      entries = Object.keys(coll)
        .sort()
        .map((k) => [k, coll[k]]);
    else throw new ExpressionError(`for expression: cannot iterate over ${typeName(coll)}`);
    const out: Value[] = [];
    for (const [k, v] of entries) {
      const inner = new Map(locals);
      inner.set(e.valueVar, v);
      if (e.keyVar) inner.set(e.keyVar, k);
      if (e.cond) {
        const c = toBool(this.eval(e.cond, inner), "for expression condition");
        if (isUnknown(c)) return UNKNOWN;
        if (!c) continue;
      }
      out.push(this.eval(e.body, inner));
    }
    return out;
  }

  private binary(op: BinaryOp, l: Value, r: Value): Value {
    switch (op) {
      case "==":
      case "!=": {
        if (!isWhollyKnown(l) || !isWhollyKnown(r)) return UNKNOWN;
        const eq = valuesEqual(l, r);
        return op === "==" ? eq : !eq;
      }
      case "&&":
      case "||": {
        const a = toBool(l, `left operand of ${op}`);
        const b = toBool(r, `right operand of ${op}`);
        if (op === "&&" && (a === false || b === false)) return false;
        if (op === "||" && (a === true || b === true)) return true;
        if (isUnknown(a) || isUnknown(b)) return UNKNOWN;
        return op === "&&" ? a && b : a || b;
      }
      default: {
        const a = toNumber(l, `left operand of ${op}`);
        const b = toNumber(r, `right operand of ${op}`);
        if (isUnknown(a) || isUnknown(b)) return UNKNOWN;
        switch (op) {
          case "<":
            return a < b;
          case "<=":
            return a <= b;
          case ">":
            return a > b;
          case ">=":
            return a >= b;
          case "+":
            return a + b;
          case "-":
            return a - b;
          case "*":
            return a * b;
          case "/":
            if (b === 0) throw new ExpressionError("division by zero");
            return a / b;
          case "%":
            if (b === 0) throw new ExpressionError("modulo by zero");
            return a % b;
        }
      }
    }
  }

  private call(name: string, argExprs: readonly Expr[], locals: ReadonlyMap<string, Value>): Value {
    if (name === "can") {
      // can() needs its argument unevaluated: an evaluation error means false (Terraform docs, "can Function").
      if (argExprs.length !== 1) throw new ExpressionError("can: takes exactly one argument");
      try {
        const v = this.eval(argExprs[0], locals);
        return isWhollyKnown(v) ? true : UNKNOWN;
      } catch (err) {
        if (err instanceof ExpressionError) return false;
        throw err;
      }
    }
    const fn = FUNCTIONS[name];
    if (!fn) throw new UnsupportedError(`function ${name}()`);
    const args = argExprs.map((a) => this.eval(a, locals));
    if (fn.arity !== undefined && args.length !== fn.arity)
      throw new ExpressionError(`${name}: takes ${fn.arity} arguments, got ${args.length}`);
    if (!args.every(isWhollyKnown)) return UNKNOWN;
    return fn.impl(args);
  }
}

function describeTraversal(root: string, steps: readonly Step[]): string {
  return root + steps.map((s) => (s.kind === "attr" ? `.${s.name}` : "[...]")).join("");
}

// ---------------------------------------------------------------- functions
// Only the functions the synthesized stacks call (grep "[a-z0-9]+(" in cdk.tf.json), with Terraform's
// documented behaviour (developer.hashicorp.com/terraform/language/functions/<name>).

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/** Terraform counts and slices strings by grapheme cluster (length, substr docs). */
const graphemes = (s: string): string[] => Array.from(segmenter.segment(s), (x) => x.segment);

function str(v: Value, what: string): string {
  return toStringValue(v, what) as string; // callers only pass wholly known values
}

/** jsonencode: compact JSON, object keys sorted, and <, >, &, U+2028, U+2029 escaped as \uNNNN (jsonencode docs). */
function jsonEncode(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "string") {
    return JSON.stringify(v).replace(
      /[<>&\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return `[${v.map(jsonEncode).join(",")}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${jsonEncode(k)}:${jsonEncode(v[k])}`)
      .join(",")}}`;
  throw new ExpressionError("jsonencode: value is not known");
}

/** RE2 syntax as Terraform takes it, mapped to a JS RegExp for the constructs the two share. */
function compileRe2(pattern: string): RegExp {
  if (/\(\?(?!P<)[a-zA-Z]/.test(pattern))
    throw new UnsupportedError(`regex flag groups (?flags) in ${JSON.stringify(pattern)}`);
  try {
    return new RegExp(pattern.replace(/\(\?P</g, "(?<"), "u");
  } catch (err) {
    throw new ExpressionError(`regex: invalid pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

const FUNCTIONS: Record<string, { arity?: number; impl: (args: Value[]) => Value }> = {
  jsonencode: { arity: 1, impl: ([v]) => jsonEncode(v) },
  join: {
    impl: (args) => {
      if (args.length < 2) throw new ExpressionError("join: needs a separator and at least one list");
      const sep = str(args[0], "join separator");
      const items: string[] = [];
      for (const list of args.slice(1)) {
        if (!Array.isArray(list)) throw new ExpressionError(`join: list required, got ${typeName(list)}`);
        for (const item of list) {
          if (item === null) throw new ExpressionError("join: an element of the list is null");
          items.push(str(item, "join element"));
        }
      }
      return items.join(sep);
    },
  },
  substr: {
    arity: 3,
    impl: ([s, off, len]) => {
      const chars = graphemes(str(s, "substr string"));
      let offset = toNumber(off, "substr offset") as number;
      const length = toNumber(len, "substr length") as number;
      if (!Number.isInteger(offset) || !Number.isInteger(length))
        throw new ExpressionError("substr: offset and length must be whole numbers");
      if (offset < 0) offset = Math.max(0, chars.length + offset);
      if (offset >= chars.length) return "";
      return (length < 0 ? chars.slice(offset) : chars.slice(offset, offset + length)).join("");
    },
  },
  floor: {
    arity: 1,
    impl: ([n]) => Math.floor(toNumber(n, "floor argument") as number),
  },
  sha256: {
    arity: 1,
    impl: ([s]) => crypto.createHash("sha256").update(str(s, "sha256 argument"), "utf8").digest("hex"),
  },
  length: {
    arity: 1,
    impl: ([v]) => {
      if (typeof v === "string") return graphemes(v).length;
      if (Array.isArray(v)) return v.length;
      if (isObject(v)) return Object.keys(v).length;
      throw new ExpressionError(`length: string, list or map required, got ${typeName(v)}`);
    },
  },
  regex: {
    arity: 2,
    impl: ([p, s]) => {
      const re = compileRe2(str(p, "regex pattern"));
      const m = re.exec(str(s, "regex string"));
      if (!m) throw new ExpressionError("regex: pattern did not match any part of the given string");
      const groupCount = m.length - 1;
      if (groupCount === 0) return m[0];
      const named = m.groups ? Object.keys(m.groups) : [];
      if (named.length === 0) return m.slice(1).map((g) => (g === undefined ? null : g));
      if (named.length !== groupCount)
        throw new ExpressionError("regex: pattern mixes named and unnamed capture groups");
      return Object.fromEntries(named.map((n) => [n, m.groups![n] ?? null]));
    },
  },
  alltrue: {
    arity: 1,
    impl: ([list]) => {
      if (!Array.isArray(list)) throw new ExpressionError(`alltrue: list required, got ${typeName(list)}`);
      return list.every((item) => {
        if (item === null) throw new ExpressionError("alltrue: an element is null");
        return toBool(item, "alltrue element") === true;
      });
    },
  },
};

/**
 * Text that ends up inside a Terraform string (a `local_file` content, a provisioner argument) is a
 * Terraform string *template*: `${...}` interpolates and `%{...}` is a directive. Renderers produce such
 * text from literal parts (which must be escaped) and Terraform expressions (which must not be).
 */

/** A string known at synth time, or a Terraform expression (without `${}`) evaluating to a string. */
export type TextValue = { readonly literal: string } | { readonly expression: string };

/** A list of strings known at synth time, or a Terraform expression evaluating to list(string). */
export type ListValue = { readonly literal: readonly string[] } | { readonly expression: string };

/**
 * Makes literal text safe inside a Terraform string template: `${` -> `$${` and `%{` -> `%%{`, so
 * Terraform renders the original characters. Never apply it to inserted expressions.
 */
export function escapeTerraformText(text: string): string {
  // Function replacements: in a replacement string "$$" would itself mean a single "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/**
 * What Terraform does to rendered template text, for the subset renderers emit: `$${` -> `${`,
 * `%%{` -> `%{`, `${var.x}` -> the string value, `${jsonencode(var.x)}` -> JSON of the value.
 * `values` is keyed by variable name (`apt_proxy_url`) or by a whole expression (`random_id.x.hex`).
 * Anything else (an unknown variable, a directive, an unterminated `${`) throws: never a half-rendered file.
 */
export function resolveTerraformText(
  text: string,
  values: Readonly<Record<string, string | readonly string[]>>,
): string {
  const lookup = (expr: string): string | readonly string[] => {
    if (Object.prototype.hasOwnProperty.call(values, expr)) return values[expr];
    const name = /^var\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(expr)?.[1];
    if (name !== undefined && Object.prototype.hasOwnProperty.call(values, name)) return values[name];
    throw new Error(`resolveTerraformText: no value for expression ${JSON.stringify(expr)}`);
  };
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
      out += text[i] + "{";
      i += 3;
    } else if (text.startsWith("${", i)) {
      const end = text.indexOf("}", i + 2);
      if (end < 0) throw new Error(`resolveTerraformText: unterminated \${ at offset ${i}`);
      const expr = text.slice(i + 2, end).trim();
      const json = /^jsonencode\((.+)\)$/.exec(expr);
      if (json) {
        out += JSON.stringify(lookup(json[1].trim()));
      } else {
        const value = lookup(expr);
        if (typeof value !== "string")
          throw new Error(`resolveTerraformText: ${expr} is a list; interpolate it with jsonencode()`);
        out += value;
      }
      i = end + 1;
    } else if (text.startsWith("%{", i)) {
      throw new Error(`resolveTerraformText: template directive at offset ${i} is not supported`);
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/** Checks an expression handed to a renderer: bare HCL, one line (the renderer adds `${}` itself). */
export function checkExpression(expression: string): string {
  if (expression.trim() === "" || /[\r\n]/.test(expression) || expression.includes("${")) {
    throw new Error(
      `invalid Terraform expression ${JSON.stringify(expression)}: pass a one-line expression without \${} such as "var.apt_proxy_url"`,
    );
  }
  return expression;
}

const SLOT_PREFIX = "zzTfSlot";

type SlotKind = "text" | "list" | "raw";

interface Slot {
  readonly kind: SlotKind;
  readonly replacement: string;
}

/**
 * Placeholders for Terraform expressions inside a document that is built and serialized by other code
 * (e.g. the `yaml` package). Each `text`/`list`/`raw` call returns a unique plain-alphanumeric sentinel
 * that survives any serializer unchanged; `finish` escapes the serialized literal text and only then
 * swaps the sentinels for their expressions, so expressions are never escaped and literals always are.
 * Deterministic: sentinels are numbered, and `finish` refuses input that already contained one.
 */
export class ExpressionSlots {
  private readonly slots = new Map<string, Slot>();

  /** A string expression: becomes `${expr}`. */
  text(expression: string): string {
    return this.add("text", `\${${checkExpression(expression)}}`);
  }

  /** A list(string) expression where a YAML/JSON sequence is expected: becomes `${jsonencode(expr)}`. */
  list(expression: string): string {
    return this.add("list", `\${jsonencode(${checkExpression(expression)})}`);
  }

  /** Text that is already a Terraform template (the caller escaped its literal parts): inserted as is. */
  raw(templateText: string): string {
    return this.add("raw", templateText);
  }

  /** Which kind of slot `value` is exactly (the whole string), if any. */
  kindOf(value: string): SlotKind | undefined {
    return this.slots.get(value)?.kind;
  }

  /** Sentinels of list slots contained in `value` (list slots are only valid as a whole value). */
  listSlotsIn(value: string): string[] {
    return [...this.slots.entries()]
      .filter(([s, slot]) => slot.kind === "list" && value.includes(s))
      .map(([s]) => s);
  }

  /** True when `value` contains text that looks like one of our sentinels (collision guard). */
  static looksLikeSentinel(value: string): boolean {
    return value.includes(SLOT_PREFIX);
  }

  /** Escapes the serialized document's literal text, then inserts the expressions. */
  finish(serialized: string): string {
    let leftover = serialized;
    for (const sentinel of this.slots.keys()) leftover = leftover.split(sentinel).join("");
    if (ExpressionSlots.looksLikeSentinel(leftover)) {
      throw new Error(
        `rendered text contains the reserved marker "${SLOT_PREFIX}" outside an expression slot: remove it from the template`,
      );
    }
    let out = escapeTerraformText(serialized);
    for (const [sentinel, slot] of this.slots) out = out.split(sentinel).join(slot.replacement);
    return out;
  }

  private add(kind: SlotKind, replacement: string): string {
    // Letters around the number so that no sentinel is a prefix of another (zzTfSlot1z vs zzTfSlot10z).
    const sentinel = `${SLOT_PREFIX}${this.slots.size}z`;
    this.slots.set(sentinel, { kind, replacement });
    return sentinel;
  }
}

/** A value inserted into rendered text: plain text (escaped), a number, or a TextValue. */
export type TemplatePart = string | number | TextValue;

/** The Terraform template text of one value: escaped literal, or `${expression}`. */
export function templateTextOf(value: TemplatePart): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return escapeTerraformText(value);
  return "literal" in value ? escapeTerraformText(value.literal) : `\${${checkExpression(value.expression)}}`;
}

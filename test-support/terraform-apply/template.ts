/**
 * A template as Terraform evaluates it: any JSON string of the configuration (a `local_file`'s content,
 * a trigger), with this interpreter's own parser and evaluator (./expressions.ts), so rendered text is
 * checked against the same model of Terraform that applies the stacks. (Not a test file.)
 */
import { evaluate, ExpressionError, ObjectValue, parseTemplate, Value } from "./expressions";

/** A plain JS value as an expression value (test input: strings, numbers, lists, objects). */
function toValue(v: unknown, where: string): Value {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (Array.isArray(v)) return v.map((x, i) => toValue(x, `${where}[${i}]`));
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, toValue(x, `${where}.${k}`)]),
    ) as ObjectValue;
  throw new ExpressionError(`${where}: ${String(v)} is not a value a template can use`);
}

/**
 * `text` evaluated as Terraform evaluates a JSON string of the configuration. `roots` gives what it may
 * read, by root name: `var` (the variables by name), or a resource type (`{ random_id: { x: { hex } } }`).
 * A reference to anything else, a directive or a result that is not a string throws.
 */
export function renderTemplate(text: string, roots: Readonly<Record<string, unknown>>): string {
  const values = toValue(roots, "values") as ObjectValue;
  const result = evaluate(parseTemplate(text), {
    lookup: (root) => (Object.prototype.hasOwnProperty.call(values, root) ? values[root] : undefined),
  });
  if (typeof result !== "string")
    throw new ExpressionError(
      `the template gives ${Array.isArray(result) ? "a list" : typeof result}, not a string: interpolate a list with jsonencode()`,
    );
  return result;
}

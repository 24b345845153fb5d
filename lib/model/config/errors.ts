/** One problem in the user's config: where, what was given, and what to do about it. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `vms[2].name`. */
  readonly field: string;
  /** The offending value, as given (undefined when the field is missing). */
  readonly value: unknown;
  /** What is wrong and how to fix it. */
  readonly problem: string;
}

function show(value: unknown): string {
  if (value === undefined) return "";
  // JSON would print NaN and Infinity (YAML's .nan and .inf) as null.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatIssue(issue: ConfigIssue): string {
  const shown = show(issue.value);
  return `${issue.field || "(top level)"}${shown ? ` = ${shown}` : ""}: ${issue.problem}`;
}

/** Thrown before anything is synthesized or touched when the config is invalid. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `${source} is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}); nothing was changed:\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    "",
  );
}

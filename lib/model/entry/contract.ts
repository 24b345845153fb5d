/**
 * The typed contract of one Terraform entry point (scripts/<name>.ts): its environment keys, their
 * types and defaults, declared once. The construct builds the provisioner's `environment` with
 * `environment()`, the script reads it with `parse()`, so a key or a default cannot drift between the
 * two. Pure: the script passes `process.env` in. An `external` data source's query is the same kind of
 * string map (input "query"): `environment()` builds the `query`, `parse()` reads the JSON on stdin.
 */

export class EntryInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EntryInputError";
  }
}

interface FieldBase {
  /** Set by the construct from Terraform (`terraform`), or by the user's shell (`host`, never in the JSON). */
  readonly from: "terraform" | "host";
}
export interface TextField extends FieldBase {
  readonly type: "text";
  readonly required: boolean;
}
export interface IntField extends FieldBase {
  readonly type: "int";
  readonly min: number;
  readonly max: number;
  /** Used when the construct leaves the value out (or the variable is unset or empty). */
  readonly default?: number;
  /** Without a default: may be left out (the script decides whether it needs it). */
  readonly optional?: boolean;
}
export type Field = TextField | IntField;
export type Fields = Readonly<Record<string, Field>>;

/** A value the construct passes: a Terraform expression or literal for text, a number (or its expression) for int. */
type ConstructValue<F extends Field> = F extends IntField ? number | string : string;

type TerraformKeys<F extends Fields> = {
  [K in keyof F]: F[K]["from"] extends "terraform" ? K : never;
}[keyof F];
type RequiredKeys<F extends Fields> = {
  [K in TerraformKeys<F>]: F[K] extends TextField
    ? F[K]["required"] extends true
      ? K
      : never
    : F[K] extends { default: number } | { optional: true }
      ? never
      : K;
}[TerraformKeys<F>];

/** What a construct must (and may) give: exactly the contract's Terraform keys. */
export type EnvironmentValues<F extends Fields> = { [K in RequiredKeys<F>]: ConstructValue<F[K]> } & {
  [K in Exclude<TerraformKeys<F>, RequiredKeys<F>>]?: ConstructValue<F[K]>;
};

type ParsedValue<F extends Field> = F extends IntField
  ? F extends { optional: true }
    ? number | undefined
    : number
  : F extends { required: true }
    ? string
    : string | undefined;

/** What the script reads: every key, typed, defaults applied, optional text `undefined` when unset. */
export type ParsedEnvironment<F extends Fields> = { readonly [K in keyof F]: ParsedValue<F[K]> };

/** Text Terraform always passes. */
export const text = () => ({ type: "text", required: true, from: "terraform" }) as const;
/** Text Terraform may pass empty or leave out. */
export const optionalText = () => ({ type: "text", required: false, from: "terraform" }) as const;
/** Text only the user's shell sets (an override), never part of the synthesized JSON. */
export const hostText = () => ({ type: "text", required: false, from: "host" }) as const;
/** A whole number Terraform passes, `min`..`max`; without a default the construct must give it. */
export const int = (min: number, max: number) => ({ type: "int", from: "terraform", min, max }) as const;
/** A whole number Terraform may leave out. */
export const optionalInt = (min: number, max: number) =>
  ({ type: "int", from: "terraform", min, max, optional: true }) as const;
/** A whole number Terraform passes, with the default used when the construct leaves it out. */
export const intWithDefault = <D extends number>(defaultValue: D, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  ({ type: "int", from: "terraform", min, max, default: defaultValue }) as const;
/** A whole number only the user's shell (or a test) sets, with its default. */
export const hostInt = (defaultValue: number, min: number, max: number) =>
  ({ type: "int", from: "host", min, max, default: defaultValue }) as const;

/** Where the values travel: a provisioner's environment, or an external data source's query (stdin JSON). */
export type EntryInput = "environment" | "query";

export class EntryContract<F extends Fields> {
  constructor(
    /** The entry point: scripts/<entry>.ts, run as `scripts/run <entry>`. */
    readonly entry: string,
    readonly fields: F,
    /** @default "environment" */
    readonly input: EntryInput = "environment",
  ) {
    if (!/^[a-z][a-z0-9-]*$/.test(entry))
      throw new Error(
        `entry point name must be lower-case words joined by '-', got ${JSON.stringify(entry)}`,
      );
    for (const key of Object.keys(fields)) {
      if (input === "environment" && !/^[A-Z][A-Z0-9_]*$/.test(key))
        throw new Error(`${entry}: key ${key} is not an environment variable name`);
      if (input === "query" && !/^[a-z][a-z0-9_]*$/.test(key))
        throw new Error(`${entry}: query key ${key} must be lower_snake_case`);
    }
  }

  /** How errors name a key: the variable itself, or `query.<key>`. */
  private label(key: string): string {
    return this.input === "query" ? `query.${key}` : key;
  }

  /** The keys Terraform sets (cdktf sorts them in the synthesized `environment`). */
  get terraformKeys(): string[] {
    return Object.entries(this.fields)
      .filter(([, f]) => f.from === "terraform")
      .map(([k]) => k);
  }

  /**
   * The provisioner's `environment`: an int left out gets its default,
   * optional text left out is omitted.
   */
  environment(values: EnvironmentValues<F>): Record<string, string> {
    const given = values as Record<string, string | number | undefined>;
    for (const key of Object.keys(given)) {
      const field = this.fields[key];
      if (field === undefined || field.from !== "terraform")
        throw new Error(`${this.entry}: ${key} is not a Terraform key of this entry point's contract`);
    }
    const out: Record<string, string> = {};
    for (const key of this.terraformKeys) {
      const field = this.fields[key];
      const value = given[key] ?? (field.type === "int" ? field.default : undefined);
      if (value === undefined) {
        if (field.type === "text" ? !field.required : field.optional) continue;
        throw new Error(`${this.entry}: ${key} is required by the entry point's contract`);
      }
      out[key] = String(value);
    }
    return out;
  }

  /**
   * Reads the entry point's environment (or the parsed query object), with an error that names the
   * variable, its value and why.
   */
  parse(env: Readonly<Record<string, unknown>>): ParsedEnvironment<F> {
    const out: Record<string, string | number | undefined> = {};
    for (const [key, field] of Object.entries(this.fields)) {
      const value = env[key];
      if (value !== undefined && typeof value !== "string")
        throw new EntryInputError(`${this.label(key)}=${JSON.stringify(value)} is not a string`);
      const raw = value;
      const unset = raw === undefined || raw === "";
      if (field.type === "text") {
        if (unset && field.required) throw this.notSet(key);
        out[key] = unset ? undefined : raw;
      } else if (unset) {
        if (field.default === undefined && !field.optional) throw this.notSet(key);
        out[key] = field.default;
      } else {
        out[key] = parseIntInRange(this.label(key), raw, field.min, field.max);
      }
    }
    return out as ParsedEnvironment<F>;
  }

  private notSet(key: string): EntryInputError {
    return new EntryInputError(
      this.input === "query"
        ? `query.${key} is missing: this program is run by Terraform's external data source, which passes it`
        : `environment variable ${key} is not set: this script is run by Terraform, which passes it from the resource's triggers`,
    );
  }
}

export function parseIntInRange(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new EntryInputError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new EntryInputError(`${name}=${n} is outside ${min}..${max}`);
  return n;
}

/**
 * Reading the environment of a Terraform entry point. Every value a provisioner passes arrives
 * as an environment variable copied from `self.triggers`; nothing is spliced into a shell string.
 */
export class EntryInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EntryInputError";
  }
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new EntryInputError(
      `environment variable ${name} is not set: this script is run by Terraform, which passes it from the resource's triggers`,
    );
  }
  return value;
}

export function optionalEnv(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  return value === undefined || value === "" ? fallback : value;
}

export function requireIntEnv(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = requireEnv(name, env);
  return parseIntInRange(name, raw, min, max);
}

export function optionalIntEnv(
  name: string,
  fallback: number,
  env: NodeJS.ProcessEnv = process.env,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  return parseIntInRange(name, raw, min, max);
}

function parseIntInRange(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new EntryInputError(`${name}=${JSON.stringify(raw)} is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new EntryInputError(`${name}=${n} is outside ${min}..${max}`);
  return n;
}

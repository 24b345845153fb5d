/**
 * Collects many guest facts in one ssh call (each ssh costs seconds on a TCG guest): a script that
 * runs every command and frames its output with markers, and the parser for what comes back.
 */
import type { Fact, FactCheck } from "./types";

const MARK = "@@e2e-fact";

/** Merges the facts the checks need; one name must always mean the same command. */
export function factCommands(checks: readonly FactCheck[]): Map<string, string> {
  const all = new Map<string, string>();
  for (const c of checks) {
    for (const [name, command] of Object.entries(c.facts)) {
      if (!/^[a-z0-9_-]+$/.test(name))
        throw new Error(
          `check "${c.name}": fact name ${JSON.stringify(name)} must be lower-case letters, digits, '_' or '-'`,
        );
      const prior = all.get(name);
      if (prior !== undefined && prior !== command)
        throw new Error(
          `check "${c.name}" defines fact ${name} as ${JSON.stringify(command)}, another check as ${JSON.stringify(prior)}`,
        );
      all.set(name, command);
    }
  }
  return all;
}

/**
 * One shell script printing, per fact, `MARK name`, the output (stdout+stderr), a newline (the output
 * may not end in one) and `MARK-rc <rc>`.
 */
export function factScript(commands: ReadonlyMap<string, string>): string {
  return [...commands]
    .map(
      ([name, command]) => `echo '${MARK} ${name}'; ( ${command} ) 2>&1; printf '\\n${MARK}-rc %s\\n' "$?"`,
    )
    .join("\n");
}

export function parseFacts(output: string): Map<string, Fact> {
  const facts = new Map<string, Fact>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of output.split("\n")) {
    if (line.startsWith(`${MARK}-rc `) && name !== undefined) {
      // Drop the newline the script adds before the marker.
      facts.set(name, { rc: Number(line.slice(MARK.length + 4)), out: lines.join("\n").replace(/\n$/, "") });
      name = undefined;
      lines = [];
    } else if (line.startsWith(`${MARK} `)) {
      name = line.slice(MARK.length + 1).trim();
      lines = [];
    } else if (name !== undefined) lines.push(line);
  }
  return facts;
}

/**
 * The options `cdktf deploy` takes in cdktf-cli 0.21.0 (its deploy command's and its global ones, as its
 * bundle declares them; a test reads them back from the installed bundle). cdktf ignores an option it
 * does not know, so a mistyped one (`--remove-orphan`, `--auto-aprove`) would let the deploy go on
 * without what the user asked for: it is refused before anything runs.
 */
export const CDKTF_DEPLOY_OPTIONS: readonly string[] = [
  "app",
  "output",
  "auto-approve",
  "outputs-file",
  "outputs-file-include-sensitive-outputs",
  "ignore-missing-stack-dependencies",
  "parallelism",
  "refresh-only",
  "terraform-parallelism",
  "no-color",
  "migrate-state",
  "var",
  "var-file",
  "skip-synth",
  "skip-provider-lock",
  "experimental-provider-schema-cache-path",
  "disable-plugin-cache-env",
  "log-level",
  "log-file-directory",
  "context-json",
  "help",
  "version",
];

/** Single-letter aliases: -a (app), -o (output), -h (help). */
const SHORT = ["a", "o", "h"];

/** The option an argument names, kebab-case and without its value; undefined for a value. */
function optionName(arg: string): string | undefined {
  if (!arg.startsWith("-") || /^-\d/.test(arg)) return undefined; // a value, e.g. --parallelism -1
  const name = arg.replace(/^--?/, "").split("=")[0];
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`); // yargs takes --autoApprove too
}

function known(name: string, short: boolean): boolean {
  if (short) return SHORT.includes(name);
  // cdktf turns yargs' "boolean-negation" off: --no-auto-approve is not --auto-approve=false, and is refused.
  return CDKTF_DEPLOY_OPTIONS.includes(name);
}

/**
 * Refuses an argument for cdktf that cdktf deploy does not take, naming it, deploy's own options and
 * cdktf's.
 */
export function checkCdktfArgs(args: readonly string[], ownOptions: readonly string[]): void {
  for (const arg of args) {
    const name = optionName(arg);
    if (name === undefined || known(name, !arg.startsWith("--"))) continue;
    throw new Error(
      `unknown option ${arg.split("=")[0]}: cdktf deploy would ignore it and go on, so nothing was done; ` +
        `deploy's own options are ${ownOptions.join(", ")}, and cdktf deploy takes ` +
        `${CDKTF_DEPLOY_OPTIONS.map((o) => `--${o}`).join(", ")}`,
    );
  }
}

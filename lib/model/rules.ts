/**
 * The value rules that both the config schema (zod, lib/model/config/schema.ts) and Terraform's variable
 * validation (stacks/) state, declared once. Patterns are anchored and RE2-compatible (no lookaround),
 * so the same text is a JavaScript RegExp and an argument of Terraform's `regex()`.
 */

const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

export const RULES = {
  /** Strict dotted quad: no octal, no shorthand. */
  ipv4: { pattern: `^(${OCTET}\\.){3}${OCTET}$` },
  /** A DNS name (search domain, API hostname); at most 253 characters in all. */
  dnsName: { pattern: `^${DNS_LABEL}(\\.${DNS_LABEL})*$`, maxLength: 253 },
  dnsServers: { minItems: 1, maxItems: 3 },
  dnsSearchDomains: { maxItems: 6 },
  /** keepalived's PASS authentication takes at most 8 characters; kept to characters that need no quoting. */
  vrrpAuthPass: { pattern: "^[A-Za-z0-9._-]{1,8}$" },
  vrrpRouterId: { min: 1, max: 255 },
} as const;

/**
 * A VM name: an RFC 1123 label in lower case, which also keeps `;`, `$()`, quotes, spaces, `/` and `..`
 * out of paths and commands. Here rather than in the config schema so the entry points can check a name
 * without loading zod (about 150 ms of every Terraform entry point's start).
 */
export const HOSTNAME = new RegExp(`^${DNS_LABEL}$`);

/** The rule's pattern as a JavaScript RegExp. */
export const regexOf = (rule: { readonly pattern: string }): RegExp => new RegExp(rule.pattern);

/** HCL: `can(regex("<pattern>", <expr>))`, the pattern quoted as an HCL string literal. */
export const hclMatches = (rule: { readonly pattern: string }, expr: string): string =>
  `can(regex(${JSON.stringify(rule.pattern)}, ${expr}))`;

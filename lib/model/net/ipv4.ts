import { regexOf, RULES } from "../rules";

/** IPv4 arithmetic for validation and rendering; strict dotted-quad only (no octal, no shorthand). */

// The rule Terraform's variable validation states too (lib/model/rules.ts).
const QUAD = regexOf(RULES.ipv4);

export function isIPv4(value: string): boolean {
  return QUAD.test(value);
}

export function ipToInt(ip: string): number {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface Cidr {
  readonly network: string;
  readonly prefixLength: number;
  /** First and last address of the block (network and broadcast). */
  readonly first: number;
  readonly last: number;
}

/** Parses `a.b.c.d/n`; the address must be the network address itself (no host bits). */
export function parseCidr(value: string): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(value);
  if (!m || !isIPv4(m[1]) || Number(m[2]) > 32)
    throw new Error(`not an IPv4 CIDR block: ${JSON.stringify(value)} (expected e.g. 10.10.0.0/24)`);
  const prefixLength = Number(m[2]);
  const size = 2 ** (32 - prefixLength);
  const base = ipToInt(m[1]);
  if (base % size !== 0) {
    throw new Error(
      `${value} has host bits set: the network address of a /${prefixLength} here is ${intToIp(base - (base % size))}`,
    );
  }
  return { network: m[1], prefixLength, first: base, last: base + size - 1 };
}

/** True when `ip` is a usable host address of `cidr` (not the network or broadcast address). */
export function isHostInCidr(ip: string, cidr: Cidr): boolean {
  if (!isIPv4(ip)) return false;
  const n = ipToInt(ip);
  if (cidr.prefixLength >= 31) return n >= cidr.first && n <= cidr.last;
  return n > cidr.first && n < cidr.last;
}

export function inRange(ip: string, start: string, end: string): boolean {
  const n = ipToInt(ip);
  return n >= ipToInt(start) && n <= ipToInt(end);
}

/**
 * Reads VMware's host networking files: `networking` (answer VNET_<n>_<KEY> <value>), each vmnet's
 * dhcpd.conf (the `range` of its subnet block) and its ISC leases file. Pure parsers plus the paths.
 */
import * as path from "node:path";
import { ipToInt, isIPv4 } from "../../model/net/ipv4";
import { DoctorEnv } from "./types";

const FUSION_PREFS_DIR_DARWIN = "/Library/Preferences/VMware Fusion";
const WORKSTATION_PREFS_DIR_LINUX = "/etc/vmware";
const FUSION_LEASES_DIR_DARWIN = "/var/db/vmware";

/** The folder holding `networking` and `vmnet<n>/`: $FUSION_PREFS_DIR, else the platform's default. */
function prefsDir(env: DoctorEnv): string {
  return (
    env.env.FUSION_PREFS_DIR ||
    (env.platform === "darwin" ? FUSION_PREFS_DIR_DARWIN : WORKSTATION_PREFS_DIR_LINUX)
  );
}

export function networkingFile(env: DoctorEnv): string {
  return path.join(prefsDir(env), "networking");
}

/** Fusion keeps `vmnetN/dhcpd.conf`, Workstation `vmnetN/dhcpd/dhcpd.conf`; the first that exists wins. */
export function dhcpdConfFile(env: DoctorEnv, vmnet: string): string {
  const candidates = [
    path.join(prefsDir(env), vmnet, "dhcpd.conf"),
    path.join(prefsDir(env), vmnet, "dhcpd", "dhcpd.conf"),
  ];
  if (env.platform !== "darwin") candidates.reverse();
  return candidates.find((c) => env.exists(c)) ?? candidates[0];
}

/** Fusion: $FUSION_LEASES_DIR (default /var/db/vmware)/vmnet-dhcpd-vmnetN.leases; Workstation: /etc/vmware/vmnetN/dhcpd/dhcpd.leases. */
export function leasesFile(env: DoctorEnv, vmnet: string): string {
  const dir = env.env.FUSION_LEASES_DIR;
  if (dir) return path.join(dir, `vmnet-dhcpd-${vmnet}.leases`);
  if (env.platform === "darwin") return path.join(FUSION_LEASES_DIR_DARWIN, `vmnet-dhcpd-${vmnet}.leases`);
  return path.join(prefsDir(env), vmnet, "dhcpd", "dhcpd.leases");
}

/** vmnet number -> its answers (`HOSTONLY_SUBNET` -> `10.10.0.0`, ...). */
export type NetworkingAnswers = ReadonlyMap<number, ReadonlyMap<string, string>>;

export function parseNetworking(text: string): NetworkingAnswers {
  const result = new Map<number, Map<string, string>>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*answer\s+VNET_(\d+)_([A-Z0-9_]+)\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    if (!result.has(n)) result.set(n, new Map());
    result.get(n)!.set(m[2], m[3]);
  }
  return result;
}

export interface DhcpRange {
  readonly start: string;
  readonly end: string;
}

/** The `range a b;` statements of dhcpd.conf (comments stripped). */
export function parseDhcpRanges(text: string): DhcpRange[] {
  const ranges: DhcpRange[] = [];
  const body = text.replace(/#[^\n]*/g, "");
  for (const m of body.matchAll(/\brange\s+(\d+\.\d+\.\d+\.\d+)\s+(\d+\.\d+\.\d+\.\d+)\s*;/g)) {
    if (isIPv4(m[1]) && isIPv4(m[2])) ranges.push({ start: m[1], end: m[2] });
  }
  return ranges;
}

export interface Lease {
  readonly ip: string;
  /** Lower case, colon separated; undefined when the lease names none. */
  readonly mac?: string;
  /** undefined = `ends never` or no ends line. */
  readonly ends?: Date;
}

/** ISC dhcpd leases: `lease <ip> { starts <w> <yyyy/mm/dd hh:mm:ss>; ends ...; hardware ethernet <mac>; }`, times in UTC. */
export function parseLeases(text: string): Lease[] {
  const leases: Lease[] = [];
  for (const m of text.replace(/#[^\n]*/g, "").matchAll(/\blease\s+(\d+\.\d+\.\d+\.\d+)\s*\{([^}]*)\}/g)) {
    const body = m[2];
    const mac = /hardware\s+ethernet\s+([0-9a-fA-F:]+)\s*;/.exec(body)?.[1];
    const ends = /\bends\s+\d\s+(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s*;/.exec(body);
    leases.push({
      ip: m[1],
      mac: mac ? normalizeMac(mac) : undefined,
      ends: ends
        ? new Date(Date.UTC(+ends[1], +ends[2] - 1, +ends[3], +ends[4], +ends[5], +ends[6]))
        : undefined,
    });
  }
  return leases;
}

/** MACs compared as bytes: `0:50:56:a:b:c` and `00:50:56:0A:0B:0C` are the same. */
export function normalizeMac(mac: string): string {
  return mac
    .split(":")
    .map((p) => p.toLowerCase().padStart(2, "0"))
    .join(":");
}

export function isActive(lease: Lease, now: Date): boolean {
  return lease.ends === undefined || lease.ends.getTime() > now.getTime();
}

/** Dotted mask of a prefix length, e.g. 24 -> 255.255.255.0. */
export function prefixToMask(prefixLength: number): string {
  const n = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

export function inDhcpRange(ip: string, range: DhcpRange): boolean {
  const n = ipToInt(ip);
  return n >= ipToInt(range.start) && n <= ipToInt(range.end);
}

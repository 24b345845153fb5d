/**
 * What `npm run configure` reads from the host: the default route's interface and its IPv4 subnet,
 * memory, cores and free disk. Behind an interface so tests hand in fake facts; the real one runs
 * only local, read-only commands (`route`/`ifconfig` on macOS, `ip -j` on Linux), each with a deadline.
 */
import * as os from "node:os";
import { intToIp, ipToInt, isIPv4 } from "../../model/net/ipv4";
import { runWithDeadline, RunResult } from "../../runtime/process/run-with-deadline";
import { freeDiskBytes } from "../../runtime/fs/free-disk";

export interface LanInterface {
  /** e.g. en0 (macOS) or wlp2s0 (Linux). */
  readonly name: string;
  /** The host's own IPv4 address on it. */
  readonly address: string;
  readonly prefixLength: number;
  /** The default route's next hop (the router), when known. */
  readonly router?: string;
}

export interface HostFacts {
  readonly platform: NodeJS.Platform;
  /** The interface of the default route with its IPv4 address, or undefined when there is none. */
  readonly defaultLan: () => Promise<LanInterface | undefined>;
  readonly totalMemBytes: number;
  readonly cpuCount: number;
  /** Bytes free to this user on the file system holding `dir`, or undefined when unknown. */
  readonly freeDiskBytes: (dir: string) => Promise<number | undefined>;
}

const FACT_DEADLINE_MS = 5_000;

type Runner = (file: string, args: readonly string[]) => Promise<RunResult>;

/** `route -n get default` (macOS): the `interface:` and `gateway:` lines. */
export function parseMacRoute(text: string): { name: string; router?: string } | undefined {
  const name = /^\s*interface:\s*(\S+)/m.exec(text)?.[1];
  const router = /^\s*gateway:\s*(\S+)/m.exec(text)?.[1];
  if (!name) return undefined;
  return { name, ...(router && isIPv4(router) ? { router } : {}) };
}

/** `ifconfig <if>` (macOS): the first `inet a.b.c.d netmask 0xffffff00` line. */
export function parseMacIfconfig(text: string): { address: string; prefixLength: number } | undefined {
  const m = /^\s*inet (\d+\.\d+\.\d+\.\d+) netmask (0x[0-9a-f]{8}|\d+\.\d+\.\d+\.\d+)/im.exec(text);
  if (!m || !isIPv4(m[1])) return undefined;
  const mask = m[2].startsWith("0x") ? Number.parseInt(m[2], 16) : ipToInt(m[2]);
  return { address: m[1], prefixLength: maskToPrefix(mask) };
}

/** `ip -j route show default` (Linux): the first route's `dev` and `gateway`. */
export function parseLinuxRoute(json: string): { name: string; router?: string } | undefined {
  const routes = JSON.parse(json) as Array<{ dev?: string; gateway?: string }>;
  const first = routes.find((r) => typeof r.dev === "string");
  if (!first?.dev) return undefined;
  return { name: first.dev, ...(first.gateway && isIPv4(first.gateway) ? { router: first.gateway } : {}) };
}

/** `ip -j addr show dev <if>` (Linux): the first IPv4 `local`/`prefixlen`. */
export function parseLinuxAddr(json: string): { address: string; prefixLength: number } | undefined {
  const links = JSON.parse(json) as Array<{
    addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
  }>;
  for (const link of links) {
    const inet = link.addr_info?.find((a) => a.family === "inet" && a.local && isIPv4(a.local));
    if (inet?.local && typeof inet.prefixlen === "number")
      return { address: inet.local, prefixLength: inet.prefixlen };
  }
  return undefined;
}

function maskToPrefix(mask: number): number {
  let bits = 0;
  for (let bit = 31; bit >= 0 && Math.floor(mask / 2 ** bit) % 2 === 1; bit--) bits++;
  return bits;
}

async function answer(run: Runner, file: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const r = await run(file, args);
    return r.code === 0 && !r.timedOut ? r.stdout : undefined;
  } catch {
    return undefined; // the tool is missing: no default route known
  }
}

export async function findDefaultLan(
  platform: NodeJS.Platform,
  run: Runner,
): Promise<LanInterface | undefined> {
  if (platform === "darwin") {
    const route = parseMacRoute((await answer(run, "/sbin/route", ["-n", "get", "default"])) ?? "");
    if (!route) return undefined;
    const addr = parseMacIfconfig((await answer(run, "/sbin/ifconfig", [route.name])) ?? "");
    return addr ? { ...route, ...addr } : undefined;
  }
  const routeJson = await answer(run, "ip", ["-j", "-4", "route", "show", "default"]);
  const route = routeJson ? parseLinuxRoute(routeJson) : undefined;
  if (!route) return undefined;
  const addrJson = await answer(run, "ip", ["-j", "-4", "addr", "show", "dev", route.name]);
  const addr = addrJson ? parseLinuxAddr(addrJson) : undefined;
  return addr ? { ...route, ...addr } : undefined;
}

/** The network address of `address/prefixLength`, as a CIDR block. */
export function subnetOf(address: string, prefixLength: number): string {
  const size = 2 ** (32 - prefixLength);
  const n = ipToInt(address);
  return `${intToIp(n - (n % size))}/${prefixLength}`;
}

export function realHostFacts(): HostFacts {
  const run: Runner = (file, args) => runWithDeadline(file, args, { timeoutMs: FACT_DEADLINE_MS });
  return {
    platform: process.platform,
    defaultLan: () => findDefaultLan(process.platform, run),
    totalMemBytes: os.totalmem(),
    cpuCount: os.cpus().length,
    freeDiskBytes,
  };
}

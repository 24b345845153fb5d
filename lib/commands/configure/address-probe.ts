/**
 * Is an address on the LAN already in use? `taken` when something answers a ping or shows up in the
 * host's ARP table right after it (a device that drops ICMP still answers ARP), `free` otherwise.
 * The real probe sends one ping with a one-second deadline; tests inject a fake and send nothing.
 */
import { runWithDeadline, RunResult } from "../../runtime/process/run-with-deadline";

type ProbeAnswer = "free" | "taken";
export type AddressProbe = (ip: string) => Promise<ProbeAnswer>;

type Runner = (file: string, args: readonly string[]) => Promise<RunResult>;

const PROBE_DEADLINE_MS = 3_000;

/** A MAC address in `arp -n <ip>` (macOS) or `ip neigh show <ip>` (Linux) output: the address is in use. */
export function arpShowsMac(text: string): boolean {
  return /\b([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}\b/i.test(text) && !/incomplete|FAILED/i.test(text);
}

export function pingArgs(platform: NodeJS.Platform, ip: string): string[] {
  // -t (macOS) / -W (Linux): give up after 1 s; -c 1: a single echo request.
  return platform === "darwin" ? ["-n", "-c", "1", "-t", "1", ip] : ["-n", "-c", "1", "-W", "1", ip];
}

export function makeArpPingProbe(platform: NodeJS.Platform, run: Runner): AddressProbe {
  return async (ip) => {
    const ping = await run(platform === "darwin" ? "/sbin/ping" : "ping", pingArgs(platform, ip));
    if (ping.code === 0) return "taken";
    const arp =
      platform === "darwin" ? await run("/usr/sbin/arp", ["-n", ip]) : await run("ip", ["neigh", "show", ip]);
    return arpShowsMac(arp.stdout) ? "taken" : "free";
  };
}

export function realAddressProbe(): AddressProbe {
  return makeArpPingProbe(process.platform, (file, args) =>
    runWithDeadline(file, args, { timeoutMs: PROBE_DEADLINE_MS }),
  );
}

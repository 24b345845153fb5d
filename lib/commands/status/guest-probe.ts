import { isHostKeyRefusal, sshRun, type SshTarget } from "../../runtime/ssh/ssh";

/**
 * What only the guest knows, asked over SSH for `status`: cloud-init's result and, on a gateway,
 * which VIPs it holds right now. Quick and never fatal: an unreachable guest gives "unknown" with
 * the reason.
 */
export interface GuestProbe {
  /** cloud-init's status word (done, running, error, disabled), or "unknown". */
  readonly cloudInit: string;
  /** Gateways only: the VIPs (by name) this guest holds. */
  readonly vips?: readonly string[];
  /** Why something could not be read; "" when everything answered. */
  readonly problem: string;
}

export interface VipSet {
  readonly external: string;
  readonly internal: string;
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

/** `status: done` (cloud-init 22+) -> done. */
export function parseCloudInitStatus(stdout: string): string | undefined {
  return /^status:\s*([a-z]+)/m.exec(stdout)?.[1];
}

/** IPv4 addresses from `ip -4 -o addr show` lines (`2: ens160    inet 10.10.0.100/24 ...`). */
export function parseIpv4Addresses(stdout: string): string[] {
  return [...stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]);
}

export async function probeGuest(
  target: SshTarget,
  opts: { gatewayVips?: VipSet; timeoutMs: number },
): Promise<GuestProbe> {
  const call = {
    timeoutMs: opts.timeoutMs,
    connectTimeoutSeconds: Math.max(1, Math.min(5, Math.floor(opts.timeoutMs / 1000))),
  };
  const [ci, addr] = await Promise.all([
    sshRun(target, ["cloud-init", "status"], call),
    opts.gatewayVips ? sshRun(target, ["ip", "-4", "-o", "addr", "show"], call) : Promise.resolve(undefined),
  ]);
  const problems: string[] = [];
  const why = (r: { timedOut: boolean; code: number | null; stderr: string }) =>
    r.timedOut
      ? "no SSH answer in time"
      : isHostKeyRefusal(r)
        ? `its host key is not the pinned one, so ssh refused it (npm run ssh -- ${target.hostKeys.alias} true says why and what to do)`
        : lastLine(r.stderr) || `exit ${r.code}`;
  // cloud-init status exits non-zero for error and (23.4+) degraded results, with the word on stdout.
  const word = parseCloudInitStatus(ci.stdout);
  if (word === undefined) problems.push(`cloud-init status: ${why(ci)}`);
  let vips: string[] | undefined;
  if (opts.gatewayVips && addr) {
    if (addr.code === 0) {
      const held = new Set(parseIpv4Addresses(addr.stdout));
      vips = (["external", "internal"] as const).filter((k) => held.has(opts.gatewayVips![k]));
    } else problems.push(`ip addr: ${why(addr)}`);
  }
  return {
    cloudInit: word ?? "unknown",
    ...(vips !== undefined ? { vips } : {}),
    problem: problems.join("; "),
  };
}

import * as net from "node:net";
import { hostWords } from "../../model/host-words";
import { APT_CACHE_STATS_PATH } from "../../model/render/cloud-init";
import { hostKeyRefusalMessage, isHostKeyRefusal, sshRun, type SshTarget } from "../../runtime/ssh/ssh";

/** What `npm run apt-cache -- status` shows: the report from the cache VM plus a check from the host. */
export interface AptCacheStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** A TCP connection from the host to address:port succeeded (what every VM's apt needs). */
  readonly reachable: boolean;
  /** The guest's report, or undefined when SSH failed (see `error`). */
  readonly report?: AptCacheReport;
  readonly error?: string;
}

export interface AptCacheReport {
  readonly service: string;
  readonly port: number;
  readonly log: string | null;
  readonly requests: number;
  readonly hits: number;
  readonly misses: number;
  readonly servedBytes: number;
  readonly fetchedBytes: number;
  readonly unparsedLines: number;
  readonly cacheDir: string;
  readonly cacheBytes: number | null;
}

export function tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function parseReport(stdout: string): AptCacheReport | undefined {
  try {
    const r = JSON.parse(stdout.trim().split("\n").pop() ?? "") as AptCacheReport;
    return typeof r.service === "string" && typeof r.hits === "number" ? r : undefined;
  } catch {
    return undefined;
  }
}

export async function aptCacheStatus(opts: {
  name: string;
  target: SshTarget;
  port: number;
  timeoutMs: number;
}): Promise<AptCacheStatus> {
  const { target } = opts;
  const [reachable, result] = await Promise.all([
    tcpReachable(target.host, opts.port, Math.min(opts.timeoutMs, 5000)),
    sshRun(target, ["sudo", "-n", APT_CACHE_STATS_PATH], { timeoutMs: opts.timeoutMs }),
  ]);
  const base = { name: opts.name, address: target.host, port: opts.port, reachable };
  const report = result.code === 0 ? parseReport(result.stdout) : undefined;
  if (report !== undefined) return { ...base, report };
  const why = result.timedOut
    ? `no answer within ${Math.round(opts.timeoutMs / 1000)} s`
    : (result.stderr.trim().split("\n").pop() ?? "") || `exit ${result.code}`;
  if (isHostKeyRefusal(result)) return { ...base, error: hostKeyRefusalMessage(target, result.pinSource) };
  const fix = /not found|No such file/.test(why)
    ? `the VM has no ${APT_CACHE_STATS_PATH} (its seed predates it): recreate it with npm run teardown -- --include-apt-cache (the cluster goes too), then npm run deploy`
    : `check that ${opts.name} runs (npm run manager -- status) and that npm run ssh -- ${opts.name} true works`;
  return { ...base, error: `ssh ${target.user}@${target.host} failed: ${why}; ${fix}` };
}

function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** Two-column lines for people; `platform` picks the host's words (this Mac, this host). */
export function formatAptCacheStatus(s: AptCacheStatus, platform: string = process.platform): string {
  const rows: [string, string][] = [
    ["apt cache", `${s.name} (${s.address}:${s.port})`],
    [`reachable from ${hostWords(platform).thisHost}`, s.reachable ? "yes" : "no"],
  ];
  if (s.report) {
    const r = s.report;
    const ratio = r.requests > 0 ? ` (${Math.round((100 * r.hits) / r.requests)}% of requests)` : "";
    rows.push(
      ["apt-cacher-ng", r.service],
      ["hits", `${r.hits}${ratio}`],
      ["misses (fetched from the mirrors)", String(r.misses)],
      ["served / fetched", `${bytes(r.servedBytes)} / ${bytes(r.fetchedBytes)}`],
      ["cache size", `${bytes(r.cacheBytes)} in ${r.cacheDir}`],
    );
    if (r.log === null) rows.push(["note", "no transfer log yet: nothing was downloaded through the cache"]);
  } else {
    rows.push(["error", s.error ?? "unknown"]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

/** Healthy = the service is active and the host reaches its port. */
export function isHealthy(s: AptCacheStatus): boolean {
  return s.reachable && s.report?.service === "active";
}

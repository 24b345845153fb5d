/**
 * The Kubernetes API path through the gateways, and VIP failover (issue 7), over the whole cluster:
 *  1. a tiny TCP server on the first master's :6443 sends a banner (python3 of the golden image, bounded
 *     by `timeout`, stopped by its PID afterwards);
 *  2. the host side of the test network connects to both VIPs :6443 and must get that banner through the
 *     preferred gateway's nginx (its stream log names the client and the master);
 *  3. with two gateways: nginx is stopped on the holder; the seconds until the other gateway holds both
 *     VIPs (polled every 0.5 s in the guest, timed on the host) must stay within the VRRP timeout of the
 *     rendered keepalived.conf; the API path must work through the new holder; nginx is started again and
 *     the seconds until the preferred gateway takes both VIPs back (preemption) are measured the same way.
 */
import * as crypto from "node:crypto";
import { gatewaysOf, KUBE_API_PORT, mastersOf } from "../../lib/model/render/gateway";
import type { ClusterModel } from "../../lib/model/config/model";
import { ipv4Addresses, vipPlacements, vipsHeld } from "./role-checks";
import type { ClusterCheck, ClusterContext, ClusterResult, GuestShell } from "./types";

const POLL_SECONDS = 0.5;
const POLL_BOUND_SECONDS = 30;
/** Polling granularity, the check script's own run time on a TCG guest and ssh's return: what the measurement adds to keepalived's timers. */
const MEASURE_SLACK_SECONDS = 2;
/** Where the banner server keeps its PID and log on the master. */
const BANNER_DIR = "/tmp";

export interface VrrpTiming {
  readonly interval: number;
  readonly fall: number;
  readonly rise: number;
  readonly advertInt: number;
  /** This gateway's VRRP priority: a backup waits 3 x advert_int plus (256 - priority) / 256 x advert_int. */
  readonly priority: number;
}

/** vrrp_script interval/fall/rise and advert_int of a keepalived.conf (keepalived's defaults when absent). */
export function vrrpTiming(conf: string | undefined): VrrpTiming {
  const num = (key: string, fallback: number) => {
    const m = new RegExp(`^\\s*${key}\\s+(\\d+(?:\\.\\d+)?)\\s*$`, "m").exec(conf ?? "");
    return m ? Number(m[1]) : fallback;
  };
  return {
    interval: num("interval", 1),
    fall: num("fall", 1),
    rise: num("rise", 1),
    advertInt: num("advert_int", 1),
    priority: num("priority", 100),
  };
}

/** keepalived's master-down interval of a backup: 3 advertisements missed plus its skew time. */
export function masterDownSeconds(t: VrrpTiming): number {
  return 3 * t.advertInt + ((256 - t.priority) / 256) * t.advertInt;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Seconds within which the backup (`taker`: its keepalived.conf) must hold the VIPs after the holder's
 * nginx stops (`holder`'s chk_nginx fails `fall` times, `interval` apart), at worst its master-down time
 * later, plus the host's polling slack.
 */
export function failoverLimitSeconds(holder: VrrpTiming, taker: VrrpTiming): number {
  return round1(holder.fall * holder.interval + masterDownSeconds(taker) + MEASURE_SLACK_SECONDS);
}

/** Seconds within which the preferred gateway takes the VIPs back once nginx runs again: `rise` successes, then its master-down time. */
export function preemptionLimitSeconds(preferred: VrrpTiming): number {
  return round1(preferred.rise * preferred.interval + masterDownSeconds(preferred) + MEASURE_SLACK_SECONDS);
}

/**
 * Guest shell loop: every 0.5 s, `ip -o -4 addr show`; ends (exit 0, `@@vip-watch reached`) as soon as
 * exactly `want` of `vips` are present, or (exit 3, `@@vip-watch timeout`) after `boundSeconds`. It
 * touches `readyFile` first, so the host knows the poll runs before it acts.
 */
export function vipWatchScript(
  vips: readonly string[],
  want: number,
  boundSeconds: number,
  readyFile: string,
): string {
  for (const v of vips)
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(v))
      throw new Error(`VIP ${JSON.stringify(v)} is not an IPv4 address`);
  if (!/^\/tmp\/[A-Za-z0-9._-]+$/.test(readyFile))
    throw new Error(`ready file ${readyFile} must be a plain name under /tmp`);
  return [
    `touch ${readyFile}`,
    `end=$(( $(date +%s) + ${Math.ceil(boundSeconds)} ))`,
    "while :; do",
    "  a=$(ip -o -4 addr show); n=0",
    `  for v in ${vips.join(" ")}; do case "$a" in *" inet $v/"*) n=$((n+1));; esac; done`,
    `  if [ "$n" -eq ${want} ]; then rm -f ${readyFile}; echo '@@vip-watch reached'; echo "$a"; exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then rm -f ${readyFile}; echo '@@vip-watch timeout'; echo "$a"; exit 3; fi`,
    `  sleep ${POLL_SECONDS}`,
    "done",
  ].join("\n");
}

/** Starts the banner server on :port of a master (python3 socket server, bounded by `timeout`) and waits until it listens. */
export function bannerServerScript(
  port: number,
  banner: string,
  lifetimeSeconds: number,
  dir = BANNER_DIR,
): string {
  if (!/^[A-Za-z0-9._-]+$/.test(banner))
    throw new Error(`banner ${JSON.stringify(banner)} must be letters, digits, '.', '_' or '-'`);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir))
    throw new Error(`state folder ${JSON.stringify(dir)} must be an absolute plain path`);
  const py = [
    "import socket, sys",
    "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
    `s.bind(("0.0.0.0", ${port}))`,
    "s.listen(16)",
    'b = sys.argv[1].encode() + b"\\n"',
    "while True:",
    "    c, a = s.accept()",
    "    c.sendall(b)",
    "    c.close()",
  ].join("\n");
  return [
    `nohup timeout ${lifetimeSeconds} python3 -c '${py}' ${banner} >${dir}/e2e-banner.log 2>&1 </dev/null &`,
    `echo $! >${dir}/e2e-banner.pid`,
    `for i in $(seq 1 20); do ss -ltnH 'sport = :${port}' | grep -q LISTEN && exit 0; sleep 0.5; done`,
    `cat ${dir}/e2e-banner.log; exit 1`,
  ].join("\n");
}

export function stopBannerScript(port: number, dir = BANNER_DIR): string {
  return `kill $(cat ${dir}/e2e-banner.pid) 2>/dev/null; rm -f ${dir}/e2e-banner.pid; sleep 0.5; if ss -ltnH 'sport = :${port}' | grep -q LISTEN; then echo still listening; exit 1; fi`;
}

/** Whether nginx's stream log (`$remote_addr [$time_local] $status $upstream_addr ...`) has a session from `client` to `upstream`. */
export function nginxLogShows(log: string, client: string, upstream: string): boolean {
  return log.split("\n").some((l) => l.startsWith(`${client} `) && l.split(/\s+/).includes(upstream));
}

async function heldBy(
  shell: GuestShell,
  ctx: ClusterContext,
  gateway: string,
): Promise<{ held: string[]; text: string }> {
  const vm = ctx.model.vms.find((v) => v.name === gateway);
  if (!vm) throw new Error(`${gateway} is not in the cluster`);
  const r = await shell.run("ip -o -4 addr show", 30_000);
  return { held: vipsHeld(r.out, vipPlacements(ctx.model, vm)).held, text: r.out };
}

/** ifname address pairs, for a one-line "seen". */
const addrSummary = (ipOutput: string) =>
  ipv4Addresses(ipOutput)
    .filter((a) => a.ifname !== "lo")
    .map((a) => `${a.ifname} ${a.cidr}`)
    .join(", ");

/** Polls `watcher` until it holds `want` VIPs while `act` runs on another guest; seconds from act's return to the watcher's end. */
async function timeVipMove(
  watcher: GuestShell,
  vips: readonly string[],
  want: number,
  readyFile: string,
  act: () => Promise<{ rc: number; out: string }>,
): Promise<{ reached: boolean; seconds: number; seen: string; actError?: string }> {
  const watching = watcher.run(
    vipWatchScript(vips, want, POLL_BOUND_SECONDS, readyFile),
    (POLL_BOUND_SECONDS + 30) * 1000,
  );
  // The poll must run before the act, or the time would be the ssh connection's.
  let ready = false;
  for (let i = 0; i < 20 && !ready; i++) {
    ready = (await watcher.run(`test -e ${readyFile}`, 15_000)).rc === 0;
    if (!ready) await new Promise((r) => setTimeout(r, 500));
  }
  const acted = await act();
  const t0 = Date.now();
  const w = await watching;
  const seconds = (Date.now() - t0) / 1000;
  const reached = w.rc === 0 && w.out.includes("@@vip-watch reached");
  return {
    reached,
    seconds,
    seen: addrSummary(w.out) || w.out.trim().split("\n")[0] || "",
    ...(acted.rc !== 0 ? { actError: acted.out.trim() } : {}),
  };
}

export const loadBalancerFailoverCheck: ClusterCheck = {
  name: "API load balancer and VIP failover",
  appliesTo: (model: ClusterModel) => gatewaysOf(model).length >= 1 && mastersOf(model).length >= 1,
  async run(ctx) {
    const results: ClusterResult[] = [];
    const timings: Record<string, number> = {};
    const { model } = ctx;
    const gateways = gatewaysOf(model);
    const master = mastersOf(model)[0];
    const masterAddress = master.nics.find((n) => n.network === "nat")?.address ?? "";
    const upstream = `${masterAddress}:${KUBE_API_PORT}`;
    const missing = [...gateways, master].filter((vm) => !ctx.guests.has(vm.name)).map((vm) => vm.name);
    if (missing.length) {
      return {
        results: [
          {
            vm: missing[0],
            id: "lb-path",
            ok: false,
            seen: `no ssh to ${missing.join(", ")}`,
            detail: "the load balancer and failover checks need every gateway and the first master",
          },
        ],
        timings,
      };
    }
    const shell = (name: string) => ctx.guests.get(name) as GuestShell;
    const [primary, secondary] = gateways;
    const vips = [model.network.internalVip, model.network.externalVip];
    const banner = `k8s-lab-e2e-${master.name}-${crypto.randomBytes(4).toString("hex")}`;
    const started = await shell(master.name).run(bannerServerScript(KUBE_API_PORT, banner, 600), 30_000);
    if (started.rc !== 0) {
      return {
        results: [
          {
            vm: master.name,
            id: "lb-backend",
            ok: false,
            seen: `no test listener on :${KUBE_API_PORT}`,
            detail: started.out.trim(),
          },
        ],
        timings,
      };
    }
    ctx.log(`${master.name}: test listener on :${KUBE_API_PORT} sends ${banner}`);

    /** Both VIPs :6443 from the host side; each must return the banner, and `via`'s nginx log must show the session. */
    const lbPath = async (via: string, id: string, when: string) => {
      const hosts: Record<string, string> = {
        [model.network.internalVip]: ctx.hostAddresses.nat,
        [model.network.externalVip]: ctx.hostAddresses.lan,
      };
      const probes = [];
      for (const vip of vips)
        probes.push({ vip, client: hosts[vip], r: await ctx.hostConnect(vip, KUBE_API_PORT, 5000) });
      const log = (await shell(via).run("sudo -n tail -n 20 /var/log/nginx/k8s-api.log", 30_000)).out;
      for (const p of probes) {
        const got = p.r.data.trim();
        const logged = nginxLogShows(log, p.client, upstream);
        const ok = p.r.ok && got === banner && logged;
        results.push({
          vm: via,
          id: `${id}-${p.vip === model.network.internalVip ? "internal" : "external"}`,
          ok,
          seen: `${p.client} -> ${p.vip}:${KUBE_API_PORT} ${when}: ${p.r.ok ? `got ${JSON.stringify(got)}` : `failed (${p.r.error ?? "?"})`}; ${via}'s nginx log ${logged ? `shows ${p.client} -> ${upstream}` : "has no such session"}`,
          ...(ok
            ? {}
            : {
                detail: `expected the banner ${banner} from ${master.name}'s :${KUBE_API_PORT} through ${via}'s nginx\nnginx log:\n${log.trim()}`,
              }),
        });
      }
    };

    try {
      await lbPath(primary.name, "lb-path", "via the VIP holder");
      if (!secondary) return { results, timings };

      const timing = vrrpTiming(ctx.renderedFile(primary.name, "keepalived.conf"));
      const takerTiming = vrrpTiming(ctx.renderedFile(secondary.name, "keepalived.conf"));
      const failLimit = failoverLimitSeconds(timing, takerTiming);
      const move = await timeVipMove(
        shell(secondary.name),
        vips,
        vips.length,
        "/tmp/e2e-vip-watch.ready",
        () => shell(primary.name).run("sudo -n systemctl stop nginx.service", 60_000),
      );
      timings.failoverSeconds = move.seconds;
      const failOk = move.reached && move.seconds <= failLimit && !move.actError;
      results.push({
        vm: secondary.name,
        id: "vip-failover",
        ok: failOk,
        seen: move.reached
          ? `holds both VIPs ${move.seconds.toFixed(1)} s after nginx stopped on ${primary.name} (limit ${failLimit} s)`
          : `not both VIPs after ${move.seconds.toFixed(1)} s: ${move.seen}`,
        ...(failOk
          ? {}
          : {
              detail: move.actError
                ? `stopping nginx on ${primary.name} failed: ${move.actError}`
                : `limit: chk_nginx fall ${timing.fall} x interval ${timing.interval} s + ${secondary.name}'s master-down ${masterDownSeconds(takerTiming).toFixed(2)} s + ${MEASURE_SLACK_SECONDS} s measuring; addresses: ${move.seen}`,
            }),
      });
      const released = await heldBy(shell(primary.name), ctx, primary.name);
      results.push({
        vm: primary.name,
        id: "vip-released",
        ok: released.held.length === 0,
        seen: `with nginx stopped holds ${released.held.join(" ") || "no VIP"}`,
        ...(released.held.length ? { detail: released.text } : {}),
      });
      await lbPath(secondary.name, "lb-failover", `with ${primary.name}'s nginx stopped`);

      const preemptLimit = preemptionLimitSeconds(timing);
      const back = await timeVipMove(shell(primary.name), vips, vips.length, "/tmp/e2e-vip-watch.ready", () =>
        shell(primary.name).run("sudo -n systemctl start nginx.service", 60_000),
      );
      timings.preemptionSeconds = back.seconds;
      const backOk = back.reached && back.seconds <= preemptLimit && !back.actError;
      results.push({
        vm: primary.name,
        id: "vip-preemption",
        ok: backOk,
        seen: back.reached
          ? `holds both VIPs again ${back.seconds.toFixed(1)} s after nginx started (limit ${preemptLimit} s)`
          : `not both VIPs after ${back.seconds.toFixed(1)} s: ${back.seen}`,
        ...(backOk
          ? {}
          : {
              detail: back.actError
                ? `starting nginx failed: ${back.actError}`
                : `limit: chk_nginx rise ${timing.rise} x interval ${timing.interval} s + master-down ${masterDownSeconds(timing).toFixed(2)} s + ${MEASURE_SLACK_SECONDS} s measuring`,
            }),
      });
      const given = await heldBy(shell(secondary.name), ctx, secondary.name);
      results.push({
        vm: secondary.name,
        id: "vip-given-back",
        ok: given.held.length === 0,
        seen: `after preemption holds ${given.held.join(" ") || "no VIP"}`,
        ...(given.held.length ? { detail: given.text } : {}),
      });
    } finally {
      // Whatever happened above: nginx running again on the preferred gateway, the test listener gone.
      if (secondary) await shell(primary.name).run("sudo -n systemctl start nginx.service", 60_000);
      const stopped = await shell(master.name).run(stopBannerScript(KUBE_API_PORT), 30_000);
      if (stopped.rc !== 0)
        results.push({
          vm: master.name,
          id: "lb-backend-stopped",
          ok: false,
          seen: `the test listener on :${KUBE_API_PORT} is still there`,
          detail: stopped.out.trim(),
        });
    }
    return { results, timings };
  },
};

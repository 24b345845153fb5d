/**
 * Checks of what guest-config installs (issue 7): every VM's /etc/hosts block, and on a gateway
 * keepalived and nginx running, nginx listening on both VIPs, non-local bind, and the VIPs held by
 * the preferred gateway only. Pure judgements of collected facts (see ./types.ts); the expected values
 * come from the config (the model), not from the rendered files, so a wrong render fails here too.
 */
import { HOSTS_BEGIN, HOSTS_END } from "../../lib/model/render/hosts";
import { gatewaysOf, KUBE_API_PORT, nicOn } from "../../lib/model/render/gateway";
import type { ClusterModel, VmSpec } from "../../lib/model/config/model";
import type { CheckResult, Fact, FactCheck, Facts } from "./types";

function fact(facts: Facts, name: string): Fact {
  return facts.get(name) ?? { rc: -1, out: `(fact ${name} was not collected)` };
}

/** The lines between the k8s-lab markers of an /etc/hosts, or undefined when there is no complete block. */
export function hostsBlockLines(hosts: string): string[] | undefined {
  const lines = hosts.split("\n");
  const begin = lines.findIndex((l) => l.startsWith(HOSTS_BEGIN.split(" (")[0]));
  if (begin < 0) return undefined;
  const end = lines.findIndex((l, i) => i > begin && l.startsWith(HOSTS_END));
  if (end < 0) return undefined;
  return lines
    .slice(begin + 1, end)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** The vmnet address a VM is configured with (addressing: static). */
function natAddress(vm: VmSpec): string | undefined {
  return vm.nics.find((n) => n.network === "nat")?.address;
}

/** `address name` lines the config asks for: every VM, the APT cache, the API name on the internal VIP. */
export function expectedHostsLines(model: ClusterModel): string[] {
  return [
    ...model.vms.map((vm) => `${natAddress(vm) ?? "(no static address)"} ${vm.name}`),
    `${model.aptCache.address} ${model.aptCache.vm.name}`,
    `${model.network.internalVip} ${model.network.apiHostname}`,
  ];
}

const norm = (line: string) => line.split(/\s+/).join(" ");

export const hostsBlockCheck: FactCheck = {
  name: "/etc/hosts block",
  needsGuestConfig: true,
  facts: { etc_hosts: "cat /etc/hosts" },
  evaluate(ctx, facts) {
    const got = hostsBlockLines(fact(facts, "etc_hosts").out);
    const want = expectedHostsLines(ctx.model);
    if (got === undefined) {
      return [
        {
          id: "hosts-block",
          ok: false,
          seen: "no k8s-lab block in /etc/hosts",
          detail: `expected:\n  ${want.join("\n  ")}\n/etc/hosts:\n${fact(facts, "etc_hosts").out}`,
        },
      ];
    }
    const have = got.map(norm);
    const missing = want.filter((w) => !have.includes(w));
    const extra = have.filter((h) => !want.includes(h));
    const ok = missing.length === 0 && extra.length === 0;
    return [
      {
        id: "hosts-block",
        ok,
        seen: have.join("; ") || "empty block",
        ...(ok
          ? {}
          : {
              detail: [
                missing.length ? `missing: ${missing.join("; ")}` : "",
                extra.length ? `not configured: ${extra.join("; ")}` : "",
              ]
                .filter(Boolean)
                .join("\n"),
            }),
      },
    ];
  },
};

const GATEWAY_UNITS = ["keepalived.service", "nginx.service"];

export const gatewayUnitsCheck: FactCheck = {
  name: "keepalived and nginx active",
  needsGuestConfig: true,
  roles: ["gateway"],
  facts: { units_active: `systemctl is-active ${GATEWAY_UNITS.join(" ")}` },
  evaluate(_ctx, facts) {
    const states = fact(facts, "units_active")
      .out.trim()
      .split("\n")
      .map((l) => l.trim());
    return GATEWAY_UNITS.map((unit, i): CheckResult => {
      const state = states[i] ?? "(no answer)";
      const ok = state === "active";
      return {
        id: `unit-${unit.replace(/\.service$/, "")}`,
        ok,
        seen: `${unit} ${state}`,
        ...(ok ? {} : { detail: "expected active (guest-config enables and starts it)" }),
      };
    });
  },
};

/** Local `address:port` of every listening TCP socket in `ss -ltnH` output. */
export function listeningSockets(ssOutput: string): string[] {
  return ssOutput
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols.length >= 4 && cols[0] === "LISTEN")
    .map((cols) => cols[3]);
}

export const nginxListenCheck: FactCheck = {
  name: "nginx listens on both VIPs",
  needsGuestConfig: true,
  roles: ["gateway"],
  facts: { ss_listen: "ss -ltnH" },
  evaluate(ctx, facts) {
    const sockets = listeningSockets(fact(facts, "ss_listen").out);
    const want = [ctx.model.network.internalVip, ctx.model.network.externalVip].map(
      (a) => `${a}:${KUBE_API_PORT}`,
    );
    const missing = want.filter((w) => !sockets.includes(w));
    const seen =
      sockets.filter((s) => s.endsWith(`:${KUBE_API_PORT}`)).join(" ") || `nothing on :${KUBE_API_PORT}`;
    return [
      {
        id: "nginx-listen",
        ok: missing.length === 0,
        seen,
        ...(missing.length
          ? { detail: `not listening: ${missing.join(", ")}; all: ${sockets.join(" ")}` }
          : {}),
      },
    ];
  },
};

export const nonlocalBindCheck: FactCheck = {
  name: "non-local bind",
  needsGuestConfig: true,
  roles: ["gateway"],
  // /proc rather than sysctl(8): /usr/sbin is not on the ssh user's PATH on Debian.
  facts: { nonlocal_bind: "cat /proc/sys/net/ipv4/ip_nonlocal_bind" },
  evaluate(_ctx, facts) {
    const seen = fact(facts, "nonlocal_bind").out.trim();
    return [
      {
        id: "ip-nonlocal-bind",
        ok: seen === "1",
        seen: `net.ipv4.ip_nonlocal_bind=${seen}`,
        ...(seen === "1"
          ? {}
          : { detail: "expected 1 (the seed's sysctl file), so the backup's nginx can bind the VIPs" }),
      },
    ];
  },
};

/** `ip -o -4 addr show` -> [ifname, address/prefix] pairs. */
export function ipv4Addresses(ipOutput: string): { ifname: string; cidr: string }[] {
  const out: { ifname: string; cidr: string }[] = [];
  for (const line of ipOutput.split("\n")) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line.trim());
    if (m) out.push({ ifname: m[1], cidr: m[2] });
  }
  return out;
}

export interface VipPlacement {
  readonly vip: string;
  readonly ifname: string;
  readonly prefix: number;
}

/** Where keepalived puts each VIP on a gateway: the external one on the LAN NIC, the internal one on the vmnet NIC. */
export function vipPlacements(model: ClusterModel, gateway: VmSpec): VipPlacement[] {
  return [
    { vip: model.network.externalVip, ifname: nicOn(gateway, "lan"), prefix: model.network.lan.prefixLength },
    { vip: model.network.internalVip, ifname: nicOn(gateway, "nat"), prefix: model.network.nat.prefixLength },
  ];
}

/** Which of the VIPs the `ip -o -4 addr` output holds, each on its own NIC with its prefix. */
export function vipsHeld(
  ipOutput: string,
  placements: readonly VipPlacement[],
): { held: string[]; misplaced: string[] } {
  const addrs = ipv4Addresses(ipOutput);
  const held: string[] = [];
  const misplaced: string[] = [];
  for (const p of placements) {
    const hits = addrs.filter((a) => a.cidr.split("/")[0] === p.vip);
    if (hits.some((a) => a.ifname === p.ifname && a.cidr === `${p.vip}/${p.prefix}`)) held.push(p.vip);
    else if (hits.length) misplaced.push(hits.map((a) => `${a.cidr} on ${a.ifname}`).join(", "));
  }
  return { held, misplaced };
}

/** The first gateway (highest keepalived priority) holds both VIPs, every other gateway none. */
export const vipHolderCheck: FactCheck = {
  name: "VIP holder",
  needsGuestConfig: true,
  roles: ["gateway"],
  facts: { ipv4_addrs: "ip -o -4 addr show" },
  evaluate(ctx, facts) {
    const placements = vipPlacements(ctx.model, ctx.vm);
    const { held, misplaced } = vipsHeld(fact(facts, "ipv4_addrs").out, placements);
    const preferred = gatewaysOf(ctx.model)[0]?.name === ctx.vm.name;
    const want = preferred ? placements.map((p) => p.vip) : [];
    const ok = misplaced.length === 0 && held.length === want.length && want.every((v) => held.includes(v));
    const seen = `holds ${held.join(" ") || "no VIP"}${misplaced.length ? `; misplaced ${misplaced.join("; ")}` : ""}`;
    const expected = preferred
      ? `both VIPs (${placements.map((p) => `${p.vip}/${p.prefix} on ${p.ifname}`).join(", ")}): it has the highest priority`
      : "no VIP: the preferred gateway holds them";
    return [
      {
        id: "vips",
        ok,
        seen,
        ...(ok ? {} : { detail: `expected ${expected}\n${fact(facts, "ipv4_addrs").out}` }),
      },
    ];
  },
};

/**
 * The checks every VM gets (issue 7): hostname, user and sudo, key, NIC names by MAC, static
 * addresses and route, the apt proxy file, DNS, cloud-init's outcome, the seed that was used, and the
 * root filesystem grown to the disk size. Pure judgements of collected facts (see ./types.ts).
 */
import { parse } from "yaml";
import { NAT_ROUTE_METRIC, APT_PROXY_CONF_PATH } from "../../lib/render/cloud-init";
import type { CheckResult, Fact, FactCheck, Facts, GuestContext } from "./types";

const GIB = 1024 ** 3;

function fact(facts: Facts, name: string): Fact {
  return facts.get(name) ?? { rc: -1, out: `(fact ${name} was not collected)` };
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(2)} GiB`;
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function natIfname(ctx: GuestContext): string {
  const nat = ctx.vm.nics.find((n) => n.network === "nat");
  if (!nat) throw new Error(`${ctx.vm.name} has no NIC on the nat network`);
  return nat.ifname;
}

export const hostnameCheck: FactCheck = {
  name: "hostname",
  facts: { hostname: "hostname" },
  evaluate(ctx, facts) {
    const seen = fact(facts, "hostname").out.trim();
    return [{ id: "hostname", ok: seen === ctx.vm.name, seen, ...(seen === ctx.vm.name ? {} : { detail: `expected ${ctx.vm.name}` }) }];
  },
};

export const userCheck: FactCheck = {
  name: "user and sudo",
  facts: { user: "id -un", sudo: "sudo -n true" },
  evaluate(ctx, facts) {
    const user = fact(facts, "user").out.trim();
    const sudo = fact(facts, "sudo");
    const ok = user === ctx.model.ssh.user && sudo.rc === 0;
    const seen = `user ${user}, sudo -n true exit ${sudo.rc}${sudo.out.trim() ? ` (${firstLine(sudo.out)})` : ""}`;
    return [{ id: "user-sudo", ok, seen, ...(ok ? {} : { detail: `expected user ${ctx.model.ssh.user} with passwordless sudo` }) }];
  },
};

export const authorizedKeyCheck: FactCheck = {
  name: "authorized key",
  facts: { authorized_keys: "cat ~/.ssh/authorized_keys" },
  evaluate(ctx, facts) {
    const lines = fact(facts, "authorized_keys").out.split("\n").map((l) => l.trim()).filter(Boolean);
    const ok = lines.includes(ctx.publicKey.trim());
    const seen = `${lines.length} key(s): ${lines.map((l) => l.split(" ").slice(0, 1).concat(l.split(" ").slice(2)).join(" ")).join(", ") || "none"}`;
    return [{ id: "authorized-key", ok, seen, ...(ok ? {} : { detail: `the run's key (${ctx.publicKey.slice(0, 40)}...) is not in ~/.ssh/authorized_keys` }) }];
  },
};

interface IpLink {
  ifname: string;
  address?: string;
  operstate?: string;
  flags?: string[];
}

interface IpAddr {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Every NIC of the .vmx, in ethernetN order: the guest interface with its MAC must carry the configured name. */
export const nicNamesCheck: FactCheck = {
  name: "NIC names by MAC",
  facts: { links: "ip -j link show" },
  evaluate(ctx, facts) {
    const links = parseJson<IpLink[]>(fact(facts, "links").out) ?? [];
    const all = links.filter((l) => l.ifname !== "lo").map((l) => `${l.ifname}=${l.address ?? "?"}`).join(", ");
    return ctx.hardware.nics.map((nic, i): CheckResult => {
      const spec = ctx.vm.nics[i];
      const expected = spec?.ifname ?? `(no NIC ${i} in the config)`;
      const id = `nic-${expected}`;
      if (!spec || spec.mac !== nic.mac) {
        return { id, ok: false, seen: `ethernet${nic.index} ${nic.mac}`, detail: `the .vmx's ethernet${nic.index} MAC ${nic.mac} is not the config's ${spec?.mac ?? "(none)"}` };
      }
      const link = links.find((l) => (l.address ?? "").toLowerCase() === nic.mac);
      if (!link) return { id, ok: false, seen: `no interface has ${nic.mac}`, detail: `interfaces: ${all}` };
      const up = (link.flags ?? []).includes("UP");
      const ok = link.ifname === expected && up;
      return {
        id,
        ok,
        seen: `ethernet${nic.index} ${nic.mac} is ${link.ifname} (${up ? "up" : "down"}, ${link.operstate ?? "?"})`,
        ...(ok ? {} : { detail: `expected ${expected}, up; cloud-init renames by the MAC in network-config; interfaces: ${all}` }),
      };
    });
  },
};

/** Static addresses (addressing: static) on their NICs, and the default route through the NAT gateway. */
export const addressesCheck: FactCheck = {
  name: "static addresses",
  facts: { addrs: "ip -j addr show", routes: "ip -j route show" },
  evaluate(ctx, facts) {
    const addrs = parseJson<IpAddr[]>(fact(facts, "addrs").out) ?? [];
    const results: CheckResult[] = [];
    for (const nic of ctx.vm.nics) {
      if (nic.address === undefined) continue;
      const prefix = nic.network === "nat" ? ctx.model.network.nat.prefixLength : ctx.model.network.lan.prefixLength;
      const want = `${nic.address}/${prefix}`;
      const have = (addrs.find((a) => a.ifname === nic.ifname)?.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
      const ok = have.includes(want);
      results.push({ id: `address-${nic.ifname}`, ok, seen: `${nic.ifname}: ${have.join(" ") || "no IPv4 address"}`, ...(ok ? {} : { detail: `expected ${want}` }) });
    }
    if (ctx.model.addressing === "static") {
      const routes = parseJson<{ dst: string; gateway?: string; dev: string; metric?: number }[]>(fact(facts, "routes").out) ?? [];
      const nat = natIfname(ctx);
      const defaults = routes.filter((r) => r.dst === "default");
      const ok = defaults.some((r) => r.gateway === ctx.model.network.nat.gateway && r.dev === nat && r.metric === NAT_ROUTE_METRIC);
      results.push({
        id: "default-route",
        ok,
        seen: defaults.map((r) => `via ${r.gateway ?? "-"} dev ${r.dev} metric ${r.metric ?? 0}`).join("; ") || "no default route",
        ...(ok ? {} : { detail: `expected via ${ctx.model.network.nat.gateway} dev ${nat} metric ${NAT_ROUTE_METRIC}` }),
      });
    }
    return results;
  },
};

/** The content user-data's write_files gives `file`, or undefined. */
export function writeFileContent(userData: string, file: string): string | undefined {
  const doc = parse(userData, { version: "1.1" }) as { write_files?: { path?: string; content?: string }[] } | null;
  return doc?.write_files?.find((f) => f.path === file)?.content;
}

export const aptProxyConfCheck: FactCheck = {
  name: "apt proxy file",
  facts: { apt_proxy: `cat ${APT_PROXY_CONF_PATH}` },
  evaluate(ctx, facts) {
    const got = fact(facts, "apt_proxy");
    const expected = writeFileContent(ctx.seed.userData, APT_PROXY_CONF_PATH);
    const proxyLine = `Acquire::http::Proxy "${ctx.model.aptCache.proxyUrl}";`;
    const lines = got.out.split("\n").map((l) => l.trim());
    const ok = got.rc === 0 && expected !== undefined && got.out.trimEnd() === expected.trimEnd() && lines.includes(proxyLine);
    const seen = got.rc === 0 ? lines.filter((l) => l.startsWith("Acquire::")).join(" ") : firstLine(got.out);
    const why = expected === undefined ? "user-data has no write_files entry for it" : !lines.includes(proxyLine) ? `no line ${proxyLine}` : "content differs from user-data's write_files";
    return [{ id: "apt-proxy-conf", ok, seen, ...(ok ? {} : { detail: why }) }];
  },
};

/** `Link 2 (ens160): a b` lines of `resolvectl dns` / `resolvectl domain` -> values of one link. */
export function resolvectlValues(output: string, ifname: string): string[] | undefined {
  for (const line of output.split("\n")) {
    const m = /^Link \d+ \(([^)]+)\):\s*(.*)$/.exec(line.trim());
    if (m && m[1] === ifname) return m[2].split(/\s+/).filter(Boolean);
  }
  return undefined;
}

export const dnsCheck: FactCheck = {
  name: "DNS settings",
  facts: { resolve_dns: "resolvectl dns", resolve_domain: "resolvectl domain" },
  evaluate(ctx, facts) {
    const nat = natIfname(ctx);
    const servers = resolvectlValues(fact(facts, "resolve_dns").out, nat);
    const domains = resolvectlValues(fact(facts, "resolve_domain").out, nat);
    const want = ctx.model.network;
    const ok = servers !== undefined && domains !== undefined && servers.join(" ") === want.dnsServers.join(" ") && domains.join(" ") === want.dnsSearchDomains.join(" ");
    const seen = `${nat}: servers ${servers?.join(" ") || "none"}; search ${domains?.join(" ") || "none"}`;
    return [{ id: "dns", ok, seen, ...(ok ? {} : { detail: `expected servers ${want.dnsServers.join(" ")}; search ${want.dnsSearchDomains.join(" ") || "none"}\n${fact(facts, "resolve_dns").out}` }) }];
  },
};

interface ResultJson {
  v1?: { datasource?: string; errors?: string[]; recoverable_errors?: Record<string, string[]> };
}

export const cloudInitCheck: FactCheck = {
  name: "cloud-init outcome",
  facts: {
    cloud_init_status: "cloud-init status --long",
    result_json: "cat /run/cloud-init/result.json",
    cloud_init_problems: "grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 15",
  },
  evaluate(_ctx, facts) {
    const status = fact(facts, "cloud_init_status").out;
    const state = /^status:\s*(\S+)/m.exec(status)?.[1] ?? "unknown";
    const result = parseJson<ResultJson>(fact(facts, "result_json").out);
    const errors = result?.v1?.errors ?? [];
    const ok = state === "done" && errors.length === 0;
    const detail = [
      errors.length ? `result.json errors:\n  ${errors.join("\n  ")}` : "",
      /^detail:/m.test(status) ? status.slice(status.search(/^detail:/m)).trim() : "",
      fact(facts, "cloud_init_problems").out.trim() ? `cloud-init.log:\n${fact(facts, "cloud_init_problems").out.trim()}` : "",
    ]
      .filter(Boolean)
      .join("\n");
    return [{ id: "cloud-init", ok, seen: `status: ${state}, ${errors.length} error(s)`, ...(ok ? {} : { detail: detail || status.trim() }) }];
  },
};

export const seedUsedCheck: FactCheck = {
  name: "seed used",
  facts: { instance_id: "cat /var/lib/cloud/data/instance-id", result_json: "cat /run/cloud-init/result.json" },
  evaluate(ctx, facts) {
    const meta = parse(ctx.seed.metaData, { version: "1.1" }) as { "instance-id"?: string } | null;
    const want = String(meta?.["instance-id"] ?? "");
    const got = fact(facts, "instance_id").out.trim();
    const ds = parseJson<ResultJson>(fact(facts, "result_json").out)?.v1?.datasource ?? "unknown";
    const ok = got === want && want !== "" && ds.includes("NoCloud");
    return [{ id: "seed", ok, seen: `${ds}, instance-id ${got}`, ...(ok ? {} : { detail: `expected the NoCloud seed ISO with instance-id ${want}` }) }];
  },
};

interface LsblkDevice {
  name: string;
  size: number | string;
  type: string;
  mountpoint?: string | null;
  children?: LsblkDevice[];
}

/** The disk and partition that hold `/`, from `lsblk -b -J`. */
export function rootDevices(lsblkJson: string): { disk: LsblkDevice; part: LsblkDevice } | undefined {
  const tree = parseJson<{ blockdevices?: LsblkDevice[] }>(lsblkJson);
  for (const disk of tree?.blockdevices ?? []) {
    const part = (disk.children ?? []).find((c) => c.mountpoint === "/");
    if (part) return { disk, part };
  }
  return undefined;
}

export const rootfsGrownCheck: FactCheck = {
  name: "root filesystem grown",
  facts: { lsblk: "lsblk -b -J -o NAME,SIZE,TYPE,MOUNTPOINT", df_root: "df -B1 --output=size / | tail -n 1" },
  evaluate(ctx, facts) {
    const devices = rootDevices(fact(facts, "lsblk").out);
    const fsBytes = Number(fact(facts, "df_root").out.trim());
    const diskWant = ctx.vm.diskGb * GIB;
    if (!devices || !Number.isFinite(fsBytes)) {
      return [{ id: "rootfs-grown", ok: false, seen: "root device not found", detail: `${fact(facts, "lsblk").out}\n${fact(facts, "df_root").out}` }];
    }
    const disk = Number(devices.disk.size);
    const part = Number(devices.part.size);
    // growpart leaves at most alignment slack; ext4 keeps a few percent for its metadata.
    const ok = disk === diskWant && part >= disk - 16 * 1024 ** 2 && fsBytes >= 0.9 * part;
    return [
      {
        id: "rootfs-grown",
        ok,
        seen: `/ is ${gib(fsBytes)} on ${devices.part.name} (${gib(part)}) of ${devices.disk.name} (${gib(disk)})`,
        ...(ok ? {} : { detail: `expected the disk to be diskGb ${ctx.vm.diskGb} GiB and / to fill it (growpart + resize2fs at first boot)` }),
      },
    ];
  },
};

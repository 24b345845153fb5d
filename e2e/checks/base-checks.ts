/**
 * The checks every VM gets: the firmware and architecture it booted with, hostname, user and sudo,
 * key, NIC names by MAC, static addresses and route, the apt proxy file, DNS, cloud-init's outcome
 * (a degraded result fails, as cloud-init 23.4+ reports deprecated keys), the seed that was used, the
 * GPT grown with the disk (backup header moved to the new end) and the root filesystem grown to the
 * disk size. Pure judgements of collected facts (see ./types.ts).
 */
import { parse } from "yaml";
import { NAT_ROUTE_METRIC, APT_PROXY_CONF_PATH } from "../../lib/model/render/cloud-init";
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
    return [
      {
        id: "hostname",
        ok: seen === ctx.vm.name,
        seen,
        ...(seen === ctx.vm.name ? {} : { detail: `expected ${ctx.vm.name}` }),
      },
    ];
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
    return [
      {
        id: "user-sudo",
        ok,
        seen,
        ...(ok ? {} : { detail: `expected user ${ctx.model.ssh.user} with passwordless sudo` }),
      },
    ];
  },
};

export const authorizedKeyCheck: FactCheck = {
  name: "authorized key",
  facts: { authorized_keys: "cat ~/.ssh/authorized_keys" },
  evaluate(ctx, facts) {
    const lines = fact(facts, "authorized_keys")
      .out.split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const ok = lines.includes(ctx.publicKey.trim());
    const seen = `${lines.length} key(s): ${lines.map((l) => l.split(" ").slice(0, 1).concat(l.split(" ").slice(2)).join(" ")).join(", ") || "none"}`;
    return [
      {
        id: "authorized-key",
        ok,
        seen,
        ...(ok
          ? {}
          : { detail: `the run's key (${ctx.publicKey.slice(0, 40)}...) is not in ~/.ssh/authorized_keys` }),
      },
    ];
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
    const all = links
      .filter((l) => l.ifname !== "lo")
      .map((l) => `${l.ifname}=${l.address ?? "?"}`)
      .join(", ");
    return ctx.hardware.nics.map((nic, i): CheckResult => {
      const spec = ctx.vm.nics[i];
      const expected = spec?.ifname ?? `(no NIC ${i} in the config)`;
      const id = `nic-${expected}`;
      if (!spec || spec.mac !== nic.mac) {
        return {
          id,
          ok: false,
          seen: `ethernet${nic.index} ${nic.mac}`,
          detail: `the .vmx's ethernet${nic.index} MAC ${nic.mac} is not the config's ${spec?.mac ?? "(none)"}`,
        };
      }
      const link = links.find((l) => (l.address ?? "").toLowerCase() === nic.mac);
      if (!link) return { id, ok: false, seen: `no interface has ${nic.mac}`, detail: `interfaces: ${all}` };
      const up = (link.flags ?? []).includes("UP");
      const ok = link.ifname === expected && up;
      return {
        id,
        ok,
        seen: `ethernet${nic.index} ${nic.mac} is ${link.ifname} (${up ? "up" : "down"}, ${link.operstate ?? "?"})`,
        ...(ok
          ? {}
          : {
              detail: `expected ${expected}, up; cloud-init renames by the MAC in network-config; interfaces: ${all}`,
            }),
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
      const prefix =
        nic.network === "nat" ? ctx.model.network.nat.prefixLength : ctx.model.network.lan.prefixLength;
      const want = `${nic.address}/${prefix}`;
      const have = (addrs.find((a) => a.ifname === nic.ifname)?.addr_info ?? [])
        .filter((a) => a.family === "inet")
        .map((a) => `${a.local}/${a.prefixlen}`);
      const ok = have.includes(want);
      results.push({
        id: `address-${nic.ifname}`,
        ok,
        seen: `${nic.ifname}: ${have.join(" ") || "no IPv4 address"}`,
        ...(ok ? {} : { detail: `expected ${want}` }),
      });
    }
    if (ctx.model.addressing === "static") {
      const routes =
        parseJson<{ dst: string; gateway?: string; dev: string; metric?: number }[]>(
          fact(facts, "routes").out,
        ) ?? [];
      const nat = natIfname(ctx);
      const defaults = routes.filter((r) => r.dst === "default");
      const ok = defaults.some(
        (r) => r.gateway === ctx.model.network.nat.gateway && r.dev === nat && r.metric === NAT_ROUTE_METRIC,
      );
      results.push({
        id: "default-route",
        ok,
        seen:
          defaults.map((r) => `via ${r.gateway ?? "-"} dev ${r.dev} metric ${r.metric ?? 0}`).join("; ") ||
          "no default route",
        ...(ok
          ? {}
          : {
              detail: `expected via ${ctx.model.network.nat.gateway} dev ${nat} metric ${NAT_ROUTE_METRIC}`,
            }),
      });
    }
    return results;
  },
};

/** The content user-data's write_files gives `file`, or undefined. */
export function writeFileContent(userData: string, file: string): string | undefined {
  const doc = parse(userData, { version: "1.1" }) as {
    write_files?: { path?: string; content?: string }[];
  } | null;
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
    const ok =
      got.rc === 0 &&
      expected !== undefined &&
      got.out.trimEnd() === expected.trimEnd() &&
      lines.includes(proxyLine);
    const seen = got.rc === 0 ? lines.filter((l) => l.startsWith("Acquire::")).join(" ") : firstLine(got.out);
    const why =
      expected === undefined
        ? "user-data has no write_files entry for it"
        : !lines.includes(proxyLine)
          ? `no line ${proxyLine}`
          : "content differs from user-data's write_files";
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
    const ok =
      servers !== undefined &&
      domains !== undefined &&
      servers.join(" ") === want.dnsServers.join(" ") &&
      domains.join(" ") === want.dnsSearchDomains.join(" ");
    const seen = `${nat}: servers ${servers?.join(" ") || "none"}; search ${domains?.join(" ") || "none"}`;
    return [
      {
        id: "dns",
        ok,
        seen,
        ...(ok
          ? {}
          : {
              detail: `expected servers ${want.dnsServers.join(" ")}; search ${want.dnsSearchDomains.join(" ") || "none"}\n${fact(facts, "resolve_dns").out}`,
            }),
      },
    ];
  },
};

interface ResultJson {
  v1?: { datasource?: string; errors?: string[]; recoverable_errors?: Record<string, string[]> };
}

/**
 * `LEVEL: message` of the recoverable errors (cloud-init 23.4+: DEPRECATED, WARNING, ...), from
 * `cloud-init status --format json` (which has them all, deprecations too) and result.json, once each.
 */
function recoverableErrors(...sources: (Record<string, string[]> | undefined)[]): string[] {
  const all = sources.flatMap((src) =>
    Object.entries(src ?? {}).flatMap(([level, messages]) => (messages ?? []).map((m) => `${level}: ${m}`)),
  );
  return [...new Set(all)];
}

/** The guest booted the way its .vmx says: UEFI (`/sys/firmware/efi`) or BIOS, on the .vmx's architecture. */
export const firmwareCheck: FactCheck = {
  name: "firmware and architecture",
  facts: {
    firmware:
      'if [ -d /sys/firmware/efi ]; then echo "efi $(cat /sys/firmware/efi/fw_platform_size)-bit"; else echo bios; fi',
    machine: "uname -m",
  },
  evaluate(ctx, facts) {
    const firmware = fact(facts, "firmware").out.trim();
    const machine = fact(facts, "machine").out.trim();
    const want = ctx.hardware.firmware;
    const ok = firmware.split(" ")[0] === want && machine === ctx.hardware.arch;
    return [
      {
        id: "firmware",
        ok,
        seen: `${firmware || "?"} on ${machine || "?"}`,
        ...(ok ? {} : { detail: `the .vmx says firmware = ${want} on ${ctx.hardware.arch}` }),
      },
    ];
  },
};

export const cloudInitCheck: FactCheck = {
  name: "cloud-init outcome",
  facts: {
    cloud_init_version: "cloud-init --version 2>&1 | tail -n 1",
    cloud_init_status: "cloud-init status --long",
    cloud_init_status_json: "cloud-init status --format json",
    result_json: "cat /run/cloud-init/result.json",
    // The log is root's alone on cloud-init 25 (0640 root:adm).
    cloud_init_problems: "sudo -n grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 15",
  },
  evaluate(_ctx, facts) {
    const status = fact(facts, "cloud_init_status").out;
    const state = /^status:\s*(\S+)/m.exec(status)?.[1] ?? "unknown";
    // cloud-init 23.4+: "degraded done" when a module or key was deprecated or recovered from an error.
    const extended = /^extended_status:\s*(.+)$/m.exec(status)?.[1]?.trim();
    const result = parseJson<ResultJson>(fact(facts, "result_json").out);
    const errors = result?.v1?.errors ?? [];
    const statusJson = parseJson<{ recoverable_errors?: Record<string, string[]> }>(
      fact(facts, "cloud_init_status_json").out,
    );
    const recoverable = recoverableErrors(statusJson?.recoverable_errors, result?.v1?.recoverable_errors);
    const ok =
      state === "done" &&
      (extended === undefined || extended === "done") &&
      errors.length === 0 &&
      recoverable.length === 0;
    const version = /\b\d+\.\d+(\.\d+)?\S*/.exec(fact(facts, "cloud_init_version").out)?.[0] ?? "?";
    const detail = [
      errors.length ? `result.json errors:\n  ${errors.join("\n  ")}` : "",
      recoverable.length ? `recoverable errors:\n  ${recoverable.join("\n  ")}` : "",
      /^detail:/m.test(status) ? status.slice(status.search(/^detail:/m)).trim() : "",
      fact(facts, "cloud_init_problems").out.trim()
        ? `cloud-init.log:\n${fact(facts, "cloud_init_problems").out.trim()}`
        : "",
    ]
      .filter(Boolean)
      .join("\n");
    const seen = `cloud-init ${version}: status ${state}${extended && extended !== state ? ` (${extended})` : ""}, ${errors.length} error(s), ${recoverable.length} recoverable`;
    return [{ id: "cloud-init", ok, seen, ...(ok ? {} : { detail: detail || status.trim() }) }];
  },
};

export const seedUsedCheck: FactCheck = {
  name: "seed used",
  facts: {
    instance_id: "cat /var/lib/cloud/data/instance-id",
    result_json: "cat /run/cloud-init/result.json",
  },
  evaluate(ctx, facts) {
    const meta = parse(ctx.seed.metaData, { version: "1.1" }) as { "instance-id"?: string } | null;
    const want = String(meta?.["instance-id"] ?? "");
    const got = fact(facts, "instance_id").out.trim();
    const ds = parseJson<ResultJson>(fact(facts, "result_json").out)?.v1?.datasource ?? "unknown";
    const ok = got === want && want !== "" && ds.includes("NoCloud");
    return [
      {
        id: "seed",
        ok,
        seen: `${ds}, instance-id ${got}`,
        ...(ok ? {} : { detail: `expected the NoCloud seed ISO with instance-id ${want}` }),
      },
    ];
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
function rootDevices(lsblkJson: string): { disk: LsblkDevice; part: LsblkDevice } | undefined {
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
      return [
        {
          id: "rootfs-grown",
          ok: false,
          seen: "root device not found",
          detail: `${fact(facts, "lsblk").out}\n${fact(facts, "df_root").out}`,
        },
      ];
    }
    const disk = Number(devices.disk.size);
    const part = Number(devices.part.size);
    // The other partitions (the EFI system partition) keep their size; growpart leaves at most
    // alignment slack and GPT's backup header; ext4 keeps a few percent for its metadata.
    const others = (devices.disk.children ?? [])
      .filter((c) => c !== devices.part)
      .reduce((sum, c) => sum + Number(c.size), 0);
    const ok = disk === diskWant && part >= disk - others - 16 * 1024 ** 2 && fsBytes >= 0.9 * part;
    return [
      {
        id: "rootfs-grown",
        ok,
        seen: `/ is ${gib(fsBytes)} on ${devices.part.name} (${gib(part)}) of ${devices.disk.name} (${gib(disk)})`,
        ...(ok
          ? {}
          : {
              detail: `expected the disk to be diskGb ${ctx.vm.diskGb} GiB and / to fill it (growpart + resize2fs at first boot)`,
            }),
      },
    ];
  },
};

interface SfdiskTable {
  partitiontable?: {
    label?: string;
    lastlba?: number;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string }[];
  };
}

const ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

/**
 * The root disk's partition table after first boot: GPT with an EFI system partition, its backup
 * header moved to the grown disk's end (the primary header's last usable LBA is the disk's last
 * sector - 33), and the root partition reaching it (growpart on GPT), with `sfdisk --verify` clean.
 */
export const gptGrownCheck: FactCheck = {
  name: "GPT grown with the disk",
  facts: {
    root_disk: 'd=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)"); echo "$d $(cat /sys/block/$d/size)"',
    root_disk_table: 'sudo -n sfdisk --json "/dev/$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")"',
    root_disk_verify: 'sudo -n sfdisk --verify "/dev/$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")"',
    root_source: "findmnt -no SOURCE /",
  },
  evaluate(_ctx, facts) {
    const [diskName, sectorsText] = fact(facts, "root_disk").out.trim().split(/\s+/);
    const sectors = Number(sectorsText);
    const table = parseJson<SfdiskTable>(fact(facts, "root_disk_table").out)?.partitiontable;
    const verify = fact(facts, "root_disk_verify");
    const rootNode = fact(facts, "root_source").out.trim();
    if (!table || !Number.isFinite(sectors)) {
      return [
        {
          id: "gpt-grown",
          ok: false,
          seen: `no partition table read for ${diskName ?? "?"}`,
          detail: `${fact(facts, "root_disk_table").out}\n${fact(facts, "root_disk").out}`,
        },
      ];
    }
    const parts = table.partitions ?? [];
    const root = parts.find((p) => p.node === rootNode);
    const esp = parts.find((p) => p.type.toUpperCase() === ESP_TYPE);
    const lastUsable = sectors - 34;
    const rootEnd = root ? root.start + root.size - 1 : -1;
    const problems = [
      table.label === "gpt" ? "" : `label ${table.label ?? "?"}, not gpt`,
      esp ? "" : "no EFI system partition",
      table.lastlba === lastUsable
        ? ""
        : `last usable LBA ${table.lastlba ?? "?"}, not ${lastUsable} (the backup header was not moved to the disk's end)`,
      root && rootEnd >= lastUsable - 2048
        ? ""
        : `the root partition ${rootNode} ends at ${rootEnd}, not within 1 MiB of ${lastUsable}`,
      verify.rc === 0 && !/not on the end|mismatch|corrupt/i.test(verify.out)
        ? ""
        : `sfdisk --verify: ${verify.out.trim()}`,
    ].filter(Boolean);
    const seen = `${table.label ?? "?"} on ${diskName} (${sectors} sectors): last usable LBA ${table.lastlba}, root ${rootNode} ends at ${rootEnd}, ESP ${esp ? `${esp.node} (${(esp.size / 2048).toFixed(0)} MiB)` : "none"}`;
    return [
      {
        id: "gpt-grown",
        ok: problems.length === 0,
        seen,
        ...(problems.length ? { detail: problems.join("; ") } : {}),
      },
    ];
  },
};

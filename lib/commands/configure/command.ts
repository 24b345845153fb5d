/**
 * `npm run configure`: reads the host's facts, chooses the LAN, the external VIP and a cluster size
 * that fits, validates the result like every cluster.yaml, and writes it (never over an existing file
 * without --force, which shows the diff and keeps the old file beside it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createTwoFilesPatch } from "diff";
import { parseClusterConfig } from "../../model/config/build-model";
import { ConfigError, formatIssue } from "../../model/config/errors";
import { DEFAULT_CONFIG_FILE, loadClusterConfigText } from "../../runtime/load/cluster-config";
import { ClusterConfigSchema } from "../../model/config/schema";
import { THIN_DISK_SHARE } from "../doctor/capacity";
import { writeFileAtomic } from "../../runtime/fs/atomic";
import { AddressProbe } from "./address-probe";
import { HostFacts } from "./host-facts";
import { chooseLan, chooseSize, ConfigureRefusal } from "./plan";
import { mergeChoices, RECOMPUTED } from "./merge";
import { configureHeader, type ConfigureChoices, renderClusterYaml } from "./render";

export interface ConfigureOptions {
  readonly force?: boolean;
  readonly dryRun?: boolean;
  /** undefined = --no-probe: the VIP is not checked on the LAN. */
  readonly probe: AddressProbe | undefined;
}

export interface ConfigureDeps {
  readonly facts: HostFacts;
  readonly projectRoot: string;
  /** For CLUSTER_CONFIG and the SSH key lookup. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly homeDir?: string;
  readonly hostArch?: string;
  readonly now?: () => Date;
  /** Where the explanation goes. */
  readonly out: (text: string) => void;
}

export interface ConfigureResult {
  readonly file: string;
  readonly text: string;
  readonly written: boolean;
  /** The old file's new name, when --force replaced one. */
  readonly backup?: string;
}

const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

async function pickVip(
  candidates: readonly string[],
  probe: AddressProbe | undefined,
  subnet: string,
): Promise<{ vip: string; notes: string[] }> {
  if (candidates.length === 0)
    throw new ConfigureRefusal(
      `no candidate for the external VIP in ${subnet}; set network.externalVip by hand`,
    );
  if (!probe)
    return {
      vip: candidates[0],
      notes: [
        `external VIP ${candidates[0]}: not probed (--no-probe); make sure no device uses it and that it is outside your router's DHCP range`,
      ],
    };
  const notes: string[] = [];
  for (const ip of candidates) {
    if ((await probe(ip)) === "taken") {
      notes.push(`${ip} answered on the LAN (in use): skipped`);
      continue;
    }
    notes.push(
      `external VIP ${ip}: nothing answered a ping or ARP for it; still check that it is outside your router's DHCP range`,
    );
    return { vip: ip, notes };
  }
  throw new ConfigureRefusal(
    `every candidate for the external VIP is in use (${candidates.join(", ")}); set network.externalVip in cluster.yaml by hand to a free address of ${subnet}`,
  );
}

/** Loads `text` exactly as every command loads cluster.yaml; a missing SSH key is a note, not an error. */
function validate(text: string, shown: string, deps: ConfigureDeps): string[] {
  try {
    loadClusterConfigText(text, `${shown} (as configure would write it)`, {
      projectRoot: deps.projectRoot,
      env: deps.env ?? process.env,
      ...(deps.homeDir !== undefined ? { homeDir: deps.homeDir } : {}),
      ...(deps.hostArch !== undefined ? { hostArch: deps.hostArch } : {}),
    });
    return [];
  } catch (err) {
    if (
      err instanceof ConfigError &&
      err.issues.length > 0 &&
      err.issues.every((i) => i.field === "sshPublicKeyFile")
    )
      return err.issues.map(formatIssue);
    throw err;
  }
}

/** The vmnet subnet the LAN must not overlap: the existing file's, else the default. */
function natSubnetOf(old: string | undefined): string {
  if (old !== undefined) {
    try {
      return parseClusterConfig(old, DEFAULT_CONFIG_FILE).network.nat.subnet;
    } catch {
      // An unreadable file is reported when the new text is validated.
    }
  }
  return ClusterConfigSchema.parse({}).network.nat.subnet;
}

/** The LAN, the external VIP and the cluster size for this host, with the reasons. */
async function choose(
  opts: ConfigureOptions,
  deps: ConfigureDeps,
  natSubnet: string,
): Promise<ConfigureChoices & { reasons: string[] }> {
  const lan = await deps.facts.defaultLan();
  if (!lan)
    throw new ConfigureRefusal(
      "found no default route with an IPv4 address (is this host on a network?); nothing was written. Connect to your LAN and run npm run configure again, or set network.lan.subnet and network.externalVip by hand",
    );
  const lanChoice = chooseLan(lan, natSubnet);
  const size = chooseSize(deps.facts.totalMemBytes, deps.facts.cpuCount);
  const { vip, notes: vipNotes } = await pickVip(lanChoice.candidates, opts.probe, lanChoice.subnet);
  return {
    subnet: lanChoice.subnet,
    externalVip: vip,
    profileName: size.profile.name,
    size: size.input,
    date: (deps.now ?? (() => new Date()))(),
    reasons: [...lanChoice.reasons, ...vipNotes, ...size.reasons],
  };
}

function diskNote(text: string, free: number | undefined): string {
  const config = parseClusterConfig(text, DEFAULT_CONFIG_FILE);
  const vms = [
    ...config.vms.map((vm) => ({
      diskGb: vm.diskGb ?? config.roleDefaults[vm.role].diskGb,
      memoryMb: vm.memoryMb ?? config.roleDefaults[vm.role].memoryMb,
    })),
    config.aptCache,
  ];
  // The doctor's rule (lib/commands/doctor/capacity.ts) for a first deploy: nothing built, no image yet.
  const need =
    (vms.reduce((s, vm) => s + vm.diskGb * THIN_DISK_SHARE, 0) + config.baseImage.virtualSizeGb) * GiB +
    vms.reduce((s, vm) => s + vm.memoryMb, 0) * 2 ** 20;
  const rule = `about ${gib(need)} (the doctor's rule: a quarter of each thin disk, the base image, and each VM's memory for snapshots)`;
  if (free === undefined) return `disk: free space unknown; a first deploy needs ${rule}`;
  return free < need
    ? `disk: WARNING only ${gib(free)} free in the project folder; a first deploy needs ${rule}: free space first`
    : `disk: ${gib(free)} free in the project folder; a first deploy needs ${rule}`;
}

export async function runConfigure(opts: ConfigureOptions, deps: ConfigureDeps): Promise<ConfigureResult> {
  const env = deps.env ?? process.env;
  const file = env.CLUSTER_CONFIG
    ? path.resolve(deps.projectRoot, env.CLUSTER_CONFIG)
    : path.join(deps.projectRoot, DEFAULT_CONFIG_FILE);
  const shown = path.relative(deps.projectRoot, file) || file;
  const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  const choices = await choose(opts, deps, natSubnetOf(old));
  const merged = old === undefined ? undefined : mergeChoices(old, choices, configureHeader(choices));
  const text = merged ?? renderClusterYaml(choices);
  const keyNotes = validate(text, shown, deps);
  const report = [
    `configure: this host: ${deps.facts.platform}, ${gib(deps.facts.totalMemBytes)} memory, ${deps.facts.cpuCount} cores`,
    ...choices.reasons.map((r) => `  - ${r}`),
    `  - ${diskNote(text, await deps.facts.freeDiskBytes(deps.projectRoot))}`,
    ...keyNotes.map((n) => `  - SSH key: ${n}`),
    ...(old === undefined
      ? []
      : merged === undefined
        ? [`  - ${shown} cannot be edited (not a readable YAML mapping): the new file replaces it whole`]
        : [`  - ${shown}: recomputes ${RECOMPUTED.join("; ")}; keeps every other setting and comment`]),
  ];
  deps.out(`${report.join("\n")}\n`);

  if (old !== undefined && old !== text)
    deps.out(
      createTwoFilesPatch(`${shown} (now)`, `${shown} (configure)`, old, text, "", "", { context: 2 }),
    );
  if (opts.dryRun) {
    deps.out(`configure: --dry-run: nothing was written; ${shown} would be:\n${text}`);
    return { file, text, written: false };
  }
  if (old !== undefined && !opts.force)
    throw new ConfigureRefusal(
      `${shown} exists; nothing was written. The differences are shown above: run npm run configure -- --force to write them (it keeps every setting it does not recompute, and the old file beside it), or edit it by hand`,
    );
  let backup: string | undefined;
  if (old !== undefined) {
    const stamp = (deps.now ?? (() => new Date()))().toISOString().replace(/[-:]/g, "").slice(0, 15);
    backup = `${file}.${stamp}.bak`;
    fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
  }
  await writeFileAtomic(file, text);
  deps.out(
    `configure: wrote ${shown}${backup ? ` (the old one is ${path.relative(deps.projectRoot, backup) || backup})` : ""}; next: npm run doctor, then npm run deploy\n`,
  );
  return { file, text, written: true, ...(backup ? { backup } : {}) };
}

/**
 * A DoctorEnv for tests: fake Fusion networking files in a temp dir (FUSION_PREFS_DIR / FUSION_LEASES_DIR),
 * fake tool answers by program name, fixed host memory/CPUs/free disk. (Not a test file.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildRealDoctorEnv } from "../lib/commands/doctor/real-env";
import type { DoctorEnv } from "../lib/commands/doctor/types";
import { RunResult, SpawnError } from "../lib/runtime/process/run-with-deadline";
import { FIXTURE_SSH_PUBLIC_KEY } from "./model-fixture";

/** Fusion's networking file with vmnet1 (host-only), vmnet2 (the lab's) and vmnet8 (NAT). */
export function networkingText(
  vmnet2: Partial<Record<"HOSTONLY_SUBNET" | "HOSTONLY_NETMASK" | "NAT" | "DHCP", string>> | null = {},
): string {
  const lines = [
    "VERSION=1,0",
    "answer VNET_1_DHCP yes",
    "answer VNET_1_HOSTONLY_NETMASK 255.255.255.0",
    "answer VNET_1_HOSTONLY_SUBNET 172.16.10.0",
    "answer VNET_1_VIRTUAL_ADAPTER yes",
  ];
  if (vmnet2 !== null) {
    const v = {
      DHCP: "yes",
      HOSTONLY_NETMASK: "255.255.255.0",
      HOSTONLY_SUBNET: "10.10.0.0",
      NAT: "yes",
      ...vmnet2,
    };
    for (const [k, value] of Object.entries(v)) lines.push(`answer VNET_2_${k} ${value}`);
    lines.push("answer VNET_2_VIRTUAL_ADAPTER yes");
  }
  lines.push(
    "answer VNET_8_DHCP yes",
    "answer VNET_8_HOSTONLY_NETMASK 255.255.255.0",
    "answer VNET_8_HOSTONLY_SUBNET 172.16.20.0",
    "answer VNET_8_NAT yes",
    "answer VNET_8_VIRTUAL_ADAPTER yes",
  );
  return `${lines.join("\n")}\n`;
}

/** A Fusion-generated dhcpd.conf with one subnet block. */
export function dhcpdConfText(subnet: string, start: string, end: string): string {
  return [
    "# Configuration file for ISC 2.0 vmnet-dhcpd operating on vmnet2.",
    '###### VMNET DHCP Configuration. Start of "DO NOT MODIFY SECTION" #####',
    "allow unknown-clients;",
    "default-lease-time 1800;",
    `subnet ${subnet} netmask 255.255.255.0 {`,
    `\trange ${start} ${end};`,
    "\toption broadcast-address 10.10.0.255;",
    "}",
    '####### VMNET DHCP Configuration. End of "DO NOT MODIFY SECTION" #######',
    "",
  ].join("\n");
}

/** One ISC lease; times as Date (written in dhcpd's UTC `w yyyy/mm/dd hh:mm:ss`). */
export function leaseText(ip: string, mac: string, starts: Date, ends: Date): string {
  const t = (d: Date) =>
    `${d.getUTCDay()} ${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")} ${d.toISOString().slice(11, 19)}`;
  return `lease ${ip} {\n\tstarts ${t(starts)};\n\tends ${t(ends)};\n\thardware ethernet ${mac};\n\tclient-hostname "x";\n}\n`;
}

export interface FakeTool {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly code?: number | null;
  readonly timedOut?: boolean;
}

export interface FakeDoctorHost {
  readonly root: string;
  readonly prefsDir: string;
  readonly leasesDir: string;
  /** Writes a file under the project root (relative) or at an absolute path. */
  write(file: string, text: string): string;
  /** The env; `tools` maps a program (name or path) to its answer, missing = not installed. */
  env(opts?: {
    tools?: Record<string, FakeTool>;
    executables?: string[];
    totalMemGb?: number;
    cpus?: number;
    /** The host's IPv4 addresses. @default ["192.168.68.20"] (inside the default LAN) */
    hostAddresses?: string[];
    freeDiskGb?: number;
    extraEnv?: NodeJS.ProcessEnv;
    now?: Date;
  }): DoctorEnv;
  cleanup(): void;
}

export const FAKE_BIN = "/fake/bin";

/** A project with cluster.yaml (3 VMs + APT cache), an SSH key, and good vmnet2 files. */
export function createFakeDoctorHost(opts: { clusterYaml?: string; key?: boolean } = {}): FakeDoctorHost {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "doctor-")));
  const prefsDir = path.join(root, "fusion-prefs");
  const leasesDir = path.join(root, "fusion-leases");
  const write = (file: string, text: string) => {
    const abs = path.resolve(root, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    return abs;
  };
  if (opts.key !== false) write("id_test.pub", `${FIXTURE_SSH_PUBLIC_KEY}\n`);
  write(
    "cluster.yaml",
    opts.clusterYaml ??
      [
        "arch: amd64",
        "sshPublicKeyFile: id_test.pub",
        "vms:",
        "  - {name: gateway1, role: gateway}",
        "  - {name: k8s-master1, role: master}",
        "  - {name: k8s-worker1, role: worker}",
        "",
      ].join("\n"),
  );
  write(path.join(prefsDir, "networking"), networkingText());
  write(
    path.join(prefsDir, "vmnet2", "dhcpd.conf"),
    dhcpdConfText("10.10.0.0", "10.10.0.128", "10.10.0.254"),
  );
  write(
    path.join(prefsDir, "vmnet1", "dhcpd.conf"),
    dhcpdConfText("172.16.10.0", "172.16.10.128", "172.16.10.254"),
  );
  write(
    path.join(prefsDir, "vmnet8", "dhcpd.conf"),
    dhcpdConfText("172.16.20.0", "172.16.20.128", "172.16.20.254"),
  );
  fs.mkdirSync(leasesDir, { recursive: true });

  const allTools: Record<string, FakeTool> = {
    [`${FAKE_BIN}/vmrun`]: { stdout: "vmrun version 1.17.0 build-24995812" },
    "/Applications/VMware Fusion.app/Contents/Library/vmware-vmx": {
      stderr: "VMware Fusion 13.6.3 build-24585314 Release\n",
    },
    "qemu-img": { stdout: "qemu-img version 9.2.0\nCopyright (c) 2003-2024 Fabrice Bellard" },
    terraform: { stdout: "Terraform v1.11.4\non darwin_arm64" },
  };
  return {
    root,
    prefsDir,
    leasesDir,
    write,
    env(o = {}) {
      const tools = o.tools ?? allTools;
      const executables = new Set(
        o.executables ?? [
          `${FAKE_BIN}/vmrun`,
          "/Applications/VMware Fusion.app/Contents/Library/vmware-vmx",
          `${FAKE_BIN}/xorriso`,
        ],
      );
      return {
        // Real file reading and hashing; the host's tools, platform and size are faked below.
        ...buildRealDoctorEnv(root, {}),
        platform: "darwin",
        env: {
          PATH: FAKE_BIN,
          VMRUN: `${FAKE_BIN}/vmrun`,
          FUSION_PREFS_DIR: prefsDir,
          FUSION_LEASES_DIR: leasesDir,
          ...o.extraEnv,
        },
        projectRoot: root,
        homeDir: root,
        hostArch: "x64",
        isExecutable: (file) => executables.has(file),
        run: async (file): Promise<RunResult> => {
          const t = tools[file];
          if (!t)
            throw new SpawnError(file, Object.assign(new Error(`spawn ${file} ENOENT`), { code: "ENOENT" }));
          return {
            code: t.code === undefined ? 0 : t.code,
            signal: null,
            stdout: t.stdout ?? "",
            stderr: t.stderr ?? "",
            timedOut: t.timedOut ?? false,
            durationMs: 1,
          };
        },
        hostAddresses: () => o.hostAddresses ?? ["192.168.68.20"],
        totalMemBytes: (o.totalMemGb ?? 64) * 2 ** 30,
        cpuCount: o.cpus ?? 12,
        freeDiskBytes: async () => (o.freeDiskGb ?? 500) * 2 ** 30,
        now: () => o.now ?? new Date("2026-06-01T12:00:00Z"),
      };
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

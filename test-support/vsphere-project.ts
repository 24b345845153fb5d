/**
 * A temporary lab project on the vSphere target for the day-two tests: cluster.yaml with `target: vsphere`
 * and a vsphere block pointing at a GovcBackend (the govc double, or govc with a vcsim of the test's own),
 * the APT cache and three cluster VMs cloned into its folder, an SSH key, and the repository's code linked
 * in. (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EntryResult, makeTempProjectRoot, startEntry } from "./run-entry";
import { FIXTURE_SSH_PUBLIC_KEY } from "./model-fixture";
import { GovcBackend } from "./govc-sim";

export const VSPHERE_FOLDER = "k8s-lab";
export const VSPHERE_APT_CACHE = "apt-cache-server";
export const VSPHERE_CLUSTER_VMS = ["gateway1", "k8s-master1", "k8s-worker1"] as const;

/** The lab's VMs as the config names them, with their static addresses. */
const VMS: ReadonlyArray<readonly [string, string, string]> = [
  ["gateway1", "gateway", "10.10.0.11"],
  ["k8s-master1", "master", "10.10.0.21"],
  ["k8s-worker1", "worker", "10.10.0.31"],
];

export interface VsphereProject {
  readonly root: string;
  readonly backend: GovcBackend;
  /** What an entry point needs beyond PATH, HOME and TMPDIR: GOVC and the credentials. */
  readonly env: Record<string, string>;
  /** `/DC0/vm/k8s-lab/<name>`. */
  pathOf(name: string): string;
  /** Runs `scripts/<entry>.ts <args>` in the project, as `npm run <entry> -- <args>` does; `env` adds to (or overrides) `env`. */
  run(
    entry: string,
    args: readonly string[],
    opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> },
  ): Promise<EntryResult>;
  cleanup(): void;
}

export interface VsphereProjectOptions {
  /** VMs not to clone (never deployed). */
  readonly absent?: readonly string[];
  /** VMs to clone into the folder beyond the config's (orphans of an earlier config). */
  readonly extra?: readonly string[];
  /** timeouts.ipWaitSeconds (30 to 7200). @default 30 */
  readonly ipWaitSeconds?: number;
}

export function vsphereClusterYaml(server: string, opts: { ipWaitSeconds?: number } = {}): string {
  return [
    "arch: amd64",
    "sshPublicKeyFile: id_test.pub",
    "target: vsphere",
    "addressing: static",
    `timeouts: {vmrunSeconds: 20, ipWaitSeconds: ${opts.ipWaitSeconds ?? 30}}`,
    "vsphere:",
    `  server: "${server}"`,
    "  allowUnverifiedSsl: true",
    "  datacenter: DC0",
    "  cluster: DC0_C0",
    "  datastore: LocalDS_0",
    `  folder: ${VSPHERE_FOLDER}`,
    "  networks: {lan: VM Network, internal: DC0_DVPG0}",
    "  template: DC0_H0_VM0",
    "network:",
    "  nat: {subnet: 10.10.0.0/24, gateway: 10.10.0.1, hostAddress: 10.10.0.254, dhcpStart: 10.10.0.200, dhcpEnd: 10.10.0.250}",
    "  dnsServers: [10.10.0.1]",
    "aptCache: {address: 10.10.0.148}",
    "vms:",
    ...VMS.map(([name, role, address]) => `  - {name: ${name}, role: ${role}, address: ${address}}`),
    "",
  ].join("\n");
}

export function createVsphereProject(backend: GovcBackend, opts: VsphereProjectOptions = {}): VsphereProject {
  const root = fs.realpathSync(makeTempProjectRoot());
  fs.writeFileSync(path.join(root, "id_test.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
  fs.writeFileSync(path.join(root, "cluster.yaml"), vsphereClusterYaml(backend.server, opts));
  const names = [VSPHERE_APT_CACHE, ...VSPHERE_CLUSTER_VMS, ...(opts.extra ?? [])];
  backend.cloneVms(
    VSPHERE_FOLDER,
    names.filter((n) => !opts.absent?.includes(n)),
  );
  return {
    root,
    backend,
    env: backend.env,
    pathOf: (name) => `/DC0/vm/${VSPHERE_FOLDER}/${name}`,
    run: (entry, args, o = {}) =>
      startEntry(entry, {
        projectRoot: root,
        env: { ...backend.env, ...o.env },
        args,
        input: o.input ?? "",
        timeoutMs: o.timeoutMs ?? 120_000,
      }).done,
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The e2e run's own project folder: the repository's code linked in, its own cluster.yaml, SSH key,
 * VMs/, generated/, base_images/ and cdktf.out/, so a run never touches the user's deploy. scripts/ is
 * a real folder of links, so the launcher (which resolves its own folder) takes this folder as the
 * project root, exactly as Terraform's `../../../scripts/run <entry>` does in a real project. Its
 * `run` is e2e/lib/launcher-in-netns.sh, which starts the real launcher (`run.product`) inside the
 * test network namespace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { Arch } from "../../lib/model/config/model";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";

/** Linked as a whole from the repository (read-only for the run). */
const LINKED = ["lib", "node_modules", "package.json", "tsconfig.json", "templates"];

export function linkProject(repoRoot: string, projectDir: string): void {
  fs.mkdirSync(projectDir, { recursive: true });
  for (const name of LINKED) fs.symlinkSync(path.join(repoRoot, name), path.join(projectDir, name));
  const scripts = path.join(projectDir, "scripts");
  fs.mkdirSync(scripts);
  for (const name of fs.readdirSync(path.join(repoRoot, "scripts"))) {
    fs.symlinkSync(
      path.join(repoRoot, "scripts", name),
      path.join(scripts, name === "run" ? "run.product" : name),
    );
  }
  fs.symlinkSync(path.join(repoRoot, "e2e", "lib", "launcher-in-netns.sh"), path.join(scripts, "run"));
}

export interface E2eVm {
  readonly name: string;
  readonly role: "gateway" | "master" | "worker";
  readonly address: string;
}

export interface E2eConfigInput {
  /** The cluster.yaml's arch: the .vmx's guestOS, and so the QEMU that boots it. */
  readonly arch: Arch;
  readonly publicKeyFile: string;
  readonly imagePath: string;
  readonly imageSha256: string;
  readonly imageVirtualSizeGb: number;
  readonly vms: readonly E2eVm[];
  readonly dnsServers: readonly string[];
  readonly dnsSearchDomains: readonly string[];
  /** How long vm-start waits for a guest's IP (timeouts.ipWaitSeconds). */
  readonly ipWaitSeconds: number;
  /** Per role: cpus, memoryMb, diskGb. */
  readonly sizing: Readonly<Record<E2eVm["role"], { cpus: number; memoryMb: number; diskGb: number }>>;
}

/** The VMs an e2e cluster can have, statically addressed; a run deploys a subset (--vms). */
export const E2E_VMS: readonly E2eVm[] = [
  { name: "gateway1", role: "gateway", address: "10.10.0.10" },
  { name: "gateway2", role: "gateway", address: "10.10.0.11" },
  { name: "k8s-master1", role: "master", address: "10.10.0.20" },
  { name: "k8s-worker1", role: "worker", address: "10.10.0.30" },
];

/** The VMs named by `names`, in E2E_VMS order; throws on an unknown name. */
export function selectVms(names: readonly string[]): E2eVm[] {
  const unknown = names.filter((n) => !E2E_VMS.some((v) => v.name === n));
  if (unknown.length > 0)
    throw new Error(
      `unknown e2e VM ${unknown.join(", ")}; choose from ${E2E_VMS.map((v) => v.name).join(", ")}`,
    );
  if (names.length === 0) throw new Error("no VM selected; name at least one");
  return E2E_VMS.filter((v) => names.includes(v.name));
}

/** cluster.yaml for the run (only settings the schema knows; everything else keeps its default). */
export function e2eClusterYaml(input: E2eConfigInput): string {
  const config = {
    arch: input.arch,
    addressing: "static",
    sshPublicKeyFile: input.publicKeyFile,
    network: { dnsServers: [...input.dnsServers], dnsSearchDomains: [...input.dnsSearchDomains] },
    roleDefaults: input.sizing,
    vms: input.vms.map((vm) => ({ name: vm.name, role: vm.role, address: vm.address })),
    baseImage: { url: input.imagePath, sha256: input.imageSha256, virtualSizeGb: input.imageVirtualSizeGb },
    timeouts: { ipWaitSeconds: input.ipWaitSeconds },
  };
  return `# Written by e2e/run.ts for one end-to-end run; not a user config.\n${stringify(config)}`;
}

/** A fresh ed25519 key pair without passphrase; returns the public key line. */
export async function makeSshKey(file: string): Promise<string> {
  const r = await runWithDeadline(
    "ssh-keygen",
    ["-q", "-t", "ed25519", "-N", "", "-C", "e2e@fusion-k8s-lab", "-f", file],
    { timeoutMs: 20_000 },
  );
  if (r.code !== 0)
    throw new Error(`ssh-keygen failed (exit ${r.code}): ${r.stderr.trim()}; install openssh-client`);
  return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { runWithDeadline, type RunResult } from "../lib/runtime/process/run-with-deadline";

import { findProgram, toolPath } from "./required-tools";

/**
 * The real consumers of generated files, run from tests: `cloud-init schema`, `netplan generate`,
 * `cloud-init devel net-convert`, `keepalived -t`, `nginx -t`. Runs are cached by content, so many tests
 * can share one. Tests gate on the tools with requireTools (required-tools.ts).
 */
const need = (file: string | undefined, what: string): string => {
  if (file === undefined) throw new Error(`${what} is not installed: gate the test with requireTools`);
  return file;
};

/** The seed a vSphere guest's cloud-init reads from its guestinfo keys. */
export interface GuestinfoSeed {
  readonly metadata: Record<string, unknown>;
  /** The network config cloud-init applies (netplan v2 as a tree). */
  readonly network: unknown;
  readonly userdata: string;
}

export class Validators {
  readonly workDir = fs.mkdtempSync(path.join(os.tmpdir(), "validators-"));
  private counter = 0;
  private readonly cache = new Map<string, Promise<unknown>>();

  private cached<T>(key: string, run: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = run();
      this.cache.set(key, p);
    }
    return p;
  }

  cloudInitSchema(userData: string): Promise<RunResult> {
    return this.cached(`schema\n${userData}`, () => {
      const file = path.join(this.workDir, `user-data-${this.counter++}`);
      fs.writeFileSync(file, userData);
      return runWithDeadline("cloud-init", ["schema", "--config-file", file], { timeoutMs: 30_000 });
    });
  }

  /** netplan reads `network:`-wrapped files from <root>/etc/netplan and writes networkd units under <root>/run. */
  netplanGenerate(networkConfig: string): Promise<RunResult & { root: string }> {
    const root = path.join(this.workDir, `netplan-${this.counter++}`);
    return this.cached(`netplan\n${networkConfig}`, async () => {
      fs.mkdirSync(path.join(root, "etc/netplan"), { recursive: true });
      const file = path.join(root, "etc/netplan/50-cloud-init.yaml");
      fs.writeFileSync(file, YAML.stringify({ network: YAML.parse(networkConfig) }), { mode: 0o600 });
      const netplan = need(toolPath("netplan"), "netplan");
      const result = await runWithDeadline(netplan, ["generate", "--root-dir", root], { timeoutMs: 30_000 });
      return { ...result, root };
    });
  }

  /** cloud-init's own reading of network-config, as in the guest; writes <out>/etc/netplan/50-cloud-init.yaml. */
  netConvert(networkConfig: string): Promise<RunResult & { root: string }> {
    const n = this.counter++;
    const root = path.join(this.workDir, `nc-${n}`);
    return this.cached(`net-convert\n${networkConfig}`, async () => {
      const file = path.join(this.workDir, `network-config-${n}`);
      fs.writeFileSync(file, networkConfig);
      const args = [
        "devel",
        "net-convert",
        "-p",
        file,
        "-k",
        "yaml",
        "-d",
        root,
        "-D",
        "ubuntu",
        "-O",
        "netplan",
      ];
      return { ...(await runWithDeadline("cloud-init", args, { timeoutMs: 30_000 })), root };
    });
  }

  /**
   * `keepalived -t` inside a fresh network namespace holding veth NICs named `interfaces`, as root
   * (enable_script_security needs it). The namespace is removed afterwards.
   */
  async keepalivedCheck(config: string, interfaces: readonly string[]): Promise<RunResult> {
    const keepalived = need(findProgram("keepalived", { sbin: true }), "keepalived");
    const IP = need(findProgram("ip", { sbin: true }), "ip");
    const n = this.counter++;
    const file = path.join(this.workDir, `keepalived-${n}.conf`);
    fs.writeFileSync(file, config, { mode: 0o600 });
    const ns = `k8slab-test-${process.pid}-${n}`;
    const ip = (args: string[]) => runWithDeadline(IP, args, { timeoutMs: 10_000 });
    const added = await ip(["netns", "add", ns]);
    if (added.code !== 0) throw new Error(`ip netns add failed: ${added.stderr}`);
    try {
      for (const [i, name] of interfaces.entries()) {
        const link = await ip(["-n", ns, "link", "add", name, "type", "veth", "peer", "name", `peer${i}`]);
        if (link.code !== 0) throw new Error(`creating ${name} in ${ns} failed: ${link.stderr}`);
      }
      return await runWithDeadline(IP, ["netns", "exec", ns, keepalived, "-t", "-l", "-f", file], {
        timeoutMs: 20_000,
      });
    } finally {
      await ip(["netns", "del", ns]);
    }
  }

  /**
   * `nginx -t` on a full nginx.conf. Its pid and log paths are pointed into the work dir, so the check
   * touches nothing of the host's nginx; every other line is checked as written. As root nginx -t
   * binds the listen addresses, so it runs in a network namespace with net.ipv4.ip_nonlocal_bind=1,
   * as on a gateway (its seed sets that sysctl), where the VIPs need not be held.
   */
  async nginxCheck(config: string): Promise<RunResult> {
    const NGINX = need(toolPath("nginx-stream"), "nginx with the stream module");
    const IP = findProgram("ip", { sbin: true });
    const n = this.counter++;
    const dir = path.join(this.workDir, `nginx-${n}`);
    fs.mkdirSync(dir, { recursive: true });
    const local = config
      .replace(/\/run\/nginx\.pid/g, path.join(dir, "nginx.pid"))
      .replace(/\/var\/log\/nginx\//g, `${dir}/`);
    const file = path.join(dir, "nginx.conf");
    fs.writeFileSync(file, local);
    const args = ["-t", "-c", file, "-e", path.join(dir, "error.log")];
    if (IP === undefined || process.getuid?.() !== 0)
      return runWithDeadline(NGINX, args, { timeoutMs: 20_000 });
    const ns = `k8slab-nginx-${process.pid}-${n}`;
    const ip = (argv: string[]) => runWithDeadline(IP, argv, { timeoutMs: 10_000 });
    const added = await ip(["netns", "add", ns]);
    if (added.code !== 0) throw new Error(`ip netns add failed: ${added.stderr}`);
    try {
      const sysctlPath = need(findProgram("sysctl", { sbin: true }), "sysctl");
      const sysctl = await ip(["netns", "exec", ns, sysctlPath, "-qw", "net.ipv4.ip_nonlocal_bind=1"]);
      if (sysctl.code !== 0) throw new Error(`sysctl in ${ns} failed: ${sysctl.stderr}`);
      return await runWithDeadline(IP, ["netns", "exec", ns, NGINX, ...args], { timeoutMs: 20_000 });
    } finally {
      await ip(["netns", "del", ns]);
    }
  }

  /**
   * What cloud-init's VMware datasource reads from guestinfo keys, decoded by cloud-init's own code
   * (test-support/guestinfo-decode.py, run with the Python cloud-init is installed for).
   */
  async guestinfoDecode(keys: Readonly<Record<string, string>>): Promise<GuestinfoSeed> {
    const cloudInit = need(findProgram("cloud-init"), "cloud-init");
    const shebang = /^#!\s*(\S+)/.exec(fs.readFileSync(cloudInit, "utf8").split("\n")[0])?.[1] ?? "python3";
    const r = await runWithDeadline(shebang, [path.join(__dirname, "guestinfo-decode.py")], {
      timeoutMs: 30_000,
      input: JSON.stringify(keys),
    });
    if (r.code !== 0) throw new Error(`guestinfo-decode failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as GuestinfoSeed;
  }

  cleanup(): void {
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { runWithDeadline, type RunResult } from "../lib/process/run-with-deadline";

/**
 * The real consumers of generated files, run from tests: `cloud-init schema`, `netplan generate`,
 * `cloud-init devel net-convert`. Runs are cached by content, so many tests can share one.
 */
export function hasTool(file: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, file)));
}

export const HAVE_CLOUD_INIT = hasTool("cloud-init");
const NETPLAN_SBIN = "/usr/sbin/netplan";
export const HAVE_NETPLAN = hasTool("netplan") || fs.existsSync(NETPLAN_SBIN);
const NETPLAN = hasTool("netplan") ? "netplan" : NETPLAN_SBIN;

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
      const result = await runWithDeadline(NETPLAN, ["generate", "--root-dir", root], { timeoutMs: 30_000 });
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
      const args = ["devel", "net-convert", "-p", file, "-k", "yaml", "-d", root, "-D", "ubuntu", "-O", "netplan"];
      return { ...(await runWithDeadline("cloud-init", args, { timeoutMs: 30_000 })), root };
    });
  }

  cleanup(): void {
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

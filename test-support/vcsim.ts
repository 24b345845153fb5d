/**
 * govmomi's vCenter simulator on loopback, for the real-Terraform tier (found through LAB_REAL_TOOLS,
 * test-support/real-tools.ts): one process per test file, on a port the kernel picks, stopped after.
 * Its default inventory: datacenter DC0, cluster DC0_C0, hosts, datastore LocalDS_0, port groups
 * "VM Network" and DC0_DVPG0, and VMs such as DC0_H0_VM0 (usable as a clone template). (Not a test file.)
 */
import { ChildProcess, spawn } from "node:child_process";
import { runWithDeadline, type RunResult } from "../lib/runtime/process/run-with-deadline";
import { realToolBinary } from "./real-tools";

export interface Vcsim {
  /** host:port on 127.0.0.1. */
  readonly server: string;
  /** The environment govc and the vsphere provider read: server, credentials, TLS skipped (a simulator). */
  readonly env: NodeJS.ProcessEnv;
  govc(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startVcsim(): Promise<Vcsim> {
  // stderr (its request log) must be drained: a full pipe would block vcsim mid-request.
  const child = spawn(realToolBinary("vcsim"), ["-l", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const server = await listeningAddress(child);
  const env: NodeJS.ProcessEnv = {
    // govc: the URL without credentials; the credentials apart, as the product passes them.
    GOVC_URL: `https://${server}/sdk`,
    GOVC_USERNAME: "user",
    GOVC_PASSWORD: "pass",
    GOVC_INSECURE: "1",
    VSPHERE_USER: "user",
    VSPHERE_PASSWORD: "pass",
  };
  return {
    server,
    env,
    govc: (args, timeoutMs = 60_000) =>
      runWithDeadline(realToolBinary("govc"), [...args], { timeoutMs, env: { ...process.env, ...env } }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** vcsim prints `export GOVC_URL=https://user:pass@127.0.0.1:<port>/sdk ...` once it listens. */
function listeningAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`vcsim did not start listening within 20 s: ${out}`));
    }, 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /GOVC_URL=https:\/\/[^@\s]+@(127\.0\.0\.1:\d+)\/sdk/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited (${code}) before listening: ${out}`));
    });
  });
}

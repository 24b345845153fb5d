/**
 * A real sshd on 127.0.0.1, started by a test in a folder of its own: its own host key, an
 * authorized client key, a free port, the current user. It proves what the ssh double cannot: that
 * OpenSSH itself accepts the pinned keys and refuses a changed one. (Not a test file.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline } from "../lib/runtime/process/run-with-deadline";
import { findProgram } from "./required-tools";

export interface LoopbackSshd {
  readonly port: number;
  readonly user: string;
  /** The client's private key, authorized for `user`. */
  readonly clientKey: string;
  /** The host key sshd shows now, `<type> <base64>`. */
  hostKey(): string;
  /** Restarts sshd with a new host key (a rebuilt guest). */
  rekey(): Promise<void>;
  stop(): Promise<void>;
}

async function keygen(file: string): Promise<string> {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  const r = await runWithDeadline("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file], {
    timeoutMs: 20_000,
  });
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return fs.readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null)
      throw new Error(`sshd exited with ${child.exitCode}: ${fs.readFileSync(log, "utf8")}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${fs.readFileSync(log, "utf8")}`);
}

export async function startLoopbackSshd(dir: string): Promise<LoopbackSshd> {
  const sshd = findProgram("sshd", { sbin: true });
  if (sshd === undefined) throw new Error("sshd is missing: apt-get install openssh-server");
  // As root, sshd separates privileges into /run/sshd (what Debian's unit creates at start).
  if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKeyFile = path.join(dir, "host_ed25519");
  const clientKey = path.join(dir, "client_ed25519");
  await keygen(clientKey);
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, "authorized_keys"));
  const port = await freePort();
  const config = path.join(dir, "sshd_config");
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKeyFile}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  const log = path.join(dir, "sshd.log");
  let child: ChildProcess | undefined;
  let hostKey = "";
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const closed = new Promise((resolve) => c.once("close", resolve));
    process.kill(-c.pid!, "SIGTERM");
    await closed;
  };
  const start = async () => {
    hostKey = await keygen(hostKeyFile);
    const out = fs.openSync(log, "w");
    child = spawn(sshd, ["-D", "-e", "-f", config], { detached: true, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    await waitForPort(port, child, log);
  };
  await start();
  return {
    port,
    user: os.userInfo().username,
    clientKey,
    hostKey: () => hostKey,
    rekey: async () => {
      await stop();
      await start();
    },
    stop,
  };
}

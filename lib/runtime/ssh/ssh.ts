import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline, type RunResult } from "../process/run-with-deadline";
import { type HostKeyPins, type PinSource, refreshPins } from "./host-keys";

/**
 * The one place that spells an `ssh` command line. The product's remote commands are lists of fixed
 * words: ssh joins them with spaces for the guest's shell, so no value from the project may be among
 * them (the check below refuses anything but plain words); data travels on stdin. Every connection
 * checks the VM's pinned host keys (host-keys.ts): a guest whose key changed is refused.
 */
export interface SshTarget {
  readonly host: string;
  readonly user: string;
  /** @default 22 */
  readonly port?: number;
  /** Private key; `~/` is the home folder. @default ssh's own choice (agent, ~/.ssh/id_ed25519, ...) */
  readonly identityFile?: string;
  /** Where the VM's host keys are pinned. */
  readonly hostKeys: HostKeyPins;
}

export interface SshRunOptions {
  readonly timeoutMs: number;
  readonly input?: string;
  /** Seconds ssh waits for the TCP connection. @default 10 */
  readonly connectTimeoutSeconds?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** ssh's result, and where the host keys it checked came from (for the message when it refused one). */
export type SshResult = RunResult & { readonly pinSource: PinSource };

const REMOTE_WORD = /^[A-Za-z0-9_./=:-]+$/;

function expandIdentityFile(file: string, home = os.homedir()): string {
  return file === "~" ? home : file.startsWith("~/") ? path.join(home, file.slice(2)) : path.resolve(file);
}

function checkTarget(target: SshTarget): void {
  if (!/^[A-Za-z0-9.-]+$/.test(target.host))
    throw new Error(`SSH host ${JSON.stringify(target.host)} is not an address or host name`);
  if (!/^[a-z_][a-z0-9_-]*$/.test(target.user))
    throw new Error(`SSH user ${JSON.stringify(target.user)} is not a user name`);
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(target.hostKeys.alias))
    throw new Error(`host key alias ${JSON.stringify(target.hostKeys.alias)} is not a VM name`);
  if (!isSshSafePath(target.hostKeys.knownHostsFile))
    throw new Error(
      `the known_hosts path ${JSON.stringify(target.hostKeys.knownHostsFile)} ${SSH_UNSAFE_PATH}: move the project to a folder whose path has none of them`,
    );
}

/** What a path ssh cannot be given holds. */
export const SSH_UNSAFE_PATH = "holds a quote, a control character, % or ${, which ssh would misread";

/**
 * Whether ssh reads `file` as written, as a (quoted) config value: a space is fine, a quote is not, and
 * OpenSSH 8.4+ expands %-tokens and ${VAR} in file names (%d would silently name another file).
 */
export function isSshSafePath(file: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  return !/["\u0000-\u001f%]|\$\{/.test(file);
}

function checkRemote(remote: readonly string[]): void {
  if (remote.length === 0) throw new Error("an SSH call needs a remote command");
  for (const word of remote) {
    if (!REMOTE_WORD.test(word))
      throw new Error(
        `remote command word ${JSON.stringify(word)} is not a plain word; pass data on stdin instead`,
      );
  }
}

/**
 * Options of every connection: the pinned keys under the VM's name (a changed key is refused; with no
 * pin yet, the first key is recorded), a connect deadline, keep-alives that end a dead session.
 */
function connectionOptions(
  target: SshTarget,
  source: PinSource,
  opts: { readonly batch: boolean; readonly connectTimeoutSeconds: number },
): string[] {
  checkTarget(target);
  const o = (option: string) => ["-o", option];
  return [
    ...(opts.batch ? [...o("BatchMode=yes"), ...o("LogLevel=ERROR")] : []),
    ...o(`ConnectTimeout=${opts.connectTimeoutSeconds}`),
    ...o(`HostKeyAlias=${target.hostKeys.alias}`),
    ...o(`UserKnownHostsFile="${target.hostKeys.knownHostsFile}"`),
    ...o("GlobalKnownHostsFile=/dev/null"),
    ...o(`StrictHostKeyChecking=${source === "console" ? "yes" : "accept-new"}`),
    ...o("HashKnownHosts=no"),
    ...o("CheckHostIP=no"),
    ...o("ServerAliveInterval=5"),
    ...o("ServerAliveCountMax=3"),
    ...(target.port !== undefined && target.port !== 22 ? ["-p", String(target.port)] : []),
    ...(target.identityFile !== undefined
      ? ["-i", expandIdentityFile(target.identityFile), ...o("IdentitiesOnly=yes")]
      : []),
  ];
}

function sshArgs(
  target: SshTarget,
  remote: readonly string[],
  source: PinSource,
  connectTimeoutSeconds = 10,
): string[] {
  checkRemote(remote);
  return [
    ...connectionOptions(target, source, { batch: true, connectTimeoutSeconds }),
    `${target.user}@${target.host}`,
    "--",
    ...remote,
  ];
}

/** Runs `remote` on the target under a deadline (the ssh process group is killed when it passes). */
export async function sshRun(
  target: SshTarget,
  remote: readonly string[],
  opts: SshRunOptions,
): Promise<SshResult> {
  // Bad input is refused before the pins are touched.
  checkTarget(target);
  checkRemote(remote);
  const pinSource = await refreshPins(target.hostKeys);
  const result = await runWithDeadline(
    "ssh",
    sshArgs(target, remote, pinSource, opts.connectTimeoutSeconds),
    {
      timeoutMs: opts.timeoutMs,
      input: opts.input,
      env: opts.env,
    },
  );
  return { ...result, pinSource };
}

/**
 * A session for the user (`npm run ssh -- <vm> [command]`): the terminal is handed over, the command
 * is the user's own words, and there is no deadline but the connect timeout and the keep-alives.
 * ssh's own messages pass through; the last of them are returned for the explanation of a refusal.
 */
export async function sshSession(
  target: SshTarget,
  command: readonly string[],
  opts: { readonly connectTimeoutSeconds?: number } = {},
): Promise<{ readonly code: number; readonly stderr: string; readonly pinSource: PinSource }> {
  checkTarget(target); // before the pins are touched
  const pinSource = await refreshPins(target.hostKeys);
  const args = [
    ...connectionOptions(target, pinSource, {
      batch: false,
      connectTimeoutSeconds: opts.connectTimeoutSeconds ?? 10,
    }),
    `${target.user}@${target.host}`,
    ...(command.length > 0 ? ["--", ...command] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", args, { stdio: ["inherit", "inherit", "pipe"] });
    let tail = "";
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-4096);
    });
    child.on("error", (err) => reject(new Error(`cannot run ssh: ${err.message}; install OpenSSH's client`)));
    child.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 255), stderr: tail, pinSource }),
    );
  });
}

/** ssh's own failure (exit 255) that says the key was refused: waiting longer will not help. */
export function isAuthFailure(result: { code: number | null; stderr: string }): boolean {
  return result.code === 255 && /Permission denied|Too many authentication failures/i.test(result.stderr);
}

/** ssh refused the guest's host key: it is not the pinned one. */
export function isHostKeyRefusal(result: { code: number | null; stderr: string }): boolean {
  return (
    result.code === 255 &&
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* has changed/i.test(
      result.stderr,
    )
  );
}

/** ssh could not reach the host (yet): refused, no route, timed out, host down. */
export function isUnreachable(result: RunResult): boolean {
  return result.timedOut || (result.code === 255 && !isAuthFailure(result) && !isHostKeyRefusal(result));
}

/** What a refused host key means and what to do, by where the pin came from. */
export function hostKeyRefusalMessage(target: SshTarget, pinSource: PinSource): string {
  const vm = target.hostKeys.alias;
  const where = `${vm} at ${target.host}`;
  return pinSource === "console"
    ? `${where} shows a host key other than the ones its console printed (${target.hostKeys.consoleLog}), so ssh refused it. A VM whose seed changed makes new keys and prints them at the end of that first boot: wait for it (npm run manager -- status shows cloud-init) and retry. Otherwise another machine answers at ${target.host}: check the address (npm run manager -- status)`
    : `${where} shows a host key other than the one recorded when it was first reached (${target.hostKeys.knownHostsFile}), so ssh refused it. If you rebuilt or re-seeded ${vm}, it has new keys: forget the old one with npm run ssh -- --forget ${vm} and retry. Otherwise another machine answers at ${target.host}: check the address (npm run manager -- status)`;
}

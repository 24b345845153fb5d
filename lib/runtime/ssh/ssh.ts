import * as os from "node:os";
import * as path from "node:path";
import { runWithDeadline, type RunResult } from "../process/run-with-deadline";

/**
 * The one place that spells an `ssh` command line. The remote command is a list of fixed words:
 * ssh joins them with spaces for the guest's shell, so no value from the project may be among them
 * (the check below refuses anything but plain words). Data travels on stdin.
 */
export interface SshTarget {
  readonly host: string;
  readonly user: string;
  /** @default 22 */
  readonly port?: number;
  /** Private key; `~/` is the home folder. @default ssh's own choice (agent, ~/.ssh/id_ed25519, ...) */
  readonly identityFile?: string;
}

export interface SshRunOptions {
  readonly timeoutMs: number;
  readonly input?: string;
  /** Seconds ssh waits for the TCP connection. @default 10 */
  readonly connectTimeoutSeconds?: number;
  readonly env?: NodeJS.ProcessEnv;
}

const REMOTE_WORD = /^[A-Za-z0-9_./=:-]+$/;

function expandIdentityFile(file: string, home = os.homedir()): string {
  return file === "~" ? home : file.startsWith("~/") ? path.join(home, file.slice(2)) : path.resolve(file);
}

function sshArgs(target: SshTarget, remote: readonly string[], connectTimeoutSeconds = 10): string[] {
  if (!/^[A-Za-z0-9.-]+$/.test(target.host))
    throw new Error(`SSH host ${JSON.stringify(target.host)} is not an address or host name`);
  if (!/^[a-z_][a-z0-9_-]*$/.test(target.user))
    throw new Error(`SSH user ${JSON.stringify(target.user)} is not a user name`);
  if (remote.length === 0) throw new Error("an SSH call needs a remote command");
  for (const word of remote) {
    if (!REMOTE_WORD.test(word))
      throw new Error(
        `remote command word ${JSON.stringify(word)} is not a plain word; pass data on stdin instead`,
      );
  }
  return [
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${connectTimeoutSeconds}`,
    // Lab VMs get new host keys with every new instance; like Vagrant, keys are not pinned.
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=3",
    ...(target.port !== undefined && target.port !== 22 ? ["-p", String(target.port)] : []),
    ...(target.identityFile !== undefined
      ? ["-i", expandIdentityFile(target.identityFile), "-o", "IdentitiesOnly=yes"]
      : []),
    `${target.user}@${target.host}`,
    "--",
    ...remote,
  ];
}

/** Runs `remote` on the target under a deadline (the ssh process group is killed when it passes). */
export function sshRun(
  target: SshTarget,
  remote: readonly string[],
  opts: SshRunOptions,
): Promise<RunResult> {
  return runWithDeadline("ssh", sshArgs(target, remote, opts.connectTimeoutSeconds), {
    timeoutMs: opts.timeoutMs,
    input: opts.input,
    env: opts.env,
  });
}

/** ssh's own failure (exit 255) that says the key was refused: waiting longer will not help. */
export function isAuthFailure(result: RunResult): boolean {
  return result.code === 255 && /Permission denied|Too many authentication failures/i.test(result.stderr);
}

/** ssh could not reach the host (yet): refused, no route, timed out, host down. */
export function isUnreachable(result: RunResult): boolean {
  return result.timedOut || (result.code === 255 && !isAuthFailure(result));
}

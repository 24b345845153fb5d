/**
 * ssh into a guest from inside the test network namespace (`ip netns exec <ns> ssh ...`), as user
 * ubuntu with the run's own key. Host keys are new at every first boot, so they are neither checked
 * nor stored. The remote command is a fixed string of the checks (the guest's shell runs it).
 */
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { inNetns } from "./netns";

export interface SshTarget {
  readonly namespace: string;
  readonly address: string;
  readonly user: string;
  readonly keyFile: string;
}

export interface SshResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

function sshArgv(t: SshTarget, command: string): string[] {
  return [
    ...inNetns(t.namespace),
    "ssh",
    "-i",
    t.keyFile,
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "ServerAliveInterval=5",
    `${t.user}@${t.address}`,
    command,
  ];
}

export async function ssh(t: SshTarget, command: string, timeoutMs = 60_000): Promise<SshResult> {
  const [file, ...args] = sshArgv(t, command);
  const r = await runWithDeadline(file, args, { timeoutMs });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
}

/**
 * Polls until `true` runs over ssh (which already proves the user and the key), or the budget runs
 * out, or `gaveUp()` says waiting is pointless. Returns ssh's last error when it never worked.
 */
export async function waitForSsh(
  t: SshTarget,
  budgetMs: number,
  gaveUp: () => boolean,
): Promise<{ ok: boolean; lastError: string }> {
  const deadline = Date.now() + budgetMs;
  let lastError = "no attempt";
  while (Date.now() < deadline && !gaveUp()) {
    const r = await ssh(t, "true", 15_000);
    if (r.code === 0) return { ok: true, lastError: "" };
    lastError = r.timedOut ? "ssh timed out" : r.stderr.trim().split("\n").pop() || `exit ${r.code}`;
    await new Promise((res) => setTimeout(res, 2000));
  }
  return { ok: false, lastError };
}

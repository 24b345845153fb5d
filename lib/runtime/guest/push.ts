import { hostWords } from "../../model/host-words";
import { isIPv4 } from "../../model/net/ipv4";
import { GUEST_APPLIER_PATH } from "../../model/render/cloud-init";
import {
  hostKeyRefusalMessage,
  isAuthFailure,
  isHostKeyRefusal,
  isUnreachable,
  sshRun,
  type SshTarget,
} from "../ssh/ssh";
import type { GuestBundle } from "./manifest";

/**
 * Installs a VM's role files over SSH: waits until the guest answers and cloud-init has finished
 * (first boot installs the packages the files configure), then hands the bundle to the guest's
 * applier (`sudo -n k8s-lab-apply`, JSON on stdin), which checks, installs and reloads.
 */
export interface PushOptions {
  readonly vmName: string;
  readonly target: SshTarget;
  readonly bundle: GuestBundle;
  /** Budget for SSH to answer and cloud-init to finish, in milliseconds. */
  readonly waitMs: number;
  /** Deadline of the applier itself. @default 180000 */
  readonly applyTimeoutMs?: number;
  /** Pause between SSH attempts. @default 3000 */
  readonly retryMs?: number;
  /**
   * Whether the VM's .vmx exists, for the message when it has no address: a VM that is built only needs
   * starting; one that is not is rebuilt by the next deploy. @default unknown
   */
  readonly vmBuilt?: boolean;
  readonly log: (message: string) => void;
}

/** Why there is no address to reach `vmName` at, and the command that gets past it in that state. */
function noAddressMessage(vmName: string, vmBuilt: boolean | undefined): string {
  if (vmBuilt === false)
    return `${vmName} has no known address: its .vmx is missing (it was never started, or was deleted). Run npm run deploy again: its plan finds the .vmx missing and starts ${vmName} again`;
  return `${vmName} has no known address: it is off or has not reported one yet. Start it (npm run manager -- start-all), then run npm run deploy again`;
}

export interface ApplySummary {
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
  readonly units: readonly string[];
  readonly errors: readonly string[];
  /** What cloud-init reported, when it was not plain success. */
  readonly cloudInitWarning?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1] ?? "";
}

async function waitForSsh(opts: PushOptions, deadline: number): Promise<void> {
  const { vmName, target } = opts;
  let last = "";
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `${vmName}: SSH to ${target.user}@${target.host} did not answer within ${Math.round(opts.waitMs / 1000)} s (last: ${last || "no answer"}); check the VM is running (npm run manager -- status) and that ${hostWords(process.platform).host} reaches ${target.host}`,
      );
    }
    const result = await sshRun(target, ["true"], {
      timeoutMs: Math.min(left, 20_000),
      connectTimeoutSeconds: 10,
    });
    if (result.code === 0) return;
    if (isAuthFailure(result)) {
      throw new Error(
        `${vmName}: ${target.host} refused your SSH key (${lastLine(result.stderr)}): the VM has the public key from sshPublicKeyFile; make its private key available (ssh-add, or set sshPublicKeyFile to a key whose private half sits beside it)`,
      );
    }
    // A refused host key may be a guest still in the first boot of a new seed: its console shows the
    // new keys at the end of it, so waiting helps; the refusal is what the deadline reports.
    const keyRefused = isHostKeyRefusal(result);
    if (!keyRefused && !isUnreachable(result)) {
      throw new Error(
        `${vmName}: ssh ${target.host} failed with exit ${result.code}: ${lastLine(result.stderr) || lastLine(result.stdout)}`,
      );
    }
    last = keyRefused
      ? hostKeyRefusalMessage(target, result.pinSource)
      : result.timedOut
        ? "timed out"
        : lastLine(result.stderr);
    await sleep(Math.min(opts.retryMs ?? 3000, Math.max(deadline - Date.now(), 0)));
  }
}

/**
 * `cloud-init status --wait`: 0 = done, 2 = done with recoverable errors (cloud-init 23.4+), 1 = error.
 * First boot restarts sshd (cloud-init regenerates the host keys), so a dropped or refused connection
 * means "wait for SSH again", until the deadline.
 */
async function waitForCloudInit(opts: PushOptions, deadline: number): Promise<string | undefined> {
  const { vmName, target } = opts;
  for (;;) {
    const result = await sshRun(target, ["cloud-init", "status", "--wait"], {
      timeoutMs: Math.max(deadline - Date.now(), 1),
    });
    if (result.timedOut) {
      throw new Error(
        `${vmName}: cloud-init was still running after ${Math.round(opts.waitMs / 1000)} s; see its progress with: ssh ${target.user}@${target.host} cloud-init status --long`,
      );
    }
    if (result.code === 0) return undefined;
    if (result.code === 255) {
      if (isAuthFailure(result) || Date.now() >= deadline) {
        throw new Error(
          `${vmName}: the SSH connection failed while waiting for cloud-init: ${isHostKeyRefusal(result) ? hostKeyRefusalMessage(target, result.pinSource) : lastLine(result.stderr)}`,
        );
      }
      opts.log(
        `SSH dropped (${lastLine(result.stderr) || "no reason"}): sshd restarts during first boot; waiting for it again`,
      );
      await sleep(Math.min(opts.retryMs ?? 3000, Math.max(deadline - Date.now(), 0)));
      await waitForSsh(opts, deadline);
      continue;
    }
    // The role files are still worth installing; the applier checks them with the installed tools.
    return `cloud-init ended with exit ${result.code} (${lastLine(result.stdout) || "no status"}); see: ssh ${target.user}@${target.host} cloud-init status --long`;
  }
}

function parseSummary(vmName: string, stdout: string): ApplySummary | undefined {
  try {
    const parsed = JSON.parse(lastLine(stdout)) as Partial<ApplySummary>;
    if (!Array.isArray(parsed.changed) || !Array.isArray(parsed.errors)) return undefined;
    return {
      changed: parsed.changed,
      unchanged: parsed.unchanged ?? [],
      units: parsed.units ?? [],
      errors: parsed.errors,
    };
  } catch {
    void vmName;
    return undefined;
  }
}

export async function pushGuestConfig(opts: PushOptions): Promise<ApplySummary> {
  const { vmName, target } = opts;
  if (target.host === "") throw new Error(noAddressMessage(vmName, opts.vmBuilt));
  if (!isIPv4(target.host))
    throw new Error(`${vmName}: SSH_HOST ${JSON.stringify(target.host)} is not an IPv4 address`);
  const deadline = Date.now() + opts.waitMs;
  opts.log(`waiting for SSH on ${target.host}`);
  await waitForSsh(opts, deadline);
  opts.log("waiting for cloud-init to finish");
  const cloudInitWarning = await waitForCloudInit(opts, deadline);
  if (cloudInitWarning !== undefined) opts.log(`warning: ${cloudInitWarning}`);

  const result = await sshRun(target, ["sudo", "-n", GUEST_APPLIER_PATH], {
    timeoutMs: opts.applyTimeoutMs ?? 180_000,
    input: `${JSON.stringify(opts.bundle)}\n`,
  });
  if (result.timedOut)
    throw new Error(
      `${vmName}: ${GUEST_APPLIER_PATH} did not finish within ${Math.round((opts.applyTimeoutMs ?? 180_000) / 1000)} s`,
    );
  const summary = parseSummary(vmName, result.stdout);
  if (summary === undefined && isHostKeyRefusal(result))
    throw new Error(`${vmName}: ${hostKeyRefusalMessage(target, result.pinSource)}`);
  if (summary === undefined) {
    const why = lastLine(result.stderr) || lastLine(result.stdout) || `exit ${result.code}`;
    const hint = /not found|No such file/i.test(why)
      ? `the guest has no ${GUEST_APPLIER_PATH} (its seed predates it, or cloud-init failed): check cloud-init status --long on it`
      : /password is required|sudo/i.test(why)
        ? `the ${target.user} user needs passwordless sudo (the seed sets it)`
        : "see the message above";
    throw new Error(`${vmName}: applying the role files failed: ${why}; ${hint}`);
  }
  const full = { ...summary, ...(cloudInitWarning !== undefined ? { cloudInitWarning } : {}) };
  if (summary.errors.length > 0 || result.code !== 0) {
    throw new Error(
      `${vmName}: the guest refused or could not apply its role files: ${summary.errors.join("; ") || `exit ${result.code}`}${cloudInitWarning ? ` (${cloudInitWarning})` : ""}`,
    );
  }
  return full;
}

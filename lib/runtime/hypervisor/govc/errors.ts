import * as path from "node:path";
import { FailureReason, HypervisorError, HypervisorErrorKind } from "../errors";
import { GOVC_INSTALL_HINT } from "./locate";

export interface GovcErrorInit {
  /** The govc command, e.g. "vm.power -on". */
  readonly operation: string;
  /** Inventory path of the VM, when the command names one. */
  readonly vm?: string;
  readonly kind: HypervisorErrorKind;
  readonly exitCode?: number | null;
  /** govc's stdout and stderr, its `<argv0>: ` prefix already taken off. */
  readonly output?: string;
  /** The deadline that expired (kind "timeout"). */
  readonly timeoutMs?: number;
  /** Why it went wrong when govc's output does not say it (kinds "spawn" and "bad-output"). */
  readonly detail?: string;
  /** Values never to show (the credentials): replaced by *** wherever they appear. */
  readonly secrets?: readonly string[];
  /** The reason when the driver found it out itself (e.g. from vm.info) rather than from govc's words. */
  readonly reason?: FailureReason;
}

// govc's words (stderr, after "<argv0>: "), as against vcsim and as vCenter's localized faults say them.
// govmomi's finder: "vm '<path>' not found", "<path> not found".
const VM_NOT_FOUND = /\bnot found\b/i;
// govc: `snapshot "x" not found`, `"x" resolves to 2 snapshots`, "no snapshots for this VM": a name that cannot be used.
const SNAPSHOT_NOT_FOUND = /snapshot "[^"]*" not found|resolves to \d+ snapshots|no snapshots for this VM/i;
// vcsim: "*types.InvalidPowerState" (task) or "ServerFaultCode: InvalidPowerState"; vCenter: "The attempted
// operation cannot be performed in the current state (Powered on)."
const INVALID_POWER_STATE = /InvalidPowerState|cannot be performed in the current state/i;
const STATE_POWERED_ON = /current state \(Powered on\)/i;
// vcsim: "ToolsUnavailable"; vCenter: "Cannot complete operation because VMware Tools is not running in this virtual machine."
const TOOLS_NOT_RUNNING = /ToolsUnavailable|VMware Tools is not running/i;
// vcsim: "Login failure", "NotAuthenticated"; vCenter: "Cannot complete login due to an incorrect user name or password."
const LOGIN_REFUSED = /Login failure|NotAuthenticated|incorrect user name or password/i;
const TLS_UNTRUSTED = /x509:|certificate/i;
const UNREACHABLE = /connection refused|no such host|i\/o timeout|network is unreachable|no route to host/i;

/** One govc call that went wrong, with a message that names the VM, the step and what to do. */
export class GovcError extends HypervisorError {
  readonly vm: string | undefined;
  /** The VM's name (the last part of its inventory path). */
  readonly vmName: string | undefined;
  readonly exitCode: number | null;
  /** govc's output, credentials masked. */
  readonly output: string;

  constructor(init: GovcErrorInit) {
    const output = redact(init.output ?? "", init.secrets ?? []);
    const reason = init.reason ?? reasonOf(init.operation, init.kind === "failed" ? output : "");
    const safe = { ...init, output, detail: init.detail && redact(init.detail, init.secrets ?? []) };
    super(describe(safe, reason), { operation: init.operation, kind: init.kind, reason });
    this.name = "GovcError";
    this.vm = init.vm;
    this.vmName = init.vm === undefined ? undefined : path.posix.basename(init.vm);
    this.exitCode = init.exitCode ?? null;
    this.output = output;
  }
}

/** Masks every occurrence of each secret. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => (s === "" ? t : t.split(s).join("***")), text);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

/** What to do about a failure govc's words explain (the login, TLS trust, the network path), or undefined. */
export function remedyFor(output: string): string | undefined {
  if (LOGIN_REFUSED.test(output))
    return "vSphere refused the login: check VSPHERE_USER and VSPHERE_PASSWORD (export them in this shell)";
  if (TLS_UNTRUSTED.test(output))
    return "the vCenter certificate is not trusted: add its CA to the system's trust store (or GOVC_TLS_CA_CERTS), or set vsphere.allowUnverifiedSsl: true in cluster.yaml if you trust this server";
  if (UNREACHABLE.test(output))
    return "vCenter cannot be reached: check vsphere.server in cluster.yaml and the network path to it";
  return undefined;
}

function describe(init: GovcErrorInit, reason: FailureReason | undefined): string {
  const name = init.vm === undefined ? undefined : path.posix.basename(init.vm);
  const subject = name === undefined ? `govc ${init.operation}` : `govc ${init.operation} ${name}`;
  const text = oneLine(init.output ?? "");
  switch (init.kind) {
    case "spawn":
      return `cannot run govc: ${init.detail ?? "unknown reason"}; ${GOVC_INSTALL_HINT}`;
    case "timeout":
      if (/^vm\.ip\b/.test(init.operation))
        return `${subject} got no IP address within ${seconds(init.timeoutMs ?? 0)}; ${name ?? "the VM"} may still be booting, or VMware Tools (open-vm-tools) does not run in it yet: check its console in the vSphere Client, then retry`;
      return `${subject} did not answer within ${seconds(init.timeoutMs ?? 0)} and was stopped; vCenter may be slow or unreachable, or a task is stuck: check Recent Tasks in the vSphere Client, then retry`;
    case "bad-output":
      return `${subject} gave an answer that cannot be used (${JSON.stringify(text.slice(0, 200))}): ${init.detail ?? "unexpected output"}`;
    case "failed": {
      const raw = init.output ?? "";
      if (reason === "vm-not-found" && init.vm !== undefined)
        return `${subject} failed: there is no VM ${init.vm} in vCenter`;
      if (reason === "not-powered-on")
        return `${subject} failed: ${name ?? "the VM"} is not powered on; start it first`;
      if (reason === "already-running") return `${subject} failed: ${name ?? "the VM"} is already running`;
      if (reason === "tools-not-running")
        return `${subject} failed: VMware Tools are not running in ${name ?? "the VM"} yet; open-vm-tools starts after cloud-init installs it (minutes on first boot)`;
      const hint = remedyFor(raw);
      const said = text === "" ? "no message from govc" : text;
      return `${subject} failed: ${said} (exit ${init.exitCode ?? "by signal"})${hint === undefined ? "" : `; ${hint}`}`;
    }
  }
}

/**
 * govc's words for why a call failed, in the hypervisor seam's terms. vSphere has one fault for a power
 * state that does not fit; which one it means follows from the operation (powering on a VM that runs, or
 * anything else on one that does not).
 */
function reasonOf(operation: string, output: string): FailureReason | undefined {
  if (output === "") return undefined;
  if (SNAPSHOT_NOT_FOUND.test(output)) return "snapshot-not-found";
  if (TOOLS_NOT_RUNNING.test(output)) return "tools-not-running";
  if (INVALID_POWER_STATE.test(output))
    return operation === "vm.power -on" || STATE_POWERED_ON.test(output)
      ? "already-running"
      : "not-powered-on";
  if (VM_NOT_FOUND.test(output)) return "vm-not-found";
  return undefined;
}

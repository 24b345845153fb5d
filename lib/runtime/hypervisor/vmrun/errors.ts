import * as path from "node:path";
import { FailureReason, HypervisorError, HypervisorErrorKind } from "../errors";
import { VmrunHostType, vmrunInstallHint } from "./locate";

/**
 * timeout: vmrun did not answer before the deadline and its process group was killed;
 * failed: vmrun exited non-zero or printed `Error: ...`; spawn: vmrun could not be started;
 * bad-output: vmrun "succeeded" but its answer could not be understood.
 */
export type VmrunErrorKind = HypervisorErrorKind;

export interface VmrunErrorInit {
  /** The vmrun command, e.g. "start". */
  readonly operation: string;
  /** Absolute path of the .vmx, when the command names a VM. */
  readonly vmx?: string;
  readonly kind: VmrunErrorKind;
  readonly exitCode?: number | null;
  /** vmrun's raw stdout and stderr. */
  readonly output?: string;
  /** The deadline that expired (kind "timeout"). */
  readonly timeoutMs?: number;
  /** Why it went wrong when vmrun's output does not say it (kinds "spawn" and "bad-output"). */
  readonly detail?: string;
  /** The driver's -T host type, so a vmrun that cannot be started names the product to install. @default "fusion" */
  readonly hostType?: VmrunHostType;
}

// vmrun's own wording (to stdout, after "Error: "), see shared/reference/vmware-fusion.md §1.6.
const NOT_POWERED_ON = /is not powered on/i;
const VM_NOT_FOUND = /cannot be found|Cannot open VM/i;
const TOOLS_NOT_RUNNING = /Tools are not running/i;
// "does not exist" is what wrappers report for an unknown name; VIX's "does not uniquely identify one
// snapshot" means the name matched zero or several snapshots. Both mean: this name cannot be used.
const SNAPSHOT_NOT_FOUND =
  /snapshot does not exist|does not uniquely identify one snapshot|snapshot .*not found/i;
const ALREADY_RUNNING = /is already running|appears to be running already/i;

/** One vmrun call that went wrong, with a message that names the VM, the step and what to do. */
export class VmrunError extends HypervisorError {
  readonly vmx: string | undefined;
  /** The .vmx basename without extension, e.g. "k8s-master1". */
  readonly vmName: string | undefined;
  readonly exitCode: number | null;
  readonly output: string;

  constructor(init: VmrunErrorInit) {
    super(describe(init), {
      operation: init.operation,
      kind: init.kind,
      reason: reasonOf(init.output ?? ""),
    });
    this.name = "VmrunError";
    this.vmx = init.vmx;
    this.vmName = init.vmx === undefined ? undefined : vmNameOf(init.vmx);
    this.exitCode = init.exitCode ?? null;
    this.output = init.output ?? "";
  }
}

function vmNameOf(vmx: string): string {
  return path.basename(vmx).replace(/\.vmx$/i, "");
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

function describe(init: VmrunErrorInit): string {
  const name = init.vmx === undefined ? undefined : vmNameOf(init.vmx);
  const subject = name === undefined ? `vmrun ${init.operation}` : `vmrun ${init.operation} ${name}`;
  const text = oneLine(init.output ?? "").replace(/^Error:\s*/i, "");
  const logHint = init.vmx === undefined ? "" : `; see ${path.join(path.dirname(init.vmx), "vmware.log")}`;

  switch (init.kind) {
    case "spawn":
      return `cannot run vmrun: ${init.detail ?? "unknown reason"}; ${vmrunInstallHint(init.hostType ?? "fusion")}`;
    case "timeout": {
      const within = seconds(init.timeoutMs ?? 0);
      if (/^getGuestIPAddress$/i.test(init.operation)) {
        return (
          `${subject} got no IP address within ${within} and was stopped; ${name} may still be booting or ` +
          `VMware Tools (open-vm-tools) is not running in it yet: check the VM's console${logHint}, then retry`
        );
      }
      const dialogFor = name === undefined ? "any dialog" : `any dialog for ${name}`;
      return (
        `${subject} did not answer within ${within} and was stopped; the VM may be waiting on a dialog in the ` +
        `Fusion window: open Fusion, close ${dialogFor}, then retry`
      );
    }
    case "bad-output":
      return `${subject} gave an answer that cannot be used (${JSON.stringify(text)}): ${init.detail ?? "unexpected output"}${logHint}`;
    case "failed": {
      const raw = init.output ?? "";
      if (TOOLS_NOT_RUNNING.test(raw)) {
        return `${subject} failed: VMware Tools are not running in ${name ?? "the VM"} yet; open-vm-tools starts after cloud-init installs it (minutes on first boot)`;
      }
      if (VM_NOT_FOUND.test(raw) && init.vmx !== undefined) {
        return `${subject} failed: the VM file ${init.vmx} does not exist or is not a VM`;
      }
      if (NOT_POWERED_ON.test(raw) && name !== undefined) {
        return `${subject} failed: ${name} is not powered on; start it first`;
      }
      const how =
        init.exitCode === 0 ? "exit 0 with an error message" : `exit ${init.exitCode ?? "by signal"}`;
      return `${subject} failed: ${text === "" ? "no message from vmrun" : text} (${how})${logHint}`;
    }
  }
}

/** vmrun's words for why a call failed, in the hypervisor seam's terms. */
function reasonOf(output: string): FailureReason | undefined {
  if (NOT_POWERED_ON.test(output)) return "not-powered-on";
  if (VM_NOT_FOUND.test(output)) return "vm-not-found";
  if (SNAPSHOT_NOT_FOUND.test(output)) return "snapshot-not-found";
  if (ALREADY_RUNNING.test(output)) return "already-running";
  if (TOOLS_NOT_RUNNING.test(output)) return "tools-not-running";
  return undefined;
}

/**
 * The parts of `govc vm.info -json <vm>` the driver reads: the power state, what the guest tools report
 * (running status, install status, the primary address) and the disks. govc prints
 * `{"virtualMachines": null}` (exit 0) for a path that holds no VM.
 */
import type { ToolsState } from "../hypervisor";

export type PowerState = "poweredOn" | "poweredOff" | "suspended";

export interface VmInfo {
  readonly name: string;
  readonly powerState: PowerState;
  /** guest.toolsRunningStatus: guestToolsRunning, guestToolsNotRunning, guestToolsExecutingScripts. */
  readonly toolsRunningStatus: string;
  /** guest.toolsStatus: toolsOk, toolsOld, toolsNotRunning, toolsNotInstalled. */
  readonly toolsStatus: string;
  /** guest.ipAddress: the primary address the tools report, "" when none. */
  readonly ipAddress: string;
  /** Capacity of each virtual disk in bytes, in device order. */
  readonly diskBytes: readonly number[];
}

const POWER_STATES: readonly string[] = ["poweredOn", "poweredOff", "suspended"];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** The VM in vm.info's answer, undefined when there is none; throws a plain Error naming what is wrong. */
export function parseVmInfo(out: string): VmInfo | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(out);
  } catch {
    throw new Error("expected JSON");
  }
  if (!isRecord(doc) || !("virtualMachines" in doc)) throw new Error('expected {"virtualMachines": [...]}');
  const list = doc.virtualMachines;
  if (list === null || (Array.isArray(list) && list.length === 0)) return undefined;
  if (!Array.isArray(list) || list.length !== 1 || !isRecord(list[0]))
    throw new Error("expected exactly one virtual machine");
  const vm = list[0];
  const runtime = isRecord(vm.runtime) ? vm.runtime : {};
  const powerState = text(runtime.powerState);
  if (!POWER_STATES.includes(powerState))
    throw new Error(`unknown power state ${JSON.stringify(powerState)}`);
  const guest = isRecord(vm.guest) ? vm.guest : {};
  const config = isRecord(vm.config) ? vm.config : {};
  const hardware = isRecord(config.hardware) ? config.hardware : {};
  const devices = Array.isArray(hardware.device) ? hardware.device : [];
  return {
    name: text(vm.name),
    powerState: powerState as PowerState,
    toolsRunningStatus: text(guest.toolsRunningStatus),
    toolsStatus: text(guest.toolsStatus),
    ipAddress: text(guest.ipAddress),
    // Only virtual disks carry a capacity in bytes.
    diskBytes: devices
      .filter(isRecord)
      .map((d) => d.capacityInBytes)
      .filter((b): b is number => typeof b === "number"),
  };
}

/**
 * vSphere's tools words in the seam's: running; installed (not running); not-installed; starting (the
 * tools are executing their start scripts); unknown when vSphere says nothing.
 */
export function toolsStateOf(info: VmInfo): ToolsState {
  if (info.toolsRunningStatus === "guestToolsRunning") return "running";
  if (info.toolsRunningStatus === "guestToolsExecutingScripts") return "starting";
  if (info.toolsStatus === "toolsNotInstalled") return "not-installed";
  if (info.toolsRunningStatus === "guestToolsNotRunning" || info.toolsStatus === "toolsNotRunning")
    return "installed";
  return "unknown";
}

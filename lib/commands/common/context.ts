import * as fs from "node:fs";
import * as path from "node:path";
import { loadClusterConfig } from "../../runtime/load/cluster-config";
import { ClusterModel, Role } from "../../model/config/model";
import type { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { VmrunDriver } from "../../runtime/hypervisor/vmrun/driver";
import { NOT_BUILT } from "../../runtime/vm/not-built";

/** A VM the CLI acts on; the same shape as lib/commands/snapshot's SnapshotTarget. */
export interface VmTarget {
  readonly name: string;
  /** Absolute path of the .vmx. */
  readonly vmx: string;
  readonly role: Role;
}

export interface CliContext {
  readonly projectRoot: string;
  readonly model: ClusterModel;
  /** The cluster VMs (model.vms): what snapshots act on. */
  readonly targets: readonly VmTarget[];
  /** The APT cache VM: shown in status and started/stopped with the rest, never snapshotted. */
  readonly aptCache: VmTarget;
  /**
   * vmrun, located when first used: what reads only the project's files (the menu, the snapshot
   * sets' manifests) works without VMware; what needs it throws VmrunLocateError here.
   */
  readonly driver: Hypervisor;
  /** Deadline of one vmrun call, in ms. */
  readonly timeoutMs: number;
  /** Absolute path of the generated directory (holds the operation lock and snapshot manifests). */
  readonly generatedDir: string;
  /** Absolute path of vm-ips.env. */
  readonly inventoryFile: string;
}

export interface CliContextOptions {
  /** `--timeout` in seconds; overrides model.timeouts.vmrunSeconds. */
  readonly timeoutSeconds?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Parses a `--timeout` value: whole seconds, 1..86400. */
export function parseTimeoutSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 86_400)
    throw new Error(
      `--timeout ${JSON.stringify(value)} is not a whole number of seconds between 1 and 86400`,
    );
  return n;
}

/** Reads cluster.yaml (ConfigError when invalid); vmrun is located when first used. Touches nothing. */
export function loadCliContext(projectRoot: string, opts: CliContextOptions = {}): CliContext {
  const root = path.resolve(projectRoot);
  const { model } = loadClusterConfig({ projectRoot: root, env: opts.env });
  const timeoutMs = (opts.timeoutSeconds ?? model.timeouts.vmrunSeconds) * 1000;
  let driver: Hypervisor | undefined;
  const locateDriver = () => {
    const located = VmrunDriver.fromEnvironment({ cwd: root, env: opts.env });
    // fromEnvironment takes its deadline from VMRUN_TIMEOUT_SECONDS; the CLI's comes from the config or --timeout.
    return new VmrunDriver({
      binary: located.binary,
      hostType: located.hostType,
      timeoutMs,
      cwd: root,
      env: opts.env,
    });
  };
  const target = (vm: { name: string; vmxPath: string; role: Role }): VmTarget => ({
    name: vm.name,
    vmx: path.resolve(root, vm.vmxPath),
    role: vm.role,
  });
  return {
    projectRoot: root,
    model,
    targets: model.vms.map(target),
    aptCache: target(model.aptCache.vm),
    get driver() {
      return (driver ??= locateDriver());
    },
    timeoutMs,
    generatedDir: path.resolve(root, model.paths.generatedDir),
    inventoryFile: path.resolve(root, model.paths.inventoryFile),
  };
}

/** The driver, located now: a command that cannot work without vmrun stops before it does anything. */
export function requireVmrun(ctx: CliContext): Hypervisor {
  return ctx.driver;
}

/** The generated directory, created if needed (the lock file lives there). */
export function ensureGeneratedDir(ctx: CliContext): string {
  fs.mkdirSync(ctx.generatedDir, { recursive: true });
  return ctx.generatedDir;
}

/**
 * The targets named by `--vm` (all when none are given). Unknown names are an error that lists the
 * valid ones, raised before anything is touched.
 */
export function selectTargets(
  targets: readonly VmTarget[],
  names: readonly string[] | undefined,
): VmTarget[] {
  if (!names || names.length === 0) return [...targets];
  const known = new Set(targets.map((t) => t.name));
  const unknown = [...new Set(names)].filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown VM name${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} in --vm; the cluster VMs are: ${[...known].join(", ")}`,
    );
  }
  const wanted = new Set(names);
  return targets.filter((t) => wanted.has(t.name));
}

/** Every day-two command's answer for a VM whose .vmx does not exist. */
/** The targets whose .vmx does not exist (never deployed, or removed by a teardown). */
export function unbuilt<T extends VmTarget>(targets: readonly T[]): T[] {
  return targets.filter((t) => !fs.existsSync(t.vmx));
}

/** Throws before anything is done when none of `targets` exists: there is nothing to act on. */
export function requireSomeBuilt(command: string, targets: readonly VmTarget[]): void {
  if (targets.length > 0 && unbuilt(targets).length === targets.length)
    throw new Error(`${command}: the cluster is ${NOT_BUILT} (no VM's .vmx exists)`);
}

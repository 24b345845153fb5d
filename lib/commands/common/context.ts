import { Hypervisor, VmInventory } from "../../runtime/hypervisor/hypervisor";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClusterConfig } from "../../runtime/load/cluster-config";
import { ClusterModel, Role } from "../../model/config/model";
import {
  builtCheckFor,
  hypervisorFor,
  locatorFor,
  TargetHypervisor,
} from "../../runtime/hypervisor/for-target";
import { NOT_BUILT } from "../../runtime/vm/not-built";

/** A VM the CLI acts on; the same shape as lib/commands/snapshot's SnapshotTarget. */
export interface VmTarget {
  readonly name: string;
  /**
   * The VM's locator for the driver: the absolute .vmx path on Fusion, the inventory path
   * `/<datacenter>/vm/<folder>/<name>` on vSphere. (Named for Fusion, where the commands began.)
   */
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
   * The config's target's driver, vmrun on fusion and govc on vsphere (lib/runtime/hypervisor/for-target.ts),
   * located when first used: what reads only the project's files (the menu, the snapshot sets' records)
   * works without it; what needs it throws the driver's locate error here.
   */
  readonly driver: Hypervisor;
  /** Whether a target VM exists (Fusion: its .vmx, without vmrun; vSphere: asked of vCenter). */
  isBuilt(locator: string): Promise<boolean>;
  /** vSphere only: every VM in the lab's folder, for teardown's orphan sweep. */
  readonly inventory?: VmInventory;
  /** Deadline of one hypervisor call, in ms. */
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

/** Reads cluster.yaml (ConfigError when invalid) and locates the target's tool (vmrun or govc); touches nothing. */
export function loadCliContext(projectRoot: string, opts: CliContextOptions = {}): CliContext {
  const root = path.resolve(projectRoot);
  const { model } = loadClusterConfig({ projectRoot: root, env: opts.env });
  const timeoutMs = (opts.timeoutSeconds ?? model.timeouts.vmrunSeconds) * 1000;
  // The CLI's deadline comes from the config or --timeout.
  let chosen: TargetHypervisor | undefined;
  const choose = () => (chosen ??= hypervisorFor(model, root, opts.env, { timeoutMs }));
  const locatorOf = locatorFor(model, root);
  const target = (vm: { name: string; vmxPath: string; role: Role }): VmTarget => ({
    name: vm.name,
    vmx: locatorOf(vm),
    role: vm.role,
  });
  return {
    projectRoot: root,
    model,
    targets: model.vms.map(target),
    aptCache: target(model.aptCache.vm),
    get driver() {
      return choose().hypervisor;
    },
    get inventory() {
      return choose().inventory;
    },
    isBuilt: builtCheckFor(model, () => choose().hypervisor),
    timeoutMs,
    generatedDir: path.resolve(root, model.paths.generatedDir),
    inventoryFile: path.resolve(root, model.paths.inventoryFile),
  };
}

/** The driver, located now: a command that cannot work without the hypervisor stops before it does anything. */
export function requireDriver(ctx: CliContext): Hypervisor {
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

/** The targets the hypervisor does not have (never deployed, or removed by a teardown): Fusion, no .vmx; vSphere, not in the folder. */
export async function unbuilt<T extends VmTarget>(
  ctx: Pick<CliContext, "isBuilt">,
  targets: readonly T[],
): Promise<T[]> {
  const built = await Promise.all(targets.map((t) => ctx.isBuilt(t.vmx)));
  return targets.filter((_, i) => !built[i]);
}

/** Throws before anything is done when none of `targets` exists: there is nothing to act on. */
export async function requireSomeBuilt(
  ctx: Pick<CliContext, "isBuilt">,
  command: string,
  targets: readonly VmTarget[],
): Promise<void> {
  if (targets.length > 0 && (await unbuilt(ctx, targets)).length === targets.length)
    throw new Error(`${command}: the cluster is ${NOT_BUILT} (none of its VMs exists)`);
}

/**
 * VMs that a deploy would leave behind: ones the Terraform state or the VMs folder holds and cluster.yaml
 * no longer names (renamed or removed from `vms`). Terraform cannot remove them: a resource whose
 * configuration is gone loses its destroy step with it, so the apply forgets the VM and leaves it
 * registered, running and on disk. Read from the state files (JSON) and the folder, without Terraform.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ClusterModel } from "../../model/config/model";
import { HOSTNAME } from "../../model/config/schema";
import { isStrictlyInside } from "../../runtime/fs/path-guard";
import {
  APT_CACHE_STACK,
  CLUSTER_STACK,
  findOrphanVms,
  orphanVm,
  stateFileOf,
  TeardownVm,
} from "../teardown/plan";

export interface LeftoverVm {
  readonly vm: TeardownVm;
  /** The stacks whose state still holds it (Terraform made it; the next apply forgets it). */
  readonly inState: readonly string[];
  /** vmrun lists it (or a .vmx in its folder) as running; undefined when that could not be asked. */
  running?: boolean;
}

/** The VM names a stack's state file holds (its resources' `vm_name` triggers); a missing state holds none. */
export function vmNamesInState(stateFile: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(stateFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  let state: { resources?: { instances?: { attributes?: { triggers?: Record<string, unknown> } }[] }[] };
  try {
    state = JSON.parse(text) as typeof state;
  } catch (err) {
    throw new Error(
      `${path.basename(stateFile)} is not valid JSON (${(err as Error).message}): restore it from ${path.basename(stateFile)}.backup, or let Terraform report it`,
      { cause: err },
    );
  }
  const names = new Set<string>();
  for (const r of state.resources ?? [])
    for (const i of r.instances ?? []) {
      const name = i.attributes?.triggers?.vm_name;
      if (typeof name === "string" && HOSTNAME.test(name)) names.add(name);
    }
  return [...names].sort();
}

/**
 * VMs of an earlier config whose folder is still in the VMs folder, by name, with the stacks whose state
 * still holds them; and one line per state file that could not be read. A VM only the state still names
 * has nothing left on the Mac (vmrun runs a VM from its folder): the apply forgets it, so it is not one.
 */
export function findLeftoverVms(
  projectRoot: string,
  model: ClusterModel,
): { leftovers: LeftoverVm[]; problems: string[] } {
  const known = new Set([...model.vms, model.aptCache.vm].map((vm) => vm.name));
  const byName = new Map<string, { inState: string[]; onDisk: boolean }>();
  const entry = (name: string) => {
    if (!byName.has(name)) byName.set(name, { inState: [], onDisk: false });
    return byName.get(name)!;
  };
  const problems: string[] = [];
  for (const stack of [APT_CACHE_STACK, CLUSTER_STACK]) {
    try {
      for (const name of vmNamesInState(path.resolve(projectRoot, stateFileOf(stack))))
        if (!known.has(name)) entry(name).inState.push(stack);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  for (const vm of findOrphanVms(projectRoot, model)) entry(vm.name).onDisk = true;
  const leftovers = [...byName]
    .filter(([, e]) => e.onDisk)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, e]) => ({ vm: orphanVm(model, name), inState: e.inState }));
  return { leftovers, problems };
}

/** Marks each leftover running or not from one listing of running .vmx paths. */
export function markRunning(projectRoot: string, leftovers: LeftoverVm[], running: readonly string[]): void {
  for (const l of leftovers) {
    const dir = path.resolve(projectRoot, l.vm.vmDir).toLowerCase();
    l.running = running.some((p) => isStrictlyInside(dir, path.resolve(p).toLowerCase()));
  }
}

/** What is left of it, in words: `folder VMs/.../x.vmwarevm, running, in the k8s-cluster state`. */
export function describeLeftover(l: LeftoverVm): string {
  return [
    `folder ${l.vm.vmDir}`,
    l.running === undefined ? "power unknown" : l.running ? "running" : "not running",
    ...l.inState.map((s) => `in the ${s} state`),
  ].join(", ");
}

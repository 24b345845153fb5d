/**
 * The shape every set operation shares (create, rollback, delete): the name and the VMs are checked
 * before anything is done, every VM's snapshots are listed and the records brought in line with them
 * (records.ts), each step runs on every chosen VM at once, and the summary lists the VMs in target order.
 */
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { validateSetName } from "./names";
import { listEvery, reconcileRecords, VmLists } from "./records";
import { SetManifest, SetResult, SnapshotTarget, VmResult } from "./types";
import { checkTargets, choose, isBad, message, SnapshotOptions } from "./set-common";

export interface SetRun {
  readonly driver: Hypervisor;
  readonly name: string;
  readonly targets: readonly SnapshotTarget[];
  /** The VMs the operation acts on (all targets unless --vm chose some). */
  readonly chosen: readonly SnapshotTarget[];
  readonly timeoutMs: number;
  readonly manifestDir: string;
  readonly progress: (vm: string, message: string) => void;
  /** Every target's snapshots as listed at the start, after the records' repairs. */
  readonly lists: VmLists;
  /** The records after the reconciliation, oldest first. */
  readonly records: readonly SetManifest[];
  /** One line per record that could not be read. */
  readonly recordProblems: readonly string[];
  /** Each chosen VM's outcome so far. */
  readonly results: Map<string, VmResult>;
}

export interface StartSetRunOptions {
  readonly vms?: readonly string[];
  /** What the run is doing, for its errors: e.g. "before taking set base". */
  readonly doing: string;
  /** Refuse, before anything is changed, when a chosen VM's snapshots cannot be listed. */
  readonly strict: boolean;
  /** Finish or undo what killed runs left half-done (see records.ts). */
  readonly repair: boolean;
  /** A set the operation acts on itself, so the reconciliation leaves its snapshots alone. */
  readonly except?: string;
}

export async function startSetRun(
  driver: Hypervisor,
  targets: readonly SnapshotTarget[],
  name: string,
  opts: SnapshotOptions,
  how: StartSetRunOptions,
): Promise<SetRun> {
  validateSetName(name);
  checkTargets(targets);
  const chosen = choose(targets, how.vms);
  const { lists, errors } = await listEvery(driver, targets, opts.timeoutMs);
  const unlisted = chosen.find((t) => errors.has(t.name));
  if (how.strict && unlisted !== undefined) {
    throw new Error(
      `cannot list the snapshots of ${unlisted.name} ${how.doing}: ${message(errors.get(unlisted.name))}; nothing was changed`,
    );
  }
  const progress = (vm: string, msg: string) => opts.onProgress?.(vm, msg);
  const { records, problems } = await reconcileRecords(driver, targets, lists, {
    manifestDir: opts.manifestDir,
    timeoutMs: opts.timeoutMs,
    repair: how.repair,
    except: how.except,
    progress,
  });
  return {
    driver,
    name,
    targets,
    chosen,
    timeoutMs: opts.timeoutMs,
    manifestDir: opts.manifestDir,
    progress,
    lists,
    records,
    recordProblems: problems,
    results: new Map(),
  };
}

/** Runs `step` on each of `vms` at once and records what it returns as that VM's result. */
export async function eachVm(
  run: SetRun,
  vms: readonly SnapshotTarget[],
  step: (t: SnapshotTarget) => Promise<VmResult>,
): Promise<void> {
  await Promise.all(vms.map(async (t) => run.results.set(t.name, await step(t))));
}

/** The chosen VMs' results in target order; ok unless one failed or is unknown. */
export function setResult(run: SetRun): SetResult {
  const ordered = run.chosen.flatMap((t) => run.results.get(t.name) ?? []);
  return { set: run.name, ok: !ordered.some(isBad), results: ordered };
}

/** After a call cut off at its deadline: whether the VM holds `name` now, or the error that hides it. */
export async function holdsAfterCutOff(
  run: SetRun,
  t: SnapshotTarget,
  name: string,
): Promise<boolean | Error> {
  try {
    return (await run.driver.listSnapshots(t.vmx, { timeoutMs: run.timeoutMs })).includes(name);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

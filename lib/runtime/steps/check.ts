/**
 * The plan-time step check behind scripts/step-check.ts: for each VM and build step, a token that the
 * stack's `terraform_data` holds and each step resource is replaced by when it changes
 * (`lifecycle.replace_triggered_by`). Terraform records a step's resource as created before its
 * provisioner ends, and a kill leaves it so: this check is how the next plan sees that the step's result
 * is missing or incomplete and plans the step again. It only reads files (no vmrun, no power state), so
 * it answers at once and a plan with the VMs stopped stays clean.
 *
 * A step's token is:
 * - its receipt's token when its product is there and no attempt is pending (so the plan after a
 *   successful run, which recorded the token it was given, changes nothing);
 * - "" when it never ran and its product is there (a lab built before these records existed) or it has
 *   no product to look at;
 * - a new token ("<nonce>: <why>", which the plan shows) when its product is missing (as on a first
 *   deploy) or not the one recorded, or its last attempt ended without a receipt. The nonce is random,
 *   not derived from the old token: a step killed before it leaves any trace would otherwise get the
 *   same token again, which the state already holds, and the plan would not see it.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  parseStepCheckVms,
  type StepCheckVm,
  type StepName,
  stepResultKey,
} from "../../model/entry/contracts";
import { listStalePartials } from "../fs/atomic";
import { resolveInside } from "../fs/path-guard";
import { isAttemptRunning, readStepRecords, type StepRecords, wasInterrupted } from "./records";

/** What was found of one step. */
export interface StepObservation {
  readonly records: StepRecords;
  /** Why its product is missing or not the recorded one, or undefined when it is there (or it has none). */
  readonly problem?: string;
}

/** Makes a new token for `reason`. */
export type NewToken = (reason: string) => string;

const randomToken: NewToken = (reason) => `${randomBytes(3).toString("hex")}: ${reason}`;

/**
 * The token of one step. `powerDone`: the VM's power step has a receipt, so a config step with no
 * record at all was recorded by Terraform but killed before it could write one.
 */
export function decideToken(
  step: StepName,
  seen: StepObservation,
  context: { readonly powerDone: boolean },
  repair: NewToken,
): string {
  const { attempt, receipt } = seen.records;
  // A step running right now (another deploy): its token stands until it ends.
  if (attempt !== undefined && isAttemptRunning(attempt)) return attempt.token;
  if (wasInterrupted(seen.records)) {
    // A disk is renamed into place only when complete: if it is there, the step's work is done.
    if (step === "disk" && seen.problem === undefined) return attempt!.token;
    return repair(`the last ${step} step was interrupted`);
  }
  if (seen.problem !== undefined) return repair(seen.problem);
  if (receipt !== undefined) return receipt.token;
  if (step === "config" && context.powerDone) return repair("the role files were never installed");
  return "";
}

const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;

function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Absolute paths of one VM of the query, each checked to lie inside the VMs folder. */
interface CheckedVm {
  readonly name: string;
  readonly stepsDir: string;
  readonly disk: string;
  readonly seed: string;
  readonly vmx: string;
  readonly steps: readonly StepName[];
}

/** Why the step's product is not there, or undefined. Pure file reads. */
function productProblem(vm: CheckedVm, step: StepName, records: StepRecords): string | undefined {
  switch (step) {
    case "disk":
      return isFile(vm.disk) ? undefined : `the disk ${path.basename(vm.disk)} is missing`;
    case "seed": {
      if (!isFile(vm.seed)) return `the seed ${path.basename(vm.seed)} is missing`;
      const built = records.receipt?.facts.sha256;
      if (built !== undefined && sha256File(vm.seed) !== built)
        return `the seed ${path.basename(vm.seed)} is not the one built`;
      return undefined;
    }
    case "power": {
      const partial = listStalePartials(path.dirname(vm.vmx), path.basename(vm.vmx))[0];
      if (partial !== undefined)
        return `an interrupted write of ${path.basename(vm.vmx)} left ${path.basename(partial)}`;
      return isFile(vm.vmx) ? undefined : `${path.basename(vm.vmx)} is not installed`;
    }
    case "config":
      return undefined; // its result lives in the guest: the records alone tell
  }
}

/** Every step's observation for one VM. */
function observeVm(vm: CheckedVm): Map<StepName, StepObservation> {
  const out = new Map<StepName, StepObservation>();
  for (const step of vm.steps) {
    const records = readStepRecords(vm.stepsDir, step);
    const problem = productProblem(vm, step, records);
    out.set(step, { records, ...(problem !== undefined ? { problem } : {}) });
  }
  return out;
}

/** Resolves the query's paths (errors name the field, `query.vms[1].disk_path`) before anything is read. */
export function planStepCheck(projectRoot: string, query: { vms_dir: string; vms: string }): CheckedVm[] {
  const vmsDir = resolveInside(projectRoot, query.vms_dir, { label: "query.vms_dir" });
  return parseStepCheckVms(query.vms).map((vm: StepCheckVm, i) => {
    const inVms = (key: "steps_dir" | "disk_path" | "seed_path" | "vmx_path") =>
      resolveInside(vmsDir, vm[key], { label: `query.vms[${i}].${key}`, base: projectRoot });
    return {
      name: vm.name,
      stepsDir: inVms("steps_dir"),
      disk: inVms("disk_path"),
      seed: inVms("seed_path"),
      vmx: inVms("vmx_path"),
      steps: vm.steps,
    };
  });
}

/** The data source's result: `<vm>_<step>` -> token, for every VM and step of the query. */
export function checkSteps(
  vms: readonly CheckedVm[],
  repair: NewToken = randomToken,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const vm of vms) {
    const seen = observeVm(vm);
    const powerDone = seen.get("power")?.records.receipt !== undefined;
    for (const [step, observation] of seen)
      out[stepResultKey(vm.name, step)] = decideToken(step, observation, { powerDone }, repair);
  }
  return out;
}

import { Construct } from "constructs";
import { DataResource, Token } from "cdktf";
import { DataExternal } from "@cdktf/provider-external/lib/data-external";
import { VmSpec } from "../lib/model/config/model";
import { stepsDir } from "../lib/model/config/vm-files";
import { encodeStepCheckVms, STEP_CHECK, type StepName, stepResultKey } from "../lib/model/entry/contracts";
import { ProjectLayout } from "./project-layout";

export interface StepCheckProps {
  /** The stack's VMs. */
  readonly vms: readonly VmSpec[];
  /** The steps every one of them has, in build order. */
  readonly steps: readonly StepName[];
  /** Project-relative folder of all VM folders; the check refuses a path outside it. */
  readonly vmsDir: string;
}

/** What one step's resource takes from the check. */
export interface StepHook {
  /** Project-relative steps folder of the VM (STEP_DIR). */
  readonly dir: string;
  /** The step's token as the plan read it (STEP_TOKEN, a Terraform reference). */
  readonly token: string;
  /** The `lifecycle.replace_triggered_by` entry that replaces the step's resource when its token changes. */
  readonly trigger: string;
}

/** STEP_DIR and STEP_TOKEN of a step's provisioner; nothing without a hook. */
export function stepEnvironment(hook: StepHook | undefined): { STEP_DIR?: string; STEP_TOKEN?: string } {
  return hook ? { STEP_DIR: hook.dir, STEP_TOKEN: hook.token } : {};
}

/** The step resource's lifecycle: replaced when its token changes; none without a hook. */
export function stepLifecycle(hook: StepHook | undefined): { replaceTriggeredBy: string[] } | undefined {
  return hook ? { replaceTriggeredBy: [hook.trigger] } : undefined;
}

/**
 * Each VM build step's result, checked at every plan (scripts/step-check.ts, lib/runtime/steps/check.ts).
 * Terraform records a `null_resource` as created before its provisioner ends, and a kill leaves it so;
 * this is how the next plan sees a step whose result is missing or was interrupted, and runs it again.
 * One `external` data source per stack reads the steps' records and products (files only: no vmrun,
 * so a plan with the VMs stopped stays clean), and one `terraform_data` holds its answer. Each step's
 * resource is replaced when the value at its own key changes (`replace_triggered_by` with a path). When
 * that `terraform_data` is first created (a lab built before it existed) nothing is replaced: Terraform
 * triggers on an update or a replacement of it only.
 */
export class StepCheck extends Construct {
  public readonly data: DataExternal;
  public readonly tokens: DataResource;
  private readonly names: ReadonlySet<string>;
  private readonly steps: ReadonlySet<StepName>;

  constructor(scope: Construct, id: string, props: StepCheckProps) {
    super(scope, id);
    if (props.vms.length === 0) throw new Error("a step check needs at least one VM");
    if (props.steps.length === 0) throw new Error("a step check needs at least one step");
    this.names = new Set(props.vms.map((vm) => vm.name));
    this.steps = new Set(props.steps);
    this.data = new DataExternal(this, "check", {
      program: ProjectLayout.of(this).externalProgram(STEP_CHECK.entry),
      query: STEP_CHECK.environment({
        vms_dir: props.vmsDir,
        vms: encodeStepCheckVms(
          props.vms.map((vm) => ({
            name: vm.name,
            steps_dir: stepsDir(vm),
            disk_path: vm.diskPath,
            seed_path: vm.seedIsoPath,
            vmx_path: vm.vmxPath,
            steps: props.steps,
          })),
        ),
      }),
    });
    this.tokens = new DataResource(this, "tokens", { input: this.data.result });
  }

  /** The hook of `step` of `vm`. */
  hook(vm: VmSpec, step: StepName): StepHook {
    if (!this.names.has(vm.name) || !this.steps.has(step))
      throw new Error(`${vm.name}'s ${step} step is not one this step check reads`);
    const key = stepResultKey(vm.name, step);
    return {
      dir: stepsDir(vm),
      token: Token.asString(this.data.result.lookup(key)),
      trigger: `${this.tokens.terraformResourceType}.${this.tokens.friendlyUniqueId}.input[${JSON.stringify(key)}]`,
    };
  }
}

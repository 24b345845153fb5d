/**
 * Applies and destroys the Terraform JSON our cdktf app synthesizes, the way Terraform 1.11.4 would
 * (TERRAFORM_VERSION), for the subset our stacks use, with the providers at the versions the stacks pin
 * (EMULATED_PROVIDERS: null 3.2.4, local 2.6.1, external 2.3.5; another version in required_providers is
 * refused), so tests can run a whole `cdktf deploy` / `cdktf destroy` with the real provisioner scripts
 * where no real Terraform is at hand. Where it is (the real-Terraform tier), recorded runs of the real one
 * hold this interpreter to it (__tests__/test-support/terraform-apply/real-traces.test.ts).
 *
 *   applyStack({ stackDir, variables?, env?, parallelism?, signal?, commandTimeoutMs?, log? })
 *     -> { changes: {address, action: "create"|"replace"|"update"|"keep"|"read"|"delete", reason?}[],
 *          failed: {address, error}[], skipped: string[], outputs, runs, notes, aborted, statePath }
 *   destroyStack(same options) -> the same shape (every action "delete")
 *   planStack(same options) -> { changes, failed, runs, notes }: no provisioner, no file write, no state write
 *   createDeployProject(clusterYaml), in ./project.ts (it loads cdktf, so it is not re-exported here):
 *     a temp project with both real stacks synthesized and a working scripts/run
 *   startStackProcess(operation, stackDir, env), in ./process.ts: the same in a process group of its own
 *     (./cli.ts), commands inside it as Terraform runs them, for tests that kill a deploy as a user does
 *   renderTemplate(text, values) (./template.ts): a template as Terraform evaluates it
 *   planReplacements(stackJson, {before?, after, readData}) (./impact.ts): what a change of variables
 *     updates or replaces, asked of the planner
 *
 * Errors in the configuration (unsupported constructs, bad references, cycles, bad variable values) throw;
 * what fails while running (a command, a program, a file write) is reported in `failed`, as Terraform
 * reports it, and the run goes on with everything that does not depend on it.
 *
 * Supported, and nothing else (anything more throws "unsupported: ..."): resources null_resource (triggers),
 * local_file (filename, content, file_permission, directory_permission) and terraform_data (input,
 * triggers_replace), data "external" (program, query, working_dir); depends_on; local-exec provisioners
 * (command, environment, working_dir, interpreter, when, on_failure, quiet); lifecycle
 * replace_triggered_by and trivial lifecycle settings; variables (default, type, TF_VAR_ from env, overrides;
 * validation conditions are evaluated, except one using something unsupported, which is skipped and listed
 * in `notes`); outputs; terraform.backend.local.path; provider blocks are ignored.
 * Expressions: references (var., self. in provisioners, resources, data.), templates with escapes,
 * operators, conditionals, [for ...] and the functions the stacks call: jsonencode, join, substr, sha256,
 * length, can, regex, alltrue, floor (./expressions.ts).
 *
 * Semantics reproduced (sources in the modules): graph order from references, depends_on and
 * replace_triggered_by, up to `parallelism` operations at once; a state file at the backend path, written
 * whole each time an operation completes (a resource after its provisioners), so a killed run leaves what
 * the last completed operation wrote, with a resource whose provisioner was running recorded untainted if
 * anything completed meanwhile; keep when nothing changed; update in place (terraform_data's input);
 * replace (destroy provisioners with the old self, then create) when an argument forcing it changed or a
 * replace_triggered_by entry did (an update or a replacement of what it names, never its creation; with a
 * path, only a changed value there); a failed create-time provisioner taints its resource, its dependents
 * are skipped, unrelated branches go on, and the next apply replaces it without running destroy
 * provisioners for the tainted object; local_file re-created when its file is gone or changed; data
 * sources read during the plan unless their inputs are unknown or a managed resource they name directly
 * (depends_on or a reference) has changes; destroy in reverse dependency order, a failing destroy
 * provisioner keeps the resource in state and fails the run. Not reproduced: state locking,
 * count/for_each, modules, create_before_destroy, `terraform.tfvars` files, -refresh=false, the
 * interactive approval.
 *
 * Process handling (differs from Terraform on purpose): every command has a deadline (commandTimeoutMs,
 * default 15 min) and, unless processGroups is "shared" (as Terraform runs them; ./cli.ts), runs in its own
 * process group, which a deadline or an abort kills.
 */
export { applyStack, destroyStack, planStack } from "./apply";
export type { PlanResult, StackOptions, StackResult } from "./apply";
export { planReplacements } from "./impact";
export { renderTemplate } from "./template";

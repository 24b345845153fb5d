/**
 * Applies and destroys the Terraform JSON our cdktf app synthesizes, the way Terraform would, for the
 * subset our stacks use, so tests can run a whole `cdktf deploy` / `cdktf destroy` with the real
 * provisioner scripts (Terraform's providers cannot be downloaded here, so a real apply is impossible).
 *
 *   applyStack({ stackDir, variables?, env?, parallelism?, signal?, commandTimeoutMs?, log? })
 *     -> { changes: {address, action: "create"|"replace"|"keep"|"read"|"delete", reason?}[],
 *          failed: {address, error}[], skipped: string[], outputs, runs, notes, aborted, statePath }
 *   destroyStack(same options) -> the same shape (every action "delete")
 *   planStack(same options) -> { changes, failed, runs, notes }: no provisioner, no file write, no state write
 *   createDeployProject(clusterYaml), in ./project.ts (it loads cdktf, so it is not re-exported here):
 *     a temp project with both real stacks synthesized and a working scripts/run
 *
 * Errors in the configuration (unsupported constructs, bad references, cycles, bad variable values) throw;
 * what fails while running (a command, a program, a file write) is reported in `failed`, as Terraform
 * reports it, and the run goes on with everything that does not depend on it.
 *
 * Supported, and nothing else (anything more throws "unsupported: ..."): resources null_resource (triggers)
 * and local_file (filename, content, file_permission, directory_permission), data "external" (program,
 * query, working_dir); depends_on; local-exec provisioners (command, environment, working_dir, interpreter,
 * when, on_failure, quiet); trivial lifecycle settings; variables (default, type, TF_VAR_ from env, overrides;
 * validation conditions are evaluated, except one using something unsupported, which is skipped and listed
 * in `notes`); outputs; terraform.backend.local.path; provider blocks are ignored.
 * Expressions: references (var., self. in provisioners, resources, data.), templates with escapes,
 * operators, conditionals, [for ...] and the functions the stacks call: jsonencode, join, substr, sha256,
 * length, can, regex, alltrue, floor (./expressions.ts).
 *
 * Semantics reproduced (sources in the modules): graph order from references and depends_on, up to
 * `parallelism` operations at once; a state file at the backend path; keep when nothing changed; replace
 * (destroy provisioners with the old self, then create) when an argument changed; a failed create-time
 * provisioner taints its resource, its dependents are skipped, unrelated branches go on, and the next apply
 * replaces it without running destroy provisioners for the tainted object; local_file re-created when its
 * file is gone or changed; data sources read during the plan unless their inputs are unknown or something
 * they depend on has changes; destroy in reverse dependency order, a failing destroy provisioner keeps the
 * resource in state and fails the run. Not reproduced: state locking, count/for_each, modules,
 * create_before_destroy, `terraform.tfvars` files, -refresh=false, the interactive approval.
 *
 * Process handling (differs from Terraform on purpose): every command has a deadline (commandTimeoutMs,
 * default 15 min) and runs in its own process group, which a deadline or an abort kills.
 */
export { applyStack, destroyStack, planStack } from "./apply";
export type { PlanResult, StackOptions, StackResult } from "./apply";

/**
 * What a change of a stack's variables does, answered by this interpreter's own planner: the stack is
 * applied in a scratch project with the `before` values (providers only: no provisioner runs, data sources
 * answered by `readData`), then planned with the `after` values. So a test asks Terraform's question
 * ("what does this change replace?") of the same model that applies the stacks, references, unknown values
 * and deferred reads included. (Not a test file.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyStack, Change, DataReader, planStack } from "./apply";

export interface ImpactOptions {
  /** Variable values of the applied stack. @default their defaults */
  readonly before?: Readonly<Record<string, unknown>>;
  /** Variable values of the plan. */
  readonly after: Readonly<Record<string, unknown>>;
  /** Answers every data source, in both runs (as the same world would). */
  readonly readData: DataReader;
}

/** The plan's changes other than "keep" and data source reads: what the change updates, replaces or creates. */
export async function planReplacements(stackJson: unknown, opts: ImpactOptions): Promise<Change[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tf-impact-"));
  try {
    const stackDir = path.join(root, "cdktf.out", "stacks", "impact");
    fs.mkdirSync(stackDir, { recursive: true });
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(stackJson));
    const common = { stackDir, readData: opts.readData, env: {} };
    const applied = await applyStack({ ...common, variables: opts.before, provisioners: "skip" });
    if (applied.failed.length > 0)
      throw new Error(`the stack did not apply: ${applied.failed.map((f) => f.error).join("; ")}`);
    const planned = await planStack({ ...common, variables: opts.after });
    if (planned.failed.length > 0)
      throw new Error(`the stack did not plan: ${planned.failed.map((f) => f.error).join("; ")}`);
    return planned.changes.filter((c) => c.action !== "keep" && c.action !== "read");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

import { LocalExecProvisioner, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { EntryContract, EnvironmentValues, Fields } from "../lib/model/entry/contract";

/** Terraform's `self.triggers.<key>`, the only thing a destroy-time provisioner may read. */
export function selfTrigger(key: string): string {
  return `\${self.triggers.${key}}`;
}

/**
 * Where the project is, as Terraform sees it. Terraform runs in `cdktf.out/stacks/<stack>/`, so
 * every project-relative path is spelled from there; nothing absolute lands in the JSON, so a
 * synthesized plan is the same on every machine and moving the project folder replaces nothing.
 */
export class ProjectLayout {
  /**
   * The layout of the stack `scope` is in (what the stack owns, reached through the stack, as the CDK's
   * Stack.of): a stack that declares one as its `layout`; the default layout otherwise.
   */
  static of(scope: IConstruct): ProjectLayout {
    const stack: unknown = TerraformStack.of(scope);
    const declared = (stack as { layout?: unknown }).layout;
    return declared instanceof ProjectLayout ? declared : DEFAULT_LAYOUT;
  }

  /**
   * @param rootFromStackDir the project root as seen from a stack's working directory
   * @default "../../.." (cdktf.json `output: cdktf.out`, stacks in `stacks/<id>/`)
   */
  constructor(readonly rootFromStackDir: string = "../../..") {
    if (!/^\.\.(\/\.\.)*$/.test(rootFromStackDir)) {
      throw new Error(
        `rootFromStackDir must be a chain of '..' segments like "../../..", got ${JSON.stringify(rootFromStackDir)}`,
      );
    }
  }

  /** A project-relative path as Terraform must spell it (for `local_file.filename`, the backend). */
  fromStackDir(projectRelative: string): string {
    return `${this.rootFromStackDir}/${projectRelative}`;
  }

  /** The launcher every provisioner and data source runs (scripts/run). */
  get launcher(): string {
    return this.fromStackDir("scripts/run");
  }

  /**
   * A local-exec provisioner that runs the contract's entry point with the environment the contract
   * builds from `values`. The command is a fixed string: values travel only in `environment`, never
   * through the shell's parser.
   */
  localExec<F extends Fields>(
    contract: EntryContract<F>,
    values: EnvironmentValues<F>,
    when?: "destroy",
  ): LocalExecProvisioner {
    return {
      type: "local-exec",
      command: `${this.launcher} ${contract.entry}`,
      environment: contract.environment(values),
      ...(when ? { when } : {}),
    };
  }

  /** argv of an `external` data source program. */
  externalProgram(entry: string): string[] {
    return [this.launcher, entry];
  }
}

const DEFAULT_LAYOUT = new ProjectLayout();

/**
 * `npm run deploy` (and the manager's deploy): under the project's operation lock, so a second deploy,
 * a teardown or a snapshot command never runs beside it and no two cdktf runs synthesize into cdktf.out
 * at once; then the VMs that cluster.yaml no longer names (reported, or removed when asked), the doctor's
 * failing checks, and `npx cdktf deploy apt-cache k8s-cluster` with the user's extra arguments.
 */
import { CliContext, ensureGeneratedDir } from "../common/context";
import { Command, InvalidArgumentError } from "commander";
import { CommandFailedError, renderTable } from "../common/report";
import { runNpx } from "../common/npx";
import { buildRealDoctorEnv } from "../doctor/real-env";
import { DoctorReport, runDoctor } from "../doctor/run-doctor";
import { formatReport, summary } from "../doctor/format";
import { describeHolder, withOperationLock } from "../../runtime/ops/operation-lock";
import { removeOrphanVms } from "../teardown/run-teardown";
import { checkCdktfArgs } from "./cdktf-options";
import { describeLeftover, findLeftoverVms, LeftoverVm, markRunning } from "./leftover-vms";

/** The stacks a deploy applies, in this order (the cluster's hosts name the cache). */
const DEPLOY_STACKS = ["apt-cache", "k8s-cluster"] as const;

/** The command that removes what a deploy reports left over. */
const REMOVE_ORPHANS_COMMAND = "npm run deploy -- --remove-orphans";

export interface DeploySteps {
  /** The doctor's checks (on the Mac: every check of `npm run doctor`). */
  readonly doctor: () => Promise<DoctorReport>;
  /** `npx cdktf deploy apt-cache k8s-cluster <args>`; resolves to its exit status. */
  readonly cdktf: (args: readonly string[]) => Promise<number>;
}

export interface DeployOptions {
  /** Remove the VMs cluster.yaml no longer names before the apply, as `teardown --orphans` does. */
  readonly removeOrphans?: boolean;
  /** Wait this long for another operation holding the lock, in seconds. @default 0 (refuse at once) */
  readonly waitSeconds?: number;
  /** Passed on to cdktf deploy (e.g. --auto-approve, --var=...). */
  readonly cdktfArgs?: readonly string[];
}

export interface DeployIo {
  /** The doctor's failures and the removal table. */
  readonly out: NodeJS.WritableStream;
  /** What the deploy is doing and what it found. */
  readonly err: NodeJS.WritableStream;
}

const defaultIo = (): DeployIo => ({ out: process.stdout, err: process.stderr });

export async function runDeploy(
  ctx: CliContext,
  opts: DeployOptions,
  steps: DeploySteps,
  io: DeployIo = defaultIo(),
): Promise<void> {
  const waitMs = (opts.waitSeconds ?? 0) * 1000;
  await withOperationLock(
    ensureGeneratedDir(ctx),
    "deploy",
    async () => {
      await handleLeftovers(ctx, opts.removeOrphans ?? false, io);
      const report = await steps.doctor();
      if (!report.ok) {
        io.out.write(formatReport(report.results, { failuresOnly: true }));
        throw new CommandFailedError(
          `${summary(report.results)}: fix the failures above (npm run doctor shows every check), then deploy again`,
        );
      }
      const args = opts.cdktfArgs ?? [];
      const code = await steps.cdktf(args);
      if (code !== 0)
        throw new CommandFailedError(
          `npx cdktf deploy ${[...DEPLOY_STACKS, ...args].join(" ")} exited with ${code}; read its output above, fix the cause and run npm run deploy again (it resumes)`,
        );
    },
    {
      waitMs,
      onWait: (holder) =>
        io.err.write(`deploy: waiting up to ${opts.waitSeconds} s for ${describeHolder(holder)} to finish\n`),
    },
  );
}

/** Says which VMs cluster.yaml no longer names, in one block; removes them first when asked. */
async function handleLeftovers(ctx: CliContext, remove: boolean, io: DeployIo): Promise<void> {
  const { leftovers, problems } = findLeftoverVms(ctx.projectRoot, ctx.model);
  for (const p of problems)
    io.err.write(
      `deploy: warning: ${p}; VMs no longer in cluster.yaml are looked for in the VMs folder only\n`,
    );
  if (leftovers.length === 0) return;
  try {
    markRunning(ctx.projectRoot, leftovers, await ctx.driver.listRunning());
  } catch {
    // power unknown: said so in the block
  }
  io.err.write(leftoverBlock(leftovers, remove));
  if (!remove) return;
  const { rows, leftovers: left } = await removeOrphanVms(
    ctx,
    leftovers.map((l) => l.vm),
    (item, m) => io.err.write(`deploy ${item}: ${m}\n`),
  );
  io.out.write(
    `${renderTable(
      ["item", "outcome", "detail"],
      rows.map((r) => [r.item, r.outcome, r.detail]),
    )}\n`,
  );
  if (left.length > 0) {
    io.err.write(`deploy: left behind:\n${left.map((l) => `  - ${l}\n`).join("")}`);
    throw new CommandFailedError(
      `could not remove every VM no longer in cluster.yaml (listed above), and nothing was deployed: fix the cause and run ${REMOVE_ORPHANS_COMMAND} again`,
    );
  }
}

function leftoverBlock(leftovers: readonly LeftoverVm[], remove: boolean): string {
  const n = leftovers.length;
  const width = Math.max(...leftovers.map((l) => l.vm.name.length));
  const lines = [
    `deploy: ${n === 1 ? "1 VM is" : `${n} VMs are`} no longer in cluster.yaml but still here (renamed or removed from vms; Terraform removes no VM whose config is gone):`,
    ...leftovers.map((l) => `  ${l.vm.name.padEnd(width)}  ${describeLeftover(l)}`),
    remove
      ? "deploy: removing them first, as npm run teardown -- --orphans does (stop, delete from VMware, remove the folder)"
      : `deploy: they are left as they are; to remove them (stop, delete from VMware, remove the folder) run: ${REMOVE_ORPHANS_COMMAND}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The real steps: every doctor check on this host, and cdktf through npx with the terminal handed over. */
export function realDeploySteps(root: string): DeploySteps {
  return {
    doctor: () => runDoctor(buildRealDoctorEnv(root)),
    cdktf: (args) => runNpx(root, ["cdktf", "deploy", ...DEPLOY_STACKS, ...args], "deploy"),
  };
}

function parseWait(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 86_400)
    throw new InvalidArgumentError("--wait takes a whole number of seconds between 0 and 86400");
  return Number(value);
}

/** Adds the deploy options and action to `cmd` (the deploy entry point and `manager deploy`). */
export function configureDeployCommand(cmd: Command, load: () => CliContext, steps: DeploySteps): Command {
  return cmd
    .argument(
      "[cdktf-options...]",
      "passed on to cdktf deploy, e.g. --auto-approve or --var=internal_vip=10.10.0.101",
    )
    .option(
      "--remove-orphans",
      "first remove the VMs cluster.yaml no longer names (stop, delete from VMware, remove the folder), as teardown --orphans does",
    )
    .option(
      "--wait <seconds>",
      "wait this long for another operation (deploy, teardown, snapshot, start/stop) to finish instead of refusing at once",
      parseWait,
    )
    .allowUnknownOption()
    .action((cdktfArgs: string[], o: { removeOrphans?: boolean; wait?: number }) => {
      checkCdktfArgs(cdktfArgs, ["--remove-orphans", "--wait"]);
      return runDeploy(load(), { removeOrphans: o.removeOrphans, waitSeconds: o.wait, cdktfArgs }, steps);
    });
}

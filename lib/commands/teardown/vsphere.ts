/**
 * Teardown on the vSphere target: the VMs are in vCenter's inventory, not folders on disk. The plan's VMs
 * are named by their inventory paths (`/<dc>/vm/<folder>/<name>`); the sweep powers each one off and
 * destroys it (govc vm.destroy, which also deletes its disks); orphans are the VMs in the lab's folder that
 * the config does not name; the audit asks the inventory again. The local files (generated folders, state,
 * inventory file, snapshot manifests) go as on Fusion.
 */
import * as path from "node:path";
import { HOSTNAME } from "../../model/config/schema";
import { vsphereVmPath } from "../../model/config/vsphere-paths";
import { CliContext } from "../common/context";
import { errorMessage as message } from "../common/report";
import { orphanVm, planTeardown, TeardownPlan, TeardownScope, TeardownVm } from "./plan";
import { TeardownLog, TeardownRow } from "./sweep";

function siteOf(ctx: CliContext) {
  const site = ctx.model.vsphere;
  if (site === undefined || ctx.inventory === undefined)
    throw new Error("the vSphere teardown needs target: vsphere and its driver (loadCliContext)");
  return { site, inventory: ctx.inventory };
}

/** A VM of the plan with its inventory path; its local paths are the model's (only generatedDir is ever there). */
function planVm(ctx: CliContext, name: string, orphan: boolean): TeardownVm {
  const { site } = siteOf(ctx);
  const { orphan: _, ...local } = orphanVm(ctx.model, name);
  return { ...local, inventoryPath: vsphereVmPath(site, name), ...(orphan ? { orphan: true } : {}) };
}

/**
 * VMs of an earlier config: VMs in the lab's folder (not its subfolders) whose name is a valid VM name but
 * no configured VM's (nor the APT cache's), and not the template the clones are made from (the README
 * imports it into the same folder). Removed only when asked (--orphans): a VM someone put in the folder
 * by hand looks the same.
 */
export async function findVsphereOrphans(ctx: CliContext): Promise<TeardownVm[]> {
  const { site, inventory } = siteOf(ctx);
  const known = new Set([...ctx.model.vms, ctx.model.aptCache.vm].map((vm) => vm.name));
  known.add(site.template);
  return (await inventory.listVms())
    .map((p) => path.posix.basename(p))
    .filter((name) => HOSTNAME.test(name) && !known.has(name))
    .sort()
    .map((name) => planVm(ctx, name, true));
}

/** The plan on vSphere: the model's VMs (and the orphans when asked) by inventory path; never VM folders on disk. */
export async function planVsphereTeardown(ctx: CliContext, scope: TeardownScope): Promise<TeardownPlan> {
  const local = planTeardown(ctx.model, { ...scope, includeOrphans: false }, ctx.projectRoot);
  const orphans = scope.includeOrphans ? await findVsphereOrphans(ctx) : [];
  return { ...local, vms: [...local.vms.map((vm) => planVm(ctx, vm.name, false)), ...orphans] };
}

/** Powers off and destroys each plan VM still in the inventory; one row per plan VM. */
export async function sweepVsphereVms(
  ctx: CliContext,
  plan: TeardownPlan,
  log: TeardownLog,
): Promise<TeardownRow[]> {
  const driver = ctx.driver;
  return Promise.all(
    plan.vms.map(async (vm): Promise<TeardownRow> => {
      const at = vm.inventoryPath ?? vm.name;
      try {
        if (!(await driver.isBuilt(at)))
          return { item: at, outcome: "already gone", detail: "not in vCenter" };
        const how = await driver.stopIfRunning(at);
        if (how !== "not-running") log(vm.name, `powered off (${how})`);
        const deleted = await driver.deleteVmIfPresent(at);
        log(vm.name, deleted ? "destroyed (govc vm.destroy)" : "vCenter no longer had it");
        return deleted
          ? { item: at, outcome: "removed", detail: "powered off if running, vm.destroy (its disks too)" }
          : { item: at, outcome: "already gone", detail: "not in vCenter" };
      } catch (err) {
        log(vm.name, `failed: ${message(err)}`);
        return { item: at, outcome: "failed", detail: message(err) };
      }
    }),
  );
}

/** One line per plan VM still in vCenter (or that cannot be checked). */
export async function auditVsphereVms(ctx: CliContext, plan: TeardownPlan): Promise<string[]> {
  const left = await Promise.all(
    plan.vms.map(async (vm) => {
      const at = vm.inventoryPath ?? vm.name;
      try {
        return (await ctx.driver.isBuilt(at)) ? [`VM ${at} is still in vCenter`] : [];
      } catch (err) {
        return [`cannot tell whether VM ${at} is still in vCenter (${message(err)})`];
      }
    }),
  );
  return left.flat();
}

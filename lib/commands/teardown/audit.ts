/**
 * The last word of a teardown: looks again, without trusting what the steps said, for anything of the
 * cluster left behind. Any leftover (or a check that cannot be made) makes the teardown fail.
 */
import * as path from "node:path";
import { Hypervisor } from "../../runtime/hypervisor/hypervisor";
import { TeardownPlan } from "./plan";
import { isPresent, runningInside } from "./sweep";

/** One line per thing of the cluster still there; empty when the teardown is complete. */
export async function auditTeardown(
  driver: Hypervisor,
  projectRoot: string,
  plan: TeardownPlan,
): Promise<string[]> {
  const root = path.resolve(projectRoot);
  const left = await auditVms(driver, projectRoot, plan);
  const check = (rel: string, what: string) => {
    if (isPresent(path.resolve(root, rel))) left.push(`${what} ${rel} is still there`);
  };
  for (const file of plan.stateFiles) check(file, "Terraform state");
  check(plan.inventoryFile, "inventory");
  check(plan.snapshotManifestsDir, "snapshot manifests");
  if (plan.baseImagesDir !== undefined) check(plan.baseImagesDir, "base images folder");
  return left;
}

/** One line per VM of the plan still there: its folder, seed ISO, generated folder, or running. */
export async function auditVms(
  driver: Hypervisor,
  projectRoot: string,
  plan: TeardownPlan,
): Promise<string[]> {
  const root = path.resolve(projectRoot);
  const left: string[] = [];
  const check = (rel: string, what: string) => {
    if (isPresent(path.resolve(root, rel))) left.push(`${what} ${rel} is still there`);
  };
  let running: string[] | undefined;
  try {
    running = await driver.listRunning();
  } catch (err) {
    left.push(
      `cannot tell which VMs run (listing the running VMs failed: ${err instanceof Error ? err.message : String(err)})`,
    );
  }
  for (const vm of plan.vms) {
    check(vm.vmDir, "VM folder");
    check(vm.seedIso, "seed ISO");
    check(vm.generatedDir, "generated folder");
    for (const vmx of runningInside(running ?? [], path.resolve(root, vm.vmDir)))
      left.push(`VM ${vmx} is still running`);
  }
  return left;
}

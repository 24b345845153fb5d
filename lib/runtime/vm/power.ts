import * as fs from "node:fs";
import * as path from "node:path";
import { qemuImgInfo } from "../disk/qemu-img";
import { writeFileAtomic } from "../fs/atomic";
import { Hypervisor } from "../hypervisor/hypervisor";
import { isAlreadyRunning } from "../hypervisor/errors";
import { GuestIpQuery, lookupGuestIp } from "./guest-ip";

/** How long a guest gets to shut down cleanly before a hard stop. */
export const SOFT_STOP_MS = 30_000;

/** The clean-shutdown allowance, never longer than the deadline set for one vmrun call (VMRUN_TIMEOUT_SECONDS). */
function softStopMs(driver: Hypervisor): number {
  return Math.min(SOFT_STOP_MS, driver.timeoutMs);
}

export interface StartVmOptions {
  readonly name: string;
  /** Absolute path of the .vmx inside the VM folder (what vmrun is given). */
  readonly vmx: string;
  /** Absolute path of the rendered, desired .vmx (generated/<name>/<name>.vmx). */
  readonly vmxSource: string;
  /** The VM's disk and its configured size: a mismatch is reported, never acted on. */
  readonly disk?: { readonly path: string; readonly sizeGb: number };
  /** The IP wait after power-on; `vmx` is filled in. */
  readonly ip: Omit<GuestIpQuery, "vmx">;
  readonly log: (message: string) => void;
}

/**
 * Installs the desired .vmx and starts the VM headless, then waits for its IP. A VM that already
 * runs with the same .vmx is left alone; one that runs with an older .vmx is stopped first (soft,
 * then hard), because Fusion reads the .vmx only at power-on.
 */
export async function startVm(driver: Hypervisor, opts: StartVmOptions): Promise<string> {
  if (!fs.existsSync(opts.vmxSource)) {
    throw new Error(
      `the rendered VMX ${opts.vmxSource} is missing; run the deploy again (Terraform writes it before starting ${opts.name})`,
    );
  }
  const vmDir = path.dirname(opts.vmx);
  if (!fs.existsSync(vmDir)) {
    throw new Error(
      `the VM folder ${vmDir} of ${opts.name} is missing (removed by hand?); Terraform still records its disk, so run the destroy for this stack and deploy again`,
    );
  }
  const desired = fs.readFileSync(opts.vmxSource, "utf8");
  const installed = fs.existsSync(opts.vmx) ? fs.readFileSync(opts.vmx, "utf8") : undefined;
  let running = await driver.isRunning(opts.vmx);
  const wasRunning = running;
  if (installed !== desired) {
    if (running) {
      opts.log(`settings changed: stopping ${opts.name} to apply them`);
      await driver.stopIfRunning(opts.vmx, { softTimeoutMs: softStopMs(driver) });
      running = false;
    }
    await writeFileAtomic(opts.vmx, desired, { mode: 0o644 });
    opts.log(`installed ${path.basename(opts.vmx)}`);
  }
  if (opts.disk) await warnOnDiskSize(opts.disk, opts.log);
  if (!running) {
    opts.log("starting (nogui)");
    try {
      await driver.start(opts.vmx);
    } catch (err) {
      if (!isAlreadyRunning(err)) throw err;
    }
  }
  opts.log(`waiting up to ${Math.round(opts.ip.budgetMs / 1000)} s for the guest to report its IP`);
  const answer = await lookupGuestIp(driver, { ...opts.ip, vmx: opts.vmx });
  if (answer.ip === "") {
    const consoleLog = path.join(path.dirname(opts.vmx), "console.log");
    throw new Error(
      `${opts.name} ${running === wasRunning && wasRunning ? "is running" : "was started"} but reported no usable IP within ${Math.round(opts.ip.budgetMs / 1000)} s (${answer.detail}). ` +
        `First boot installs open-vm-tools through apt, so the guest needs the network (and the APT cache, if set): ` +
        `read the guest's console in ${consoleLog}, or open the VM in Fusion; then run the deploy again (it resumes where it stopped)`,
    );
  }
  opts.log(`IP ${answer.ip}`);
  return answer.ip;
}

/** An existing disk is never resized or re-cloned (that would lose its data); say so when the config differs. */
async function warnOnDiskSize(
  disk: { path: string; sizeGb: number },
  log: (m: string) => void,
): Promise<void> {
  let actual: number;
  try {
    actual = (await qemuImgInfo(disk.path)).virtualSize;
  } catch {
    return; // unreadable here (qemu-img missing, disk locked): the start itself will tell
  }
  const wanted = disk.sizeGb * 1024 ** 3;
  if (actual !== wanted) {
    const gib = (actual / 1024 ** 3).toFixed(actual % 1024 ** 3 === 0 ? 0 : 1);
    log(
      `warning: the disk is ${gib} GiB but diskGb is ${disk.sizeGb}; existing disks are never resized or re-cloned (that would lose their data). To apply it, destroy and deploy this VM again`,
    );
  }
}

/** Stops the VM if it runs: a clean shutdown first, then a hard stop. Absent or off is fine. */
export async function stopVm(driver: Hypervisor, vmx: string): Promise<string> {
  if (!fs.existsSync(vmx) && !(await driver.isRunning(vmx))) return "not-present";
  return driver.stopIfRunning(vmx, { softTimeoutMs: softStopMs(driver) });
}

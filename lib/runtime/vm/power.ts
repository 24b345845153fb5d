import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { qemuImgInfo } from "../disk/qemu-img";
import { cleanStalePartials, writeFileAtomic } from "../fs/atomic";
import { Hypervisor } from "../hypervisor/hypervisor";
import { isAlreadyRunning } from "../hypervisor/errors";
import { BootRecord, readBootRecord, writeBootRecord } from "../steps/records";
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
  /** Absolute path of the seed ISO the VM boots from: part of what a running VM must have been started with. */
  readonly seedIso?: string;
  /**
   * The VM's steps folder, where the boot record says what vm-start last powered the VM on with.
   * @default none: a running VM counts as started with the same settings when the installed .vmx equals the rendered one
   */
  readonly stepDir?: string;
  /** The VM's disk and its configured size: a mismatch is reported, never acted on. */
  readonly disk?: { readonly path: string; readonly sizeGb: number };
  /** The IP wait after power-on; `vmx` is filled in. */
  readonly ip: Omit<GuestIpQuery, "vmx">;
  readonly log: (message: string) => void;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** What the VM must be started with now: the rendered .vmx and the seed ISO as they are. */
function desiredBoot(opts: StartVmOptions, desiredVmx: string): BootRecord {
  const seed =
    opts.seedIso !== undefined && fs.existsSync(opts.seedIso) ? fs.readFileSync(opts.seedIso) : undefined;
  return { vmxSha256: sha256(desiredVmx), seedSha256: seed ? sha256(seed) : "" };
}

/**
 * Whether a running VM was powered on with `boot`: by its boot record (Fusion rewrites the installed .vmx
 * while the VM runs, so its content cannot tell), or without a steps folder by the installed .vmx.
 */
function runsWith(opts: StartVmOptions, boot: BootRecord, desiredVmx: string): boolean {
  if (opts.stepDir === undefined)
    return fs.existsSync(opts.vmx) && fs.readFileSync(opts.vmx, "utf8") === desiredVmx;
  const last = readBootRecord(opts.stepDir);
  return last !== undefined && last.vmxSha256 === boot.vmxSha256 && last.seedSha256 === boot.seedSha256;
}

/**
 * Installs the desired .vmx and starts the VM headless, then waits for its IP. A VM that already runs
 * with these settings (the same .vmx and seed) is left running: after an interrupted deploy its first
 * boot goes on and only the IP wait is resumed. One that runs with other settings is stopped first
 * (soft, then hard), because Fusion reads the .vmx and the seed only at power-on. Returns the IP and
 * what the VM runs with.
 */
export async function startVm(
  driver: Hypervisor,
  opts: StartVmOptions,
): Promise<{ readonly ip: string; readonly boot: BootRecord }> {
  if (!fs.existsSync(opts.vmxSource)) {
    throw new Error(
      `the rendered VMX ${opts.vmxSource} is missing: run npm run deploy again (Terraform writes it again before it starts ${opts.name})`,
    );
  }
  const vmDir = path.dirname(opts.vmx);
  if (!fs.existsSync(vmDir)) {
    throw new Error(
      `the VM folder ${vmDir} of ${opts.name} is missing (removed by hand?): run npm run deploy again; its plan finds the disk missing and builds ${opts.name} again (its data is gone)`,
    );
  }
  // A .vmx write a killed run left half done: never taken for the .vmx, removed before this one is written.
  for (const leftover of await cleanStalePartials(vmDir, path.basename(opts.vmx)))
    opts.log(`removed ${path.basename(leftover)}, left by an interrupted run`);
  const desired = fs.readFileSync(opts.vmxSource, "utf8");
  const boot = desiredBoot(opts, desired);
  let running = await driver.isRunning(opts.vmx);
  const wasRunning = running;
  if (running && runsWith(opts, boot, desired)) {
    opts.log("already running with these settings");
  } else if (running) {
    opts.log(`settings changed: stopping ${opts.name} to apply them`);
    await driver.stopIfRunning(opts.vmx, { softTimeoutMs: softStopMs(driver) });
    running = false;
  }
  if (!running) {
    const installed = fs.existsSync(opts.vmx) ? fs.readFileSync(opts.vmx, "utf8") : undefined;
    if (installed !== desired) {
      await writeFileAtomic(opts.vmx, desired, { mode: 0o644 });
      opts.log(`installed ${path.basename(opts.vmx)}`);
    }
  }
  if (opts.disk) await warnOnDiskSize(opts.disk, opts.log);
  if (!running) {
    if (opts.stepDir !== undefined) await writeBootRecord(opts.stepDir, boot);
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
        `read the guest's console in ${consoleLog}, or open the VM in Fusion; then run npm run deploy again (it resumes the wait without restarting ${opts.name})`,
    );
  }
  opts.log(`IP ${answer.ip}`);
  return { ip: answer.ip, boot };
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

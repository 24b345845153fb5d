/** Runs every check in order and collects the rows; a check that throws becomes a failure row. */
import { checkBaseImage } from "./base-image-check";
import { checkCpus, checkDisk, checkMemory } from "./capacity";
import { checkConfig } from "./config-check";
import { checkAddresses, checkBridged, checkLanAddress, checkNatVmnet } from "./network-checks";
import { checkIsoTool, checkQemuImg, checkTerraform, checkVmrun } from "./tools";
import { CheckResult, DoctorEnv, failure } from "./types";
import { checkVsphere } from "./vsphere-checks";

export interface DoctorReport {
  readonly ok: boolean;
  readonly results: readonly CheckResult[];
}

async function guarded(
  check: string,
  fn: () => Promise<CheckResult | CheckResult[]> | CheckResult | CheckResult[],
): Promise<CheckResult[]> {
  try {
    const r = await fn();
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    return [
      failure(
        check,
        `the check itself failed: ${(err as Error).message}`,
        "report this; the other checks still ran",
      ),
    ];
  }
}

export async function runDoctor(env: DoctorEnv): Promise<DoctorReport> {
  const config = checkConfig(env);
  const model = config.model;
  if (model?.target === "vsphere") {
    // Nothing of Fusion runs here (vmrun, qemu-img, the ISO tool, vmnet2, the Mac's memory and disk, the base image).
    const results = [
      ...(await guarded("terraform", () => checkTerraform(env))),
      ...config.rows,
      ...(await guarded("vSphere", () => checkVsphere(env, model))),
    ];
    return { ok: results.every((r) => r.status !== "failure"), results };
  }
  const results: CheckResult[] = [
    ...(await guarded("vmrun", () => checkVmrun(env, model?.hardware.virtualHwVersion))),
    ...(await guarded("qemu-img", () => checkQemuImg(env))),
    ...(await guarded("ISO tool", () => checkIsoTool(env))),
    ...(await guarded("terraform", () => checkTerraform(env))),
    ...config.rows,
  ];
  if (model) {
    results.push(
      ...(await guarded(model.network.nat.vmnet, () => checkNatVmnet(env, model))),
      ...(await guarded("bridged network", () => checkBridged(env))),
      ...(await guarded("LAN address", () => checkLanAddress(env, model))),
      ...(await guarded("addresses", () => checkAddresses(env, model))),
      ...(await guarded("memory", () => checkMemory(env, model))),
      ...(await guarded("vCPUs", () => checkCpus(env, model))),
      ...(await guarded("disk space", () => checkDisk(env, model))),
      ...(await guarded("base image", () => checkBaseImage(env, model))),
    );
  } else {
    results.push(
      failure(
        "cluster checks",
        "skipped (networking, addresses, capacity, base image): the config could not be loaded",
        "fix the config errors above and run npm run doctor again",
      ),
    );
  }
  return { ok: results.every((r) => r.status !== "failure"), results };
}

/** Checks 9-10: host memory/CPU against the VMs' sizes, free disk against what a deploy will write. */
import * as path from "node:path";
import type { ClusterModel, VmSpec } from "../../model/config/model";
import { hostWords } from "../../model/host-words";
import { CheckResult, DoctorEnv, failure, ok, warning } from "./types";

const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

export const MEMORY_FAIL_SHARE = 0.9;
export const MEMORY_WARN_SHARE = 0.7;
export const CPU_OVERSUBSCRIPTION_WARN = 2;
/** Thin-provisioned disks: a fresh VM writes about a quarter of its configured size. */
export const THIN_DISK_SHARE = 0.25;

function allVms(model: ClusterModel): readonly VmSpec[] {
  return [...model.vms, model.aptCache.vm];
}

export function checkMemory(env: DoctorEnv, model: ClusterModel): CheckResult {
  const vms = allVms(model);
  const need = vms.reduce((s, vm) => s + vm.memoryMb, 0) * 2 ** 20;
  const share = need / env.totalMemBytes;
  const detail = `${vms.length} VMs need ${gib(need)} of ${gib(env.totalMemBytes)} host memory (${Math.round(share * 100)}%)`;
  const fix =
    "npm run configure -- --force picks a cluster size that fits (it keeps your other settings); or lower memoryMb of some VMs, or run fewer workers, in cluster.yaml";
  const words = hostWords(env.platform);
  if (share > MEMORY_FAIL_SHARE)
    return failure("memory", `${detail}: above ${MEMORY_FAIL_SHARE * 100}%, ${words.host} will swap`, fix);
  if (share > MEMORY_WARN_SHARE)
    return warning(
      "memory",
      `${detail}: above ${MEMORY_WARN_SHARE * 100}%, little left for ${words.os}`,
      fix,
    );
  return ok("memory", detail);
}

export function checkCpus(env: DoctorEnv, model: ClusterModel): CheckResult {
  const vcpus = allVms(model).reduce((s, vm) => s + vm.cpus, 0);
  const ratio = vcpus / env.cpuCount;
  const detail = `${vcpus} vCPUs on ${env.cpuCount} host CPUs (${ratio.toFixed(1)}x)`;
  if (ratio > CPU_OVERSUBSCRIPTION_WARN)
    return warning(
      "vCPUs",
      `${detail}: more than ${CPU_OVERSUBSCRIPTION_WARN}x oversubscribed, expect slow boots`,
      "npm run configure -- --force gives workers 2 vCPUs when the cores are few; or lower cpus of some VMs in cluster.yaml",
    );
  return ok("vCPUs", detail);
}

/**
 * Rule: need = 25% of diskGb of each VM whose .vmx does not exist yet (disks are thin, a fresh
 * clone writes about that much) + the base image's virtual size if it is not downloaded yet
 * + snapshot headroom of each VM's memory size (a snapshot of a running VM writes its RAM).
 * Failure when free < need; warning when free < 2 x need (the disks keep growing).
 */
export async function checkDisk(env: DoctorEnv, model: ClusterModel): Promise<CheckResult> {
  const vms = allVms(model);
  const missing = vms.filter((vm) => !env.exists(path.resolve(env.projectRoot, vm.vmxPath)));
  const disks = missing.reduce((s, vm) => s + vm.diskGb * THIN_DISK_SHARE, 0) * GiB;
  const image = env.exists(path.resolve(env.projectRoot, model.baseImage.path))
    ? 0
    : model.baseImage.virtualSizeGb * GiB;
  const snapshots = vms.reduce((s, vm) => s + vm.memoryMb, 0) * 2 ** 20;
  const need = disks + image + snapshots;
  const free = await env.freeDiskBytes(env.projectRoot);
  const configured = missing.reduce((s, vm) => s + vm.diskGb, 0);
  const rule = `${missing.length} new thin disks ${gib(disks)} (25% of ${configured} GiB) + base image ${gib(image)} + snapshot headroom (VM memory) ${gib(snapshots)} = ${gib(need)}`;
  if (free === undefined)
    return warning(
      "disk space",
      `free space of ${env.projectRoot} unknown; need about ${rule}`,
      "check free space with df -h .",
    );
  const detail = `${gib(free)} free; need about ${rule}`;
  const fix =
    "free disk space on the project's volume (or move the project), or lower diskGb in cluster.yaml";
  if (free < need) return failure("disk space", detail, fix);
  if (free < 2 * need) return warning("disk space", `${detail}: tight, the thin disks keep growing`, fix);
  return ok("disk space", detail);
}

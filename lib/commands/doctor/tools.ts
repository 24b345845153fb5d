/** Checks 1-4: the host tools a deploy runs (vmrun + VMware version, qemu-img, an ISO tool, Terraform). */
import * as path from "node:path";
import { findIsoTool, ISO_TOOLS } from "../../runtime/iso/seed-iso";
import { SpawnError } from "../../runtime/process/run-with-deadline";
import {
  DEFAULT_FUSION_APP_PATH,
  locateVmrun,
  platformHostType,
  VmrunLocateError,
  VmrunLocation,
  vmrunInstallHint,
  vmwareProduct,
} from "../../runtime/hypervisor/vmrun/locate";
import { hostWords, type HostTool } from "../../model/host-words";
import { CheckResult, DoctorEnv, failure, ok, warning } from "./types";

const TOOL_DEADLINE_MS = 10_000;
const VERSION_RE = /VMware ([A-Za-z0-9-]+) (\d+)\.(\d+)\.(\d+)/;

export interface VmwareVersion {
  readonly product: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Parses `vmware-vmx -v` output (Fusion prints it on stderr), e.g. "VMware Fusion 13.6.1 build-...". */
export function parseVmwareVersion(text: string): VmwareVersion | undefined {
  const m = VERSION_RE.exec(text);
  return m ? { product: m[1], major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4]) } : undefined;
}

/** Where vmware-vmx should be: next to the real vmrun in the app bundle ($FUSION_APP_PATH relocates it) on macOS, /usr/lib/vmware/bin on Linux. */
function vmwareVmxCandidates(vmrun: string, platform: NodeJS.Platform, fusionApp?: string): string[] {
  const dir = path.dirname(vmrun);
  const bundle = [path.join(dir, "vmware-vmx"), path.resolve(dir, "../Library/vmware-vmx")];
  if (platform === "darwin")
    return [...bundle, path.join(fusionApp || DEFAULT_FUSION_APP_PATH, "Contents/Library/vmware-vmx")];
  return [...bundle, "/usr/lib/vmware/bin/vmware-vmx"];
}

/** Minimum major version, and the first version that knows hardware version 21, per product. */
const REQUIREMENTS: Record<string, { min: number; hw21: [number, number] }> = {
  Fusion: { min: 13, hw21: [13, 5] },
  Workstation: { min: 17, hw21: [17, 5] },
};

async function probe(
  env: DoctorEnv,
  file: string,
  args: readonly string[],
): Promise<{ text: string; code: number | null; timedOut: boolean } | undefined> {
  try {
    const r = await env.run(file, args, TOOL_DEADLINE_MS);
    return { text: `${r.stdout}\n${r.stderr}`, code: r.code, timedOut: r.timedOut };
  } catch (err) {
    if (err instanceof SpawnError) return undefined;
    throw err;
  }
}

export async function checkVmrun(
  env: DoctorEnv,
  virtualHwVersion: number | undefined,
): Promise<CheckResult[]> {
  const product = vmwareProduct(platformHostType(env.platform));
  let loc: VmrunLocation;
  try {
    loc = locateVmrun({ env: env.env, platform: env.platform, isExecutable: env.isExecutable });
  } catch (err) {
    // The fix once: the locate error carries it apart from what is wrong.
    if (err instanceof VmrunLocateError) return [failure("vmrun", err.problem, err.fix)];
    return [failure("vmrun", (err as Error).message, vmrunInstallHint(platformHostType(env.platform)))];
  }
  const rows: CheckResult[] = [ok("vmrun", `${loc.binary} (found via ${loc.source}, -T ${loc.hostType})`)];
  const vmx = vmwareVmxCandidates(loc.binary, env.platform, env.env.FUSION_APP_PATH).find((p) =>
    env.isExecutable(p),
  );
  if (vmx === undefined) {
    rows.push(
      warning(
        "VMware version",
        `vmware-vmx not found next to ${loc.binary}: version unknown`,
        env.platform === "darwin"
          ? `make sure VMRUN points into a ${product}+ install (…/Contents/Library/vmrun)`
          : `make sure VMRUN points into a ${product}+ install (/usr/bin/vmrun, vmware-vmx in /usr/lib/vmware/bin)`,
      ),
    );
    return rows;
  }
  const answer = await probe(env, vmx, ["-v"]);
  const version = answer && parseVmwareVersion(answer.text);
  if (!version) {
    const why = !answer
      ? "could not be run"
      : answer.timedOut
        ? `did not answer within ${TOOL_DEADLINE_MS / 1000} s`
        : "printed no version";
    rows.push(
      warning(
        "VMware version",
        `${vmx} -v ${why}: version unknown`,
        `check the VMware install (reinstall ${product}+ if vmware-vmx is broken)`,
      ),
    );
    return rows;
  }
  const shown = `VMware ${version.product} ${version.major}.${version.minor}.${version.patch}`;
  const req = REQUIREMENTS[version.product];
  if (!req) {
    rows.push(warning("VMware version", `${shown}: not Fusion or Workstation, untested`, `use ${product}+`));
  } else if (version.major < req.min) {
    rows.push(
      failure(
        "VMware version",
        `${shown} is older than ${version.product} ${req.min}`,
        `upgrade to VMware ${version.product} ${req.hw21.join(".")} or newer`,
      ),
    );
  } else if (
    (version.major < req.hw21[0] || (version.major === req.hw21[0] && version.minor < req.hw21[1])) &&
    (virtualHwVersion ?? 21) > 20
  ) {
    rows.push(
      warning(
        "VMware version",
        `${shown} predates ${version.product} ${req.hw21.join(".")}, which hardware version ${virtualHwVersion ?? 21} needs`,
        `upgrade ${version.product}, or set hardware.virtualHwVersion: 20 in cluster.yaml`,
      ),
    );
  } else {
    rows.push(ok("VMware version", shown));
  }
  return rows;
}

async function checkVersionedTool(
  env: DoctorEnv,
  name: string,
  args: readonly string[],
  fix: string,
): Promise<CheckResult> {
  const answer = await probe(env, name, args);
  if (!answer) return failure(name, `${name} is not on PATH`, fix);
  if (answer.timedOut || answer.code !== 0) {
    return failure(
      name,
      `\`${name} ${args.join(" ")}\` ${answer.timedOut ? `did not answer within ${TOOL_DEADLINE_MS / 1000} s` : `exited with ${answer.code}`}`,
      fix,
    );
  }
  const first = answer.text.trim().split("\n")[0] ?? "";
  return ok(name, first);
}

/** How to install a host tool on this host (the words of lib/model/host-words.ts). */
function installHint(env: DoctorEnv, tool: HostTool): string {
  return hostWords(env.platform).install[tool];
}

export function checkQemuImg(env: DoctorEnv): Promise<CheckResult> {
  return checkVersionedTool(env, "qemu-img", ["--version"], installHint(env, "qemu-img"));
}

export function checkTerraform(env: DoctorEnv): Promise<CheckResult> {
  return checkVersionedTool(env, "terraform", ["version"], installHint(env, "terraform"));
}

export async function checkIsoTool(env: DoctorEnv): Promise<CheckResult> {
  const dirs = (env.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const tool = await findIsoTool((t) => dirs.some((d) => env.isExecutable(path.join(d, t))));
  return tool
    ? ok("ISO tool", `${tool} (builds the cloud-init seed ISOs)`)
    : failure("ISO tool", `none of ${ISO_TOOLS.join(", ")} is on PATH`, installHint(env, "xorriso"));
}

import * as fs from "node:fs";
import * as path from "node:path";
import { hostWords } from "../../../model/host-words";

export type VmrunHostType = "fusion" | "ws" | "player";
const VMRUN_HOST_TYPES: readonly VmrunHostType[] = ["fusion", "ws", "player"];

export interface VmrunLocation {
  readonly binary: string;
  readonly hostType: VmrunHostType;
  /** Where the binary was found, for logs: "VMRUN", "PATH", "VMware Fusion" or "VMware Workstation". */
  readonly source: string;
}

export interface LocateVmrunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly isExecutable: (p: string) => boolean;
}

/** No usable vmrun: what is wrong and what to do, apart, so a report can print each once. */
export class VmrunLocateError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
    separator = "; ",
  ) {
    super(`${problem}${separator}${fix}`);
    this.name = "VmrunLocateError";
  }
}

export const DEFAULT_FUSION_APP_PATH = "/Applications/VMware Fusion.app";

/** The VMware release vmrun comes with, per host type: Fusion on macOS, Workstation on Linux (hardware version 21). */
export function vmwareProduct(hostType: VmrunHostType): string {
  return hostWords(hostType === "fusion" ? "darwin" : "linux").release;
}

/** What to do when there is no vmrun: install the host's VMware product, or point VMRUN at one. */
export function vmrunInstallHint(hostType: VmrunHostType): string {
  return `install ${vmwareProduct(hostType)} or newer (or set VMRUN=/path/to/vmrun)`;
}

/** Where vmrun lives on a standard install of the host's product, for examples in messages. */
function standardVmrun(hostType: VmrunHostType): string {
  return hostType === "fusion" ? `${DEFAULT_FUSION_APP_PATH}/Contents/Public/vmrun` : "/usr/bin/vmrun";
}

/** True for an existing regular file the current user may execute. */
export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds vmrun: $VMRUN, then PATH, then Fusion's app bundle (Contents/Public is what Fusion puts on PATH,
 * Contents/Library holds the real binaries; $FUSION_APP_PATH relocates the app, as Packer honours),
 * then Workstation's places on Linux. Pure apart from the injected isExecutable.
 */
export function locateVmrun(opts: LocateVmrunOptions): VmrunLocation {
  const { env, platform } = opts;
  const hostType = hostTypeFor(env, platform);

  const explicit = env.VMRUN;
  if (explicit !== undefined && explicit !== "") {
    if (!opts.isExecutable(explicit)) {
      throw new VmrunLocateError(
        `VMRUN=${explicit} is not an executable file`,
        `point VMRUN at vmrun (e.g. ${standardVmrun(hostType)}) or unset it`,
        ": ",
      );
    }
    return { binary: explicit, hostType, source: "VMRUN" };
  }

  const tried: string[] = [];
  const candidates: Array<{ binary: string; source: string }> = [];
  const pathDirs = (env.PATH ?? "").split(platform === "win32" ? ";" : ":").filter((d) => d !== "");
  const exe = platform === "win32" ? "vmrun.exe" : "vmrun";
  for (const dir of pathDirs) candidates.push({ binary: path.join(dir, exe), source: "PATH" });
  if (pathDirs.length === 0) tried.push("PATH (empty)");

  const fusionApp =
    env.FUSION_APP_PATH !== undefined && env.FUSION_APP_PATH !== "" ? env.FUSION_APP_PATH : undefined;
  if (platform === "darwin" || fusionApp !== undefined) {
    const app = fusionApp ?? DEFAULT_FUSION_APP_PATH;
    for (const sub of ["Contents/Public/vmrun", "Contents/Library/vmrun"]) {
      candidates.push({ binary: path.join(app, sub), source: "VMware Fusion" });
    }
  }
  if (platform === "linux") {
    for (const p of ["/usr/bin/vmrun", "/usr/local/bin/vmrun"])
      candidates.push({ binary: p, source: "VMware Workstation" });
  }

  for (const c of candidates) {
    if (opts.isExecutable(c.binary)) return { binary: c.binary, hostType, source: c.source };
    // PATH is summed up, not listed: a long PATH buried the places that matter in the message.
    if (c.source !== "PATH") tried.push(c.binary);
  }
  const onPath = pathDirs.length > 0 ? `, not in any of the ${pathDirs.length} folders on PATH` : "";
  throw new VmrunLocateError(
    `vmrun not found: VMRUN is not set${onPath}, and none of these exist: ${tried.join(", ")}`,
    vmrunInstallHint(hostType),
  );
}

function hostTypeFor(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): VmrunHostType {
  const override = env.VMRUN_HOST_TYPE;
  if (override !== undefined && override !== "") {
    if (!(VMRUN_HOST_TYPES as readonly string[]).includes(override)) {
      throw new VmrunLocateError(
        `VMRUN_HOST_TYPE=${JSON.stringify(override)} is not one of ${VMRUN_HOST_TYPES.join(", ")}`,
        "fix or unset it",
        ": ",
      );
    }
    return override as VmrunHostType;
  }
  return platformHostType(platform);
}

/** The host type a platform runs unless VMRUN_HOST_TYPE says otherwise: Fusion on macOS, Workstation elsewhere. */
export function platformHostType(platform: NodeJS.Platform): VmrunHostType {
  return platform === "darwin" ? "fusion" : "ws";
}

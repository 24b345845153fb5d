import * as fs from "node:fs";
import * as path from "node:path";

/** The one answer every day-two command gives for a VM whose .vmx does not exist yet (or any more). */
export const NOT_BUILT = "not built yet: run npm run deploy";

/** For a VM folder that exists without its .vmx: a deploy stopped between the disk and the start. */
const VMX_MISSING =
  "its .vmx is not installed (a deploy stopped before it started this VM): run npm run deploy, which installs it and starts the VM";

/** Why a VM whose .vmx is missing cannot be acted on, and what fixes it. */
export function notBuiltReason(vmx: string): string {
  return fs.existsSync(path.dirname(vmx)) ? VMX_MISSING : NOT_BUILT;
}

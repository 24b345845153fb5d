/**
 * The real-Terraform tier: tests that run the real `terraform` with real providers (null, local,
 * external; vmware/vsphere against govmomi's vcsim) need them on this machine, and they cannot be
 * downloaded here. One setting finds them all: LAB_REAL_TOOLS, a folder holding
 *   providers/   a Terraform filesystem mirror (registry.terraform.io/<namespace>/<type>/<version>/<os_arch>/...)
 *                with the versions the synthesized JSON pins (hashicorp/null 3.2.4, hashicorp/local 2.6.1,
 *                hashicorp/external 2.3.5, vmware/vsphere 2.15.0);
 *   bin/vcsim, bin/govc   govmomi's vCenter simulator and CLI.
 * The project never ships or builds them (README, Tests). (Not a test file.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REAL_TOOLS_ENV = "LAB_REAL_TOOLS";

const PLATFORM = `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`;

/** The providers the stacks pin, as mirror paths. */
const BASE_PROVIDERS = ["hashicorp/null/3.2.4", "hashicorp/local/2.6.1", "hashicorp/external/2.3.5"];
const VSPHERE_PROVIDER = "vmware/vsphere/2.15.0";

function realToolsDir(): string | undefined {
  const dir = process.env[REAL_TOOLS_ENV];
  return dir !== undefined && dir !== "" && fs.existsSync(dir) ? path.resolve(dir) : undefined;
}

function mirrorHas(dir: string, provider: string): boolean {
  return fs.existsSync(path.join(dir, "providers", "registry.terraform.io", provider, PLATFORM));
}

/** The mirror holds the three base providers at the pinned versions. */
export function findRealTerraform(): boolean {
  const dir = realToolsDir();
  return dir !== undefined && BASE_PROVIDERS.every((p) => mirrorHas(dir, p));
}

/** The mirror holds the vsphere provider the binding pins, and bin/ holds vcsim and govc. */
export function findVcsim(): boolean {
  const dir = realToolsDir();
  if (dir === undefined || !mirrorHas(dir, VSPHERE_PROVIDER)) return false;
  return ["vcsim", "govc"].every((b) => fs.existsSync(path.join(dir, "bin", b)));
}

/** The path of a program in LAB_REAL_TOOLS/bin. */
export function realToolBinary(name: "vcsim" | "govc"): string {
  const dir = realToolsDir();
  if (dir === undefined) throw new Error(`${REAL_TOOLS_ENV} is not set`);
  return path.join(dir, "bin", name);
}

/**
 * A Terraform CLI config that installs providers only from the mirror (no direct downloads), written
 * into `into`; returns its path for TF_CLI_CONFIG_FILE.
 */
export function writeTerraformCliConfig(
  into: string = fs.mkdtempSync(path.join(os.tmpdir(), "tfrc-")),
): string {
  const dir = realToolsDir();
  if (dir === undefined) throw new Error(`${REAL_TOOLS_ENV} is not set`);
  const file = path.join(into, "terraformrc");
  const mirror = JSON.stringify(path.join(dir, "providers"));
  fs.writeFileSync(
    file,
    `provider_installation {\n  filesystem_mirror {\n    path = ${mirror}\n    include = ["registry.terraform.io/*/*"]\n  }\n}\n`,
  );
  return file;
}

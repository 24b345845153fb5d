/**
 * The stacks as the release before the step check synthesized them (__tests__/stacks/previous-release/:
 * the golden files of that release, for the built-in default config), for the upgrade test: a lab built
 * with them must keep every disk, seed and VM through a deploy of the current stacks. The only change a
 * test makes to them is the base image's location (a local test image instead of Ubuntu's, verified by
 * its pinned sha256), which `currentWithoutStepCheck` shows is all that differs besides the step check.
 * (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TfJson } from "./synth";

const DIR = path.resolve(__dirname, "..", "__tests__", "stacks", "previous-release");
const UBUNTU_IMAGE = "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img";
const UBUNTU_SUMS = "https://cloud-images.ubuntu.com/noble/current/SHA256SUMS";
/** The file name the default config's image has: a test image saved under it keeps every path the same. */
export const PREVIOUS_IMAGE_NAME = "noble-server-cloudimg-amd64.img";

/** The previous release's config (the golden default: the built-in defaults, amd64). */
export function previousReleaseConfig(): string {
  return fs.readFileSync(path.join(DIR, "default.yaml"), "utf8");
}

/** Rewrites every string of a JSON tree with `fn(value, key)`. */
function mapStrings(value: unknown, fn: (s: string, key: string) => string, key = ""): unknown {
  if (typeof value === "string") return fn(value, key);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn, key));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn, k)]));
  return value;
}

/**
 * A stack of the previous release, with the base image at `url` pinned to `sha256`, and the private key
 * guest-config uses set as the test project's config sets it (test-support/terraform-apply/project.ts).
 */
export function previousReleaseStack(
  stack: "apt-cache" | "k8s-cluster",
  image: { readonly url: string; readonly sha256: string; readonly sshIdentityFile: string },
): TfJson {
  const json = JSON.parse(fs.readFileSync(path.join(DIR, `default.${stack}.tf.json`), "utf8")) as unknown;
  const out = mapStrings(json, (s, key) => {
    if (s === UBUNTU_IMAGE) return image.url;
    if (s === UBUNTU_SUMS) return "";
    if ((key === "sha256" || key === "IMAGE_SHA256") && s === "") return image.sha256;
    return s;
  }) as TfJson;
  for (const r of Object.values(out.resource?.null_resource ?? {}) as TfJson[])
    for (const p of (r.provisioner ?? []) as TfJson[]) {
      const exec = p["local-exec"] as TfJson;
      if (String(exec.command).endsWith(" guest-config"))
        exec.environment.SSH_IDENTITY_FILE = image.sshIdentityFile;
    }
  return out;
}

/**
 * The current synthesis with the step check taken out: its data source and terraform_data, the
 * resources' lifecycle blocks, and the environment it added to provisioners (STEP_DIR, STEP_TOKEN;
 * SEED_ISO_PATH of vm-start, VMX_PATH of guest-config). Equal to the previous release's stack, this
 * says the step check is the only change.
 */
export function currentWithoutStepCheck(json: TfJson): TfJson {
  const copy = JSON.parse(JSON.stringify(json)) as TfJson;
  for (const id of Object.keys(copy.data?.external ?? {}))
    if (id.startsWith("steps_check_")) delete copy.data.external[id];
  delete copy.resource.terraform_data;
  for (const r of Object.values(copy.resource.null_resource ?? {}) as TfJson[]) {
    delete r.lifecycle;
    for (const p of (r.provisioner ?? []) as TfJson[]) {
      const exec = p["local-exec"] as TfJson;
      const env = exec.environment as Record<string, string>;
      delete env.STEP_DIR;
      delete env.STEP_TOKEN;
      if (String(exec.command).endsWith(" vm-start")) delete env.SEED_ISO_PATH;
      if (String(exec.command).endsWith(" guest-config")) {
        delete env.VMX_PATH;
        // The host-key pins (issue 25): provisioner environment only, never a trigger.
        delete env.SSH_KNOWN_HOSTS;
        delete env.SSH_CONSOLE_LOG;
      }
    }
  }
  return copy;
}

/** A JSON tree without cdktf's `"//"` metadata, which Terraform reads as comments. */
export function withoutComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutComments);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "//")
        .map(([k, v]) => [k, withoutComments(v)]),
    );
  return value;
}

import type { VsphereSpec } from "../../../model/config/model";

/** The variables the user exports for vSphere (the Terraform provider reads the same two). */
const VSPHERE_USER = "VSPHERE_USER";
const VSPHERE_PASSWORD = "VSPHERE_PASSWORD";

/**
 * govc's own trust settings the user may have set for a vCenter whose certificate is not in the system
 * store; every other GOVC_* variable of the caller's shell is dropped, so a GOVC_URL with credentials
 * in it, a GOVC_DATACENTER or a GOVC_INSECURE left over from other work never steers the lab's calls.
 */
const KEPT_GOVC = new Set(["GOVC_TLS_CA_CERTS", "GOVC_TLS_KNOWN_HOSTS"]);

/** The credential variables that are unset or empty, in the order a message names them. */
export function missingCredentials(env: NodeJS.ProcessEnv): string[] {
  return [VSPHERE_USER, VSPHERE_PASSWORD].filter((name) => (env[name] ?? "") === "");
}

/**
 * The environment govc runs in for this site: GOVC_URL is `https://<server>/sdk` with no user or password
 * in it (a URL ends up in govc's messages); the credentials go in GOVC_USERNAME and GOVC_PASSWORD from
 * VSPHERE_USER and VSPHERE_PASSWORD, and nowhere else (never argv, never a file); GOVC_INSECURE only when
 * the config opts out of TLS verification; GOVC_PERSIST_SESSION=false, so govc writes no session cookie
 * under ~/.govmomi and logs out after each call.
 */
export function govcEnvironment(
  site: Pick<VsphereSpec, "server" | "allowUnverifiedSsl">,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env))
    if (!name.startsWith("GOVC_") || KEPT_GOVC.has(name)) out[name] = value;
  out.GOVC_URL = `https://${site.server}/sdk`;
  const user = env[VSPHERE_USER] ?? "";
  const password = env[VSPHERE_PASSWORD] ?? "";
  if (user !== "") out.GOVC_USERNAME = user;
  if (password !== "") out.GOVC_PASSWORD = password;
  if (site.allowUnverifiedSsl) out.GOVC_INSECURE = "1";
  out.GOVC_PERSIST_SESSION = "false";
  return out;
}

/** The values a message must never show: the credentials govc was given. */
export function secretsOf(env: NodeJS.ProcessEnv): string[] {
  return [env.GOVC_PASSWORD, env.GOVC_USERNAME].filter((v): v is string => v !== undefined && v !== "");
}

/**
 * Terraform entry point: installs a VM's role files (the /etc/hosts block; keepalived and nginx on
 * gateways) over SSH once the VM and every address they mention are up.
 * Env: VM_NAME, SSH_HOST (its address), SSH_USER, GUEST_MANIFEST (generated/<vm>/guest/manifest.json),
 * GUEST_WAIT_SECONDS; optional SSH_PORT, SSH_IDENTITY_FILE (private key, `~/` allowed).
 */
import { optionalEnv, optionalIntEnv, requireEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { resolveInside } from "../lib/fs/path-guard";
import { readGuestBundle } from "../lib/guest/manifest";
import { pushGuestConfig } from "../lib/guest/push";

runMain("guest-config", async () => {
  const vmName = requireEnv("VM_NAME");
  const label = `guest-config ${vmName}`;
  const manifest = resolveInside(process.cwd(), requireEnv("GUEST_MANIFEST"), { label: "GUEST_MANIFEST" });
  const bundle = readGuestBundle(manifest, vmName);
  const identityFile = optionalEnv("SSH_IDENTITY_FILE", "");
  const summary = await pushGuestConfig({
    vmName,
    target: {
      host: process.env.SSH_HOST ?? "",
      user: requireEnv("SSH_USER"),
      port: optionalIntEnv("SSH_PORT", 22, process.env, 1, 65535),
      ...(identityFile !== "" ? { identityFile } : {}),
    },
    bundle,
    waitMs: optionalIntEnv("GUEST_WAIT_SECONDS", 900) * 1000,
    log: (message) => log(label, message),
  });
  log(label, [`changed: ${summary.changed.join(", ") || "nothing"}`, ...summary.units].join("; "));
});

/**
 * Terraform entry point: installs a VM's role files (the /etc/hosts block; keepalived and nginx on
 * gateways) over SSH once the VM and every address they mention are up.
 * Env: lib/model/entry/contracts.ts GUEST_CONFIG (SSH_HOST: its address; GUEST_MANIFEST:
 * generated/<vm>/guest/manifest.json; SSH_IDENTITY_FILE: private key, `~/` allowed; SSH_KNOWN_HOSTS and
 * SSH_CONSOLE_LOG (and SSH_PINS_EPOCH): where the VM's host keys are pinned and printed,
 * lib/runtime/ssh/host-keys.ts; VMX_PATH: the VM's .vmx, for the message when there is no address;
 * STEP_DIR/STEP_TOKEN: the step's records).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GUEST_CONFIG } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { resolveInside } from "../lib/runtime/fs/path-guard";
import { readGuestBundle } from "../lib/runtime/guest/manifest";
import { pushGuestConfig } from "../lib/runtime/guest/push";
import { runStep } from "../lib/runtime/steps/records";

runMain("guest-config", async () => {
  const input = GUEST_CONFIG.parse(process.env);
  const root = process.cwd();
  const vmName = input.VM_NAME;
  const label = `guest-config ${vmName}`;
  const manifest = resolveInside(root, input.GUEST_MANIFEST, { label: "GUEST_MANIFEST" });
  const vmx =
    input.VMX_PATH !== undefined ? resolveInside(root, input.VMX_PATH, { label: "VMX_PATH" }) : undefined;
  const stepDir =
    input.STEP_DIR !== undefined ? resolveInside(root, input.STEP_DIR, { label: "STEP_DIR" }) : undefined;
  const bundle = readGuestBundle(manifest, vmName);
  const identityFile = input.SSH_IDENTITY_FILE;
  const summary = await runStep(stepDir, "config", input.STEP_TOKEN ?? "", async () => ({
    result: await pushGuestConfig({
      vmName,
      target: {
        host: input.SSH_HOST ?? "",
        user: input.SSH_USER,
        port: input.SSH_PORT,
        ...(identityFile !== undefined ? { identityFile } : {}),
        hostKeys: {
          alias: vmName,
          ...pinFiles(root, input),
          ...(input.SSH_PINS_EPOCH !== undefined ? { epoch: input.SSH_PINS_EPOCH } : {}),
        },
      },
      bundle,
      waitMs: input.GUEST_WAIT_SECONDS * 1000,
      ...(vmx !== undefined ? { vmBuilt: fs.existsSync(vmx) } : {}),
      log: (message) => log(label, message),
    }),
  }));
  log(label, [`changed: ${summary.changed.join(", ") || "nothing"}`, ...summary.units].join("; "));
});

/**
 * Where the VM's host keys are pinned and printed; a stack synthesized before the pins passes neither,
 * and then they are kept beside the VM's generated files (its manifest's folder's parent), from first use.
 */
function pinFiles(root: string, input: ReturnType<typeof GUEST_CONFIG.parse>) {
  const generated = path.dirname(path.dirname(input.GUEST_MANIFEST));
  const knownHosts = input.SSH_KNOWN_HOSTS ?? path.join(generated, "known_hosts");
  const consoleLog = input.SSH_CONSOLE_LOG ?? path.join(generated, "no-console");
  return {
    knownHostsFile: resolveInside(root, knownHosts, { label: "SSH_KNOWN_HOSTS" }),
    consoleLog: resolveInside(root, consoleLog, { label: "SSH_CONSOLE_LOG" }),
  };
}

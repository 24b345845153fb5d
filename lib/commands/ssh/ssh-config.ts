import * as path from "node:path";
import type { ClusterModel } from "../../model/config/model";
import { isSshSafePath, SSH_UNSAFE_PATH, type SshTarget } from "../../runtime/ssh/ssh";
import { vmSshTarget } from "../../runtime/ssh/vm-target";
import { allVms, type KnownAddress } from "../common/vm-addresses";

/** Where the generated ssh_config goes, relative to the project. */
export const SSH_CONFIG_FILE = ".ssh/ssh_config";

/** A path in ssh_config, double-quoted (paths may hold spaces), or an error when ssh would misread it. */
function quoted(value: string): string {
  if (!isSshSafePath(value))
    throw new Error(
      `cannot write ${JSON.stringify(value)} into ssh_config: it ${SSH_UNSAFE_PATH}: move the project (or the key) to a folder whose path has none of them`,
    );
  return `"${value}"`;
}

/** The key as ssh_config names it: `~/` kept (ssh expands it), a project-relative path made absolute. */
function identityOf(target: SshTarget, projectRoot: string): string | undefined {
  const file = target.identityFile;
  if (file === undefined) return undefined;
  return file === "~" || file.startsWith("~/") ? file : path.resolve(projectRoot, file);
}

/** One `Host` block: the address, the user, the key's path, and the VM's pinned host keys. */
function hostBlock(target: SshTarget, projectRoot: string): string[] {
  const identity = identityOf(target, projectRoot);
  return [
    `Host ${target.hostKeys.alias}`,
    `  HostName ${target.host}`,
    `  User ${target.user}`,
    ...(identity !== undefined ? [`  IdentityFile ${quoted(identity)}`, "  IdentitiesOnly yes"] : []),
    `  HostKeyAlias ${target.hostKeys.alias}`,
    `  UserKnownHostsFile ${quoted(target.hostKeys.knownHostsFile)}`,
    "  GlobalKnownHostsFile /dev/null",
    // A pinned key is held; with none yet (no key on the console) the first one is recorded.
    "  StrictHostKeyChecking accept-new",
    "  HashKnownHosts no",
    "  CheckHostIP no",
  ];
}

/**
 * The ssh_config of the lab: a `Host` per VM with a known address, so `ssh k8s-master1` works once
 * it is included from ~/.ssh/config. It holds no secret: the key is named by its path only.
 */
export function renderSshConfig(
  projectRoot: string,
  model: ClusterModel,
  addresses: ReadonlyMap<string, KnownAddress>,
): string {
  const file = path.join(projectRoot, SSH_CONFIG_FILE);
  const lines = [
    `# Written by npm run ssh for the lab in ${projectRoot}; every npm run ssh rewrites it.`,
    `# Use it from ~/.ssh/config with this line at the top (before any Host line): Include ${quoted(file)}`,
    "# No secret here: the key is named by its path; each VM's host keys are pinned in the file its Host names.",
  ];
  for (const vm of allVms(model)) {
    const known = addresses.get(vm.name);
    lines.push("");
    if (known === undefined)
      lines.push(
        `# ${vm.name}: no address known yet (deploy it, or start it and run npm run ssh -- --config)`,
      );
    else lines.push(...hostBlock(vmSshTarget(projectRoot, model, vm, known.address), projectRoot));
  }
  return `${lines.join("\n")}\n`;
}

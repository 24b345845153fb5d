/**
 * `npm run ssh -- <vm> [command]`: a shell (or one command) on a VM by its name, with the address the
 * project knows and the VM's pinned host keys; `--config` writes the ssh_config that makes plain
 * `ssh <vm>` work; `--forget <vm>` drops keys recorded at first use, after a rebuild.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterModel, VmSpec } from "../../model/config/model";
import { writeFileAtomic } from "../../runtime/fs/atomic";
import { forgetPins, refreshPins } from "../../runtime/ssh/host-keys";
import { hostKeyRefusalMessage, isHostKeyRefusal, sshSession } from "../../runtime/ssh/ssh";
import { vmHostKeys, vmSshTarget } from "../../runtime/ssh/vm-target";
import { loadClusterConfig } from "../../runtime/load/cluster-config";
import { NOT_BUILT } from "../../runtime/vm/not-built";
import { allVms, knownAddresses, vmNamed } from "../common/vm-addresses";
import { renderSshConfig, SSH_CONFIG_FILE } from "./ssh-config";

type Say = (text: string) => void;

/** Writes .ssh/ssh_config for the addresses known now; returns its absolute path. */
async function writeSshConfig(projectRoot: string, model: ClusterModel): Promise<string> {
  const file = path.join(projectRoot, SSH_CONFIG_FILE);
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, renderSshConfig(projectRoot, model, knownAddresses(projectRoot, model)));
  return file;
}

/**
 * The VM's target: built, with a known address, or an error that says what to do. "Built" is read from
 * the .vmx on Fusion; a vSphere VM has nothing here (asking vCenter would need govc and the credentials),
 * so ssh's own error says when it is not there.
 */
function targetOf(projectRoot: string, model: ClusterModel, vm: VmSpec) {
  if (model.target === "fusion" && !fs.existsSync(path.resolve(projectRoot, vm.vmxPath)))
    throw new Error(`${vm.name} is ${NOT_BUILT} (there is no ${vm.vmxPath})`);
  const known = knownAddresses(projectRoot, model).get(vm.name);
  if (known === undefined)
    throw new Error(
      `${vm.name} has no known address (none in ${model.paths.inventoryFile}, none reported yet): start it (npm run manager -- start-all), wait until npm run manager -- status shows its IP, then retry`,
    );
  return vmSshTarget(projectRoot, model, vm, known.address);
}

/** A session on `vmName`; returns ssh's exit code (the remote command's, or 255 for ssh's own failure). */
export async function sshToVm(
  projectRoot: string,
  vmName: string,
  command: readonly string[],
  say: Say,
): Promise<number> {
  const { model } = loadClusterConfig({ projectRoot });
  const target = targetOf(projectRoot, model, vmNamed(model, vmName));
  await writeSshConfig(projectRoot, model);
  const result = await sshSession(target, command);
  if (isHostKeyRefusal(result)) say(`ssh: ${hostKeyRefusalMessage(target, result.pinSource)}\n`);
  return result.code;
}

/** `--config`: the ssh_config, and every VM's pins brought up to date with its console. */
export async function writeConfigCommand(projectRoot: string, say: Say): Promise<void> {
  const { model } = loadClusterConfig({ projectRoot });
  const addresses = knownAddresses(projectRoot, model);
  const pinned: string[] = [];
  for (const vm of allVms(model)) {
    if (!addresses.has(vm.name)) continue;
    if ((await refreshPins(vmHostKeys(projectRoot, vm, model.target))) === "console") pinned.push(vm.name);
  }
  const file = await writeSshConfig(projectRoot, model);
  const missing = allVms(model).filter((vm) => !addresses.has(vm.name));
  say(
    [
      `ssh: wrote ${path.relative(projectRoot, file)}: a Host for ${addresses.size} VM${addresses.size === 1 ? "" : "s"}${missing.length > 0 ? ` (no address yet: ${missing.map((v) => v.name).join(", ")})` : ""}`,
      `ssh: host keys pinned from the console: ${pinned.join(", ") || "none yet"}; the others are recorded when first reached`,
      `ssh: to use it, put this line at the top of ~/.ssh/config: Include "${file}"`,
      "",
    ].join("\n"),
  );
}

/** `--forget <vm>`: the keys recorded at first use are dropped; console pins cannot be (they are the guest's). */
export async function forgetCommand(projectRoot: string, vmName: string, say: Say): Promise<void> {
  const { model } = loadClusterConfig({ projectRoot });
  const vm = vmNamed(model, vmName);
  const pins = vmHostKeys(projectRoot, vm, model.target);
  if ((await refreshPins(pins)) === "console") {
    say(
      `ssh: ${vm.name}'s host keys come from its console (${path.relative(projectRoot, pins.consoleLog)}): nothing to forget. If they changed, its first boot with a new seed prints the new ones at its end: wait for it and retry\n`,
    );
    return;
  }
  say(
    (await forgetPins(pins))
      ? `ssh: forgot the host key recorded for ${vm.name} (${path.relative(projectRoot, pins.knownHostsFile)}); the next connection records the key it is shown\n`
      : `ssh: no host key was recorded for ${vm.name}\n`,
  );
}

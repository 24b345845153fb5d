import * as path from "node:path";
import type { ClusterModel, Target, VmSpec } from "../../model/config/model";
import { consoleLogFile, knownHostsFile } from "../../model/config/vm-files";
import type { HostKeyPins } from "./host-keys";
import type { SshTarget } from "./ssh";

/** Where `vm`'s host keys are pinned and printed (absolute). */
export function vmHostKeys(
  projectRoot: string,
  vm: Pick<VmSpec, "name" | "vmDir" | "generatedDir">,
  target: Target = "fusion",
): HostKeyPins {
  return {
    alias: vm.name,
    knownHostsFile: path.resolve(projectRoot, knownHostsFile(vm, target)),
    consoleLog: path.resolve(projectRoot, consoleLogFile(vm)),
  };
}

/** How the product reaches `vm` at `host`: the config's user and key, the VM's pinned host keys. */
export function vmSshTarget(
  projectRoot: string,
  model: Pick<ClusterModel, "ssh"> & Partial<Pick<ClusterModel, "target">>,
  vm: Pick<VmSpec, "name" | "vmDir" | "generatedDir">,
  host: string,
): SshTarget {
  return {
    host,
    user: model.ssh.user,
    ...(model.ssh.identityFile !== undefined ? { identityFile: model.ssh.identityFile } : {}),
    hostKeys: vmHostKeys(projectRoot, vm, model.target),
  };
}

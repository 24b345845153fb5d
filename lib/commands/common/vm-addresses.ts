import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterModel, VmSpec } from "../../model/config/model";
import { inventoryVariableName, lastIpFile } from "../../model/config/vm-files";
import { parseInventory } from "../../model/inventory/env-file";
import { isIPv4 } from "../../model/net/ipv4";
import { readLastIp } from "../../runtime/vm/last-ip";

/** A VM's vmnet address as the project knows it, and where that came from (for messages). */
export interface KnownAddress {
  readonly address: string;
  readonly source: string;
}

/** Every VM of the model: the cluster VMs, then the APT cache. */
export function allVms(model: ClusterModel): readonly VmSpec[] {
  return [...model.vms, model.aptCache.vm];
}

/** The VM named `name`, or an error that lists the VMs there are. */
export function vmNamed(model: ClusterModel, name: string): VmSpec {
  const vm = allVms(model).find((v) => v.name === name);
  if (vm === undefined)
    throw new Error(
      `no VM named ${JSON.stringify(name)} in the config; the VMs are: ${allVms(model)
        .map((v) => v.name)
        .join(", ")}`,
    );
  return vm;
}

/**
 * Each VM's vmnet address without asking vmrun: the configured one (static addressing, the APT
 * cache), else its line in the inventory (vm-ips.env, written by the deploy and by a rollback), else
 * the address it last reported (generated/<vm>/last-ip, kept by the IP lookup). Unknown VMs are absent.
 */
export function knownAddresses(projectRoot: string, model: ClusterModel): Map<string, KnownAddress> {
  const inventoryFile = path.resolve(projectRoot, model.paths.inventoryFile);
  const inventory = fs.existsSync(inventoryFile)
    ? parseInventory(fs.readFileSync(inventoryFile, "utf8"))
    : new Map<string, string>();
  const known = new Map<string, KnownAddress>();
  for (const vm of allVms(model)) {
    const configured =
      vm.role === "apt-cache" ? model.aptCache.address : vm.nics.find((n) => n.network === "nat")?.address;
    const listed = inventory.get(inventoryVariableName(vm.name));
    const last = readLastIp(path.resolve(projectRoot, lastIpFile(vm)));
    if (configured !== undefined) known.set(vm.name, { address: configured, source: "cluster.yaml" });
    else if (listed !== undefined && isIPv4(listed))
      known.set(vm.name, { address: listed, source: model.paths.inventoryFile });
    else if (last !== undefined) known.set(vm.name, { address: last, source: lastIpFile(vm) });
  }
  return known;
}

/**
 * The one place where checks are registered. A check for one role (the gateways' keepalived, nginx,
 * VIPs) is added here with `roles: ["gateway"]`; the runner collects the facts every applicable check
 * names and runs the acting checks after them, on every guest of that role. Checks over several guests
 * (the API load balancer, VIP failover) run last, once every guest's own checks are done.
 */
import type { Role } from "../../lib/model/config/model";
import { aptWithoutCacheCheck } from "./apt-check";
import {
  addressesCheck,
  aptProxyConfCheck,
  authorizedKeyCheck,
  cloudInitCheck,
  dnsCheck,
  firmwareCheck,
  gptGrownCheck,
  hostnameCheck,
  nicNamesCheck,
  rootfsGrownCheck,
  seedUsedCheck,
  userCheck,
} from "./base-checks";
import { installedFilesCheck } from "./guest-files-check";
import {
  gatewayUnitsCheck,
  hostsBlockCheck,
  nginxListenCheck,
  nonlocalBindCheck,
  vipHolderCheck,
} from "./role-checks";
import { ActiveCheck, appliesTo, ClusterCheck, FactCheck } from "./types";
import { sshByNameCheck } from "./ssh-by-name";
import { loadBalancerFailoverCheck } from "./vip-failover";

export const FACT_CHECKS: readonly FactCheck[] = [
  firmwareCheck,
  hostnameCheck,
  userCheck,
  authorizedKeyCheck,
  nicNamesCheck,
  addressesCheck,
  aptProxyConfCheck,
  dnsCheck,
  cloudInitCheck,
  seedUsedCheck,
  rootfsGrownCheck,
  gptGrownCheck,
  hostsBlockCheck,
  gatewayUnitsCheck,
  nginxListenCheck,
  nonlocalBindCheck,
  vipHolderCheck,
];

/** Run after the fact checks, in this order (they change the guest). */
const ACTIVE_CHECKS: readonly ActiveCheck[] = [installedFilesCheck, aptWithoutCacheCheck];

/** Run after every guest's own checks, while all guests still run. */
export const CLUSTER_CHECKS: readonly ClusterCheck[] = [loadBalancerFailoverCheck, sshByNameCheck];

export interface CheckSelection {
  /** False when guest-config never ran (a negative run): its checks are left out. */
  readonly guestConfigApplied: boolean;
}

export function checksFor(
  role: Role,
  selection: CheckSelection = { guestConfigApplied: true },
): { facts: FactCheck[]; active: ActiveCheck[] } {
  const wanted = (c: { needsGuestConfig?: boolean }) => selection.guestConfigApplied || !c.needsGuestConfig;
  return {
    facts: FACT_CHECKS.filter((c) => appliesTo(c, role) && wanted(c)),
    active: ACTIVE_CHECKS.filter((c) => appliesTo(c, role) && wanted(c)),
  };
}

import type { ClusterModel, VmSpec } from "../config/model";
import type { SeedVariables } from "./cloud-init";
import type { GatewayVariables } from "./gateway";

/**
 * The Terraform variables the rendered files carry (as the stacks declare them) and their defaults,
 * which come from the config: what a deploy renders when no variable is set (no --var, no TF_VAR_*,
 * no terraform.tfvars).
 */

/** The seed's variables as the constructs pass them. */
export const SEED_VARIABLES: SeedVariables = {
  aptProxyUrl: { expression: "var.apt_proxy_url" },
  dnsServers: { expression: "var.dns_servers" },
  dnsSearchDomains: { expression: "var.dns_search_domains" },
};

/** The gateways' variables as the cluster stack passes them. */
export const GATEWAY_VARIABLES: GatewayVariables = {
  externalVip: { expression: "var.external_vip" },
  internalVip: { expression: "var.internal_vip" },
  externalRouterId: { expression: "var.vrrp_router_id_external" },
  internalRouterId: { expression: "var.vrrp_router_id_internal" },
  authPass: { expression: "var.vrrp_auth_pass" },
};

/** Each variable's default, by name (for resolveTerraformText). */
export function variableDefaults(model: ClusterModel): Record<string, string | readonly string[]> {
  const net = model.network;
  return {
    apt_proxy_url: model.aptCache.proxyUrl,
    dns_servers: net.dnsServers,
    dns_search_domains: net.dnsSearchDomains,
    external_vip: net.externalVip,
    internal_vip: net.internalVip,
    vrrp_router_id_external: String(net.vrrp.externalRouterId),
    vrrp_router_id_internal: String(net.vrrp.internalRouterId),
    vrrp_auth_pass: net.vrrp.authPass,
  };
}

/** The seed variables of `vm` as its stack passes them: the APT cache is not its own proxy. */
export function seedVariablesOf(vm: Pick<VmSpec, "role">): SeedVariables {
  return vm.role === "apt-cache" ? { ...SEED_VARIABLES, aptProxyUrl: { literal: "" } } : SEED_VARIABLES;
}

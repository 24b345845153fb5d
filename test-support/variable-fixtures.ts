/**
 * The stacks' Terraform variables as the constructs hand them to the renderers (references such as
 * `var.apt_proxy_url`), and the values those variables take by default for a model, for tests that render
 * text and evaluate it with the interpreter (terraform-apply/template.ts renderTemplate). (Not a test file.)
 */
import type { ClusterModel } from "../lib/model/config/model";
import type { SeedVariables } from "../lib/model/render/cloud-init";
import type { GatewayVariables } from "../lib/model/render/gateway";
import { GATEWAY_VARIABLES, SEED_VARIABLES } from "../lib/model/render/variable-defaults";

/** Seed variables as the constructs pass them: Terraform variable references. */
export const SEED_VARIABLE_EXPRESSIONS: SeedVariables = SEED_VARIABLES;

/** The default values of those variables, taken from the model (renderTemplate's `var`). */
export function defaultVariableValues(model: ClusterModel): Record<string, string | readonly string[]> {
  return {
    apt_proxy_url: model.aptCache.proxyUrl,
    dns_servers: model.network.dnsServers,
    dns_search_domains: model.network.dnsSearchDomains,
  };
}

/** The same values as literals (what a renderer gets when nothing is deferred to apply time). */
export function literalSeedVariables(model: ClusterModel): SeedVariables {
  return {
    aptProxyUrl: { literal: model.aptCache.proxyUrl },
    dnsServers: { literal: model.network.dnsServers },
    dnsSearchDomains: { literal: model.network.dnsSearchDomains },
  };
}

/** Gateway variables as the stack passes them: Terraform variable references. */
export const GATEWAY_VARIABLE_EXPRESSIONS: GatewayVariables = GATEWAY_VARIABLES;

/** The default values of the gateway variables (renderTemplate's `var`). */
export function gatewayVariableValues(model: ClusterModel): Record<string, string | number> {
  return {
    external_vip: model.network.externalVip,
    internal_vip: model.network.internalVip,
    vrrp_router_id_external: model.network.vrrp.externalRouterId,
    vrrp_router_id_internal: model.network.vrrp.internalRouterId,
    vrrp_auth_pass: model.network.vrrp.authPass,
  };
}

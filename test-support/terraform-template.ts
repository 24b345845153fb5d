import type { ClusterModel } from "../lib/model/config/model";
import type { SeedVariables } from "../lib/model/render/cloud-init";
import { GATEWAY_VARIABLES, SEED_VARIABLES, variableDefaults } from "../lib/model/render/variable-defaults";

// What Terraform does to the renderers' text: the product's own (npm run render uses it too).
export { resolveTerraformText } from "../lib/model/render/terraform-text";

/** Seed variables as the constructs pass them: Terraform variable references. */
export const SEED_VARIABLE_EXPRESSIONS = SEED_VARIABLES;

/** The default values of the seed variables, taken from the model (for resolveTerraformText). */
export function defaultVariableValues(model: ClusterModel): Record<string, string | readonly string[]> {
  const all = variableDefaults(model);
  return {
    apt_proxy_url: all.apt_proxy_url,
    dns_servers: all.dns_servers,
    dns_search_domains: all.dns_search_domains,
  };
}

/** The same values as literals (what a renderer gets when nothing is deferred to apply time). */
export function literalSeedVariables(model: ClusterModel): SeedVariables {
  const all = defaultVariableValues(model);
  return {
    aptProxyUrl: { literal: all.apt_proxy_url as string },
    dnsServers: { literal: all.dns_servers as readonly string[] },
    dnsSearchDomains: { literal: all.dns_search_domains as readonly string[] },
  };
}

/** Gateway variables as the stack passes them: Terraform variable references. */
export const GATEWAY_VARIABLE_EXPRESSIONS = GATEWAY_VARIABLES;

/** The default values of the gateway variables (for resolveTerraformText). */
export function gatewayVariableValues(model: ClusterModel): Record<string, string> {
  const all = variableDefaults(model);
  return {
    external_vip: all.external_vip as string,
    internal_vip: all.internal_vip as string,
    vrrp_router_id_external: all.vrrp_router_id_external as string,
    vrrp_router_id_internal: all.vrrp_router_id_internal as string,
    vrrp_auth_pass: all.vrrp_auth_pass as string,
  };
}

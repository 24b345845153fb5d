import type { ClusterModel } from "../lib/model/config/model";
import type { SeedVariables } from "../lib/model/render/cloud-init";
import type { GatewayVariables } from "../lib/model/render/gateway";

/**
 * What Terraform does to rendered template text, for the subset renderers emit: `$${` -> `${`,
 * `%%{` -> `%{`, `${var.x}` -> the string value, `${jsonencode(var.x)}` -> JSON of the value.
 * `values` is keyed by variable name (`apt_proxy_url`) or by a whole expression (`random_id.x.hex`).
 * Anything else (an unknown variable, a directive, an unterminated `${`) throws, so tests notice.
 */
export function resolveTerraformText(
  text: string,
  values: Readonly<Record<string, string | readonly string[]>>,
): string {
  const lookup = (expr: string): string | readonly string[] => {
    if (Object.prototype.hasOwnProperty.call(values, expr)) return values[expr];
    const name = /^var\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(expr)?.[1];
    if (name !== undefined && Object.prototype.hasOwnProperty.call(values, name)) return values[name];
    throw new Error(`resolveTerraformText: no value for expression ${JSON.stringify(expr)}`);
  };
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i) || text.startsWith("%%{", i)) {
      out += text[i] + "{";
      i += 3;
    } else if (text.startsWith("${", i)) {
      const end = text.indexOf("}", i + 2);
      if (end < 0) throw new Error(`resolveTerraformText: unterminated \${ at offset ${i}`);
      const expr = text.slice(i + 2, end).trim();
      const json = /^jsonencode\((.+)\)$/.exec(expr);
      if (json) {
        out += JSON.stringify(lookup(json[1].trim()));
      } else {
        const value = lookup(expr);
        if (typeof value !== "string")
          throw new Error(`resolveTerraformText: ${expr} is a list; interpolate it with jsonencode()`);
        out += value;
      }
      i = end + 1;
    } else if (text.startsWith("%{", i)) {
      throw new Error(`resolveTerraformText: template directive at offset ${i} is not supported`);
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/** Seed variables as the constructs pass them: Terraform variable references. */
export const SEED_VARIABLE_EXPRESSIONS: SeedVariables = {
  aptProxyUrl: { expression: "var.apt_proxy_url" },
  dnsServers: { expression: "var.dns_servers" },
  dnsSearchDomains: { expression: "var.dns_search_domains" },
};

/** The default values of those variables, taken from the model (for resolveTerraformText). */
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
export const GATEWAY_VARIABLE_EXPRESSIONS: GatewayVariables = {
  externalVip: { expression: "var.external_vip" },
  internalVip: { expression: "var.internal_vip" },
  externalRouterId: { expression: "var.vrrp_router_id_external" },
  internalRouterId: { expression: "var.vrrp_router_id_internal" },
  authPass: { expression: "var.vrrp_auth_pass" },
};

/** The default values of the gateway variables (for resolveTerraformText). */
export function gatewayVariableValues(model: ClusterModel): Record<string, string> {
  return {
    external_vip: model.network.externalVip,
    internal_vip: model.network.internalVip,
    vrrp_router_id_external: String(model.network.vrrp.externalRouterId),
    vrrp_router_id_internal: String(model.network.vrrp.internalRouterId),
    vrrp_auth_pass: model.network.vrrp.authPass,
  };
}

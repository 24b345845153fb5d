import { Construct } from "constructs";
import { TerraformVariable } from "cdktf";
import type { ClusterModel } from "../lib/model/config/model";
import { hclMatches, RULES } from "../lib/model/rules";

export interface ClusterVariablesProps {
  /** Defaults of the VIPs and keepalived's settings. */
  readonly network: ClusterModel["network"];
  /** Default of apt_proxy_url. */
  readonly aptProxyUrl: string;
}

/**
 * The cluster stack's Terraform variables: the two VIPs, the APT proxy URL and keepalived's router ids
 * and password, each with its default from the config and a validation Terraform checks before anything
 * runs (the rules are lib/model/rules.ts, which the config schema states too). Their names are what users
 * set with -var and TF_VAR_, so each keeps its top-level name (overrideLogicalId), whatever this
 * construct's place in the tree.
 */
export class ClusterVariables extends Construct {
  public readonly externalVip: TerraformVariable;
  public readonly internalVip: TerraformVariable;
  public readonly aptProxyUrl: TerraformVariable;
  public readonly externalRouterId: TerraformVariable;
  public readonly internalRouterId: TerraformVariable;
  public readonly authPass: TerraformVariable;

  constructor(scope: Construct, id: string, props: ClusterVariablesProps) {
    super(scope, id);
    const net = props.network;
    this.externalVip = this.ipv4(
      "external_vip",
      net.externalVip,
      "Virtual IP on the LAN held by the gateways (keepalived)",
    );
    this.internalVip = this.ipv4(
      "internal_vip",
      net.internalVip,
      "Virtual IP on the vmnet for the Kubernetes API",
    );
    this.aptProxyUrl = this.variable("apt_proxy_url", {
      type: "string",
      default: props.aptProxyUrl,
      description: "HTTP proxy apt uses (the APT cache); empty for none",
      validation: [
        {
          condition:
            '${var.apt_proxy_url == "" || can(regex("^http://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.apt_proxy_url))}',
          errorMessage: "apt_proxy_url must look like http://10.10.0.148:3142 (or be empty).",
        },
      ],
    });
    this.externalRouterId = this.routerId("vrrp_router_id_external", net.vrrp.externalRouterId, "external");
    this.internalRouterId = this.routerId("vrrp_router_id_internal", net.vrrp.internalRouterId, "internal");
    this.authPass = this.variable("vrrp_auth_pass", {
      type: "string",
      default: net.vrrp.authPass,
      description: "keepalived PASS authentication between the gateways (1-8 characters)",
      validation: [
        {
          condition: `\${${hclMatches(RULES.vrrpAuthPass, "var.vrrp_auth_pass")}}`,
          errorMessage: "vrrp_auth_pass must be 1-8 letters, digits, '.', '_' or '-'.",
        },
      ],
    });
  }

  private variable(
    name: string,
    config: ConstructorParameters<typeof TerraformVariable>[2],
  ): TerraformVariable {
    const variable = new TerraformVariable(this, name, config);
    variable.overrideLogicalId(name);
    return variable;
  }

  /** A string variable holding an IPv4 address. */
  private ipv4(name: string, defaultValue: string, description: string): TerraformVariable {
    return this.variable(name, {
      type: "string",
      default: defaultValue,
      description,
      validation: [
        {
          condition: `\${${hclMatches(RULES.ipv4, `var.${name}`)}}`,
          errorMessage: `${name} must be an IPv4 address like ${defaultValue}.`,
        },
      ],
    });
  }

  /** The VRRP router id of the keepalived instance holding one VIP. */
  private routerId(name: string, value: number, which: string): TerraformVariable {
    const { min, max } = RULES.vrrpRouterId;
    return this.variable(name, {
      type: "number",
      default: value,
      description: `VRRP router id (${min}-${max}) of the keepalived instance holding the ${which} VIP`,
      validation: [
        {
          condition: `\${var.${name} >= ${min} && var.${name} <= ${max} && floor(var.${name}) == var.${name}}`,
          errorMessage: `${name} must be a whole number from ${min} to ${max}.`,
        },
      ],
    });
  }
}

import { Construct } from "constructs";
import { LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import { ExternalProvider } from "@cdktf/provider-external/lib/provider";
import { LocalProvider } from "@cdktf/provider-local/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { ClusterModel, VmSpec } from "../lib/model/config/model";
import type { TextValue } from "../lib/model/render/terraform-text";
import { fusionMachines } from "../constructs/fusion-machines";
import type { MachineSet } from "../constructs/machine-set";
import type { StepName } from "../lib/model/entry/contracts";
import { vsphereMachines } from "../constructs/vsphere/vsphere-machines";
import { VsphereProvider, VsphereProviderConfig } from "@cdktf/provider-vsphere/lib/provider";
import { hclMatches, RULES } from "../lib/model/rules";
import { SeedTemplates } from "../lib/model/render/templates";
import { ProjectLayout } from "../constructs/project-layout";

export interface LabStackProps {
  readonly model: ClusterModel;
  readonly templates: SeedTemplates;
  /** @default new ProjectLayout() */
  readonly layout?: ProjectLayout;
}

/**
 * What both stacks share: the three providers, a local backend whose state file sits in the
 * project root (`terraform.<stack>.tfstate`, relative, so no machine path is stored), and the DNS
 * variables. Each stack has its own state, so destroying the cluster leaves the APT cache alone.
 */
export abstract class LabStack extends TerraformStack {
  public readonly layout: ProjectLayout;
  /** The templates every VM's files are rendered from (main.ts reads templates/ once). */
  public readonly templates: SeedTemplates;
  public readonly dnsServers: TerraformVariable;
  public readonly dnsSearchDomains: TerraformVariable;

  protected constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id);
    this.layout = props.layout ?? new ProjectLayout();
    this.templates = props.templates;
    new LocalBackend(this, { path: this.layout.fromStackDir(`terraform.${id}.tfstate`) });
    this.addProviders(props.model);

    const net = props.model.network;
    const servers = RULES.dnsServers;
    const domains = RULES.dnsSearchDomains;
    this.dnsServers = new TerraformVariable(this, "dns_servers", {
      type: "list(string)",
      default: [...net.dnsServers],
      description: "DNS servers every VM uses (1-3 IPv4 addresses)",
      validation: [
        {
          condition: `\${length(var.dns_servers) >= ${servers.minItems} && length(var.dns_servers) <= ${servers.maxItems} && alltrue([for s in var.dns_servers : ${hclMatches(RULES.ipv4, "s")}])}`,
          errorMessage: `dns_servers must hold ${servers.minItems} to ${servers.maxItems} IPv4 addresses, e.g. ["10.10.0.2"].`,
        },
      ],
    });
    this.dnsSearchDomains = new TerraformVariable(this, "dns_search_domains", {
      type: "list(string)",
      default: [...net.dnsSearchDomains],
      description: "DNS search domains every VM uses",
      validation: [
        {
          condition: `\${length(var.dns_search_domains) <= ${domains.maxItems} && alltrue([for d in var.dns_search_domains : ${hclMatches(RULES.dnsName, "d")}])}`,
          errorMessage: `dns_search_domains must be at most ${domains.maxItems} lower-case DNS names, e.g. ["lab.local"].`,
        },
      ],
    });
  }

  /**
   * null and local on every target (role files over SSH, the inventory); external for Fusion's IP lookup;
   * vsphere on vSphere, with the server and TLS choice from the config and the credentials only from the
   * environment (VSPHERE_USER, VSPHERE_PASSWORD), so none lands in the synthesized JSON.
   */
  private addProviders(model: ClusterModel): void {
    new NullProvider(this, "null");
    new LocalProvider(this, "local");
    if (model.target === "fusion") {
      new ExternalProvider(this, "external");
      return;
    }
    const site = model.vsphere;
    if (site === undefined)
      throw new Error("target vsphere without a vsphere block: build the model with buildClusterModel");
    // The binding types user and password as required; the provider reads them from the environment when absent.
    const config: Omit<VsphereProviderConfig, "user" | "password"> = {
      vsphereServer: site.server,
      allowUnverifiedSsl: site.allowUnverifiedSsl,
    };
    new VsphereProvider(this, "vsphere", config as VsphereProviderConfig);
  }

  /**
   * The stack's VMs on the config's target: everything below this line speaks the hypervisor, everything
   * that calls it (role files, inventory, outputs) does not.
   */
  protected machinesFor(
    vms: readonly VmSpec[],
    props: LabStackProps,
    opts: {
      readonly aptProxyUrl: TextValue;
      readonly ipExclude?: readonly string[];
      /** The steps checked at every plan on Fusion (disk, seed, power, and config where role files are installed). */
      readonly steps: readonly StepName[];
    },
  ): MachineSet {
    const variables = {
      aptProxyUrl: opts.aptProxyUrl,
      dnsServers: LabStack.expressionOf(this.dnsServers),
      dnsSearchDomains: LabStack.expressionOf(this.dnsSearchDomains),
    };
    const target = { model: props.model, vms, templates: props.templates, variables };
    if (props.model.target === "vsphere") return vsphereMachines(this, target);
    return fusionMachines(this, {
      ...target,
      steps: opts.steps,
      ...(opts.ipExclude !== undefined ? { ipExclude: opts.ipExclude } : {}),
    });
  }

  /** The raw HCL expression (`var.<name>`) for a variable, for text rendered with Terraform references. */
  protected static expressionOf(variable: TerraformVariable): { readonly expression: string } {
    return { expression: `var.${variable.friendlyUniqueId}` };
  }
}

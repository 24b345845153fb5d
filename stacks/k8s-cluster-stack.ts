import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { BaseImage } from "../constructs/base-image";
import { Inventory } from "../constructs/inventory";
import { VirtualMachine } from "../constructs/virtual-machine";
import { inventoryVariable } from "../lib/config/build-model";
import { LabStack, LabStackProps } from "./stack-base";

/** The cluster VMs (gateways, masters, workers) and the inventory of their addresses. */
export class K8sClusterStack extends LabStack {
  public readonly machines: readonly VirtualMachine[];
  public readonly inventory: Inventory;

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { model, templates } = props;
    const net = model.network;
    const externalVip = this.ipv4Variable("external_vip", net.externalVip, "Virtual IP on the LAN held by the gateways (keepalived)");
    const internalVip = this.ipv4Variable("internal_vip", net.internalVip, "Virtual IP on the vmnet for the Kubernetes API");
    const aptProxyUrl = new TerraformVariable(this, "apt_proxy_url", {
      type: "string",
      default: model.aptCache.proxyUrl,
      description: "HTTP proxy apt uses (the APT cache); empty for none",
      validation: [
        {
          condition: '${var.apt_proxy_url == "" || can(regex("^http://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.apt_proxy_url))}',
          errorMessage: "apt_proxy_url must look like http://10.10.0.148:3142 (or be empty).",
        },
      ],
    });

    const baseImage = new BaseImage(this, "base-image", { image: model.baseImage, layout: this.layout, downloadTimeoutSeconds: model.timeouts.downloadSeconds });
    this.machines = model.vms.map(
      (vm) =>
        new VirtualMachine(this, vm.name, {
          vm,
          model,
          baseImage,
          templates,
          variables: {
            aptProxyUrl: LabStack.expressionOf(aptProxyUrl),
            dnsServers: LabStack.expressionOf(this.dnsServers),
            dnsSearchDomains: LabStack.expressionOf(this.dnsSearchDomains),
          },
          ipExclude: [externalVip.stringValue, internalVip.stringValue],
          layout: this.layout,
        }),
    );
    this.inventory = new Inventory(this, "inventory", {
      machines: this.machines,
      path: model.paths.inventoryFile,
      fixed: { [inventoryVariable(model.aptCache.vm)]: model.aptCache.address },
      layout: this.layout,
    });

    for (const m of this.machines) {
      new TerraformOutput(this, `${m.spec.name.replace(/-/g, "_")}_ip`, { value: m.ipLookup.ip, description: `Address ${m.spec.name} reports` });
    }
    new TerraformOutput(this, "inventory_file", { value: this.inventory.path, description: "Project-relative path of the inventory (NAME_IP=... lines)" });
  }
}

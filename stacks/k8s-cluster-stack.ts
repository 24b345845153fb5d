import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { BaseImage } from "../constructs/base-image";
import { GuestConfig } from "../constructs/guest-config";
import { GuestIpLookup } from "../constructs/guest-ip-lookup";
import { Inventory } from "../constructs/inventory";
import { StepCheck } from "../constructs/step-check";
import { VirtualMachine } from "../constructs/virtual-machine";
import { inventoryVariable } from "../lib/model/config/build-model";
import { hclMatches, RULES } from "../lib/model/rules";
import { guestFilesFor } from "../lib/model/render/guest-files";
import { LabStack, LabStackProps } from "./stack-base";

/** The cluster VMs (gateways, masters, workers) and the inventory of their addresses. */
export class K8sClusterStack extends LabStack {
  public readonly machines: readonly VirtualMachine[];
  public readonly ipLookup: GuestIpLookup;
  public readonly inventory: Inventory;
  public readonly guestConfigs: readonly GuestConfig[];

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { model, templates } = props;
    const net = model.network;
    const externalVip = this.ipv4Variable(
      "external_vip",
      net.externalVip,
      "Virtual IP on the LAN held by the gateways (keepalived)",
    );
    const internalVip = this.ipv4Variable(
      "internal_vip",
      net.internalVip,
      "Virtual IP on the vmnet for the Kubernetes API",
    );
    const aptProxyUrl = new TerraformVariable(this, "apt_proxy_url", {
      type: "string",
      default: model.aptCache.proxyUrl,
      description: "HTTP proxy apt uses (the APT cache); empty for none",
      validation: [
        {
          condition:
            '${var.apt_proxy_url == "" || can(regex("^http://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.apt_proxy_url))}',
          errorMessage: "apt_proxy_url must look like http://10.10.0.148:3142 (or be empty).",
        },
      ],
    });

    const vrrp = net.vrrp;
    const routerId = RULES.vrrpRouterId;
    const routerIdVariable = (id: string, value: number, which: string) =>
      new TerraformVariable(this, id, {
        type: "number",
        default: value,
        description: `VRRP router id (${routerId.min}-${routerId.max}) of the keepalived instance holding the ${which} VIP`,
        validation: [
          {
            condition: `\${var.${id} >= ${routerId.min} && var.${id} <= ${routerId.max} && floor(var.${id}) == var.${id}}`,
            errorMessage: `${id} must be a whole number from ${routerId.min} to ${routerId.max}.`,
          },
        ],
      });
    const externalRouterId = routerIdVariable("vrrp_router_id_external", vrrp.externalRouterId, "external");
    const internalRouterId = routerIdVariable("vrrp_router_id_internal", vrrp.internalRouterId, "internal");
    const authPass = new TerraformVariable(this, "vrrp_auth_pass", {
      type: "string",
      default: vrrp.authPass,
      description: "keepalived PASS authentication between the gateways (1-8 characters)",
      validation: [
        {
          condition: `\${${hclMatches(RULES.vrrpAuthPass, "var.vrrp_auth_pass")}}`,
          errorMessage: "vrrp_auth_pass must be 1-8 letters, digits, '.', '_' or '-'.",
        },
      ],
    });

    const baseImage = new BaseImage(this, "base-image", {
      image: model.baseImage,
      layout: this.layout,
      downloadTimeoutSeconds: model.timeouts.downloadSeconds,
    });
    // The VIPs can sit on a guest's NIC: neither start nor the lookup takes one as a guest's address.
    const vips = [externalVip.stringValue, internalVip.stringValue];
    const stepCheck = new StepCheck(this, "steps", {
      vms: model.vms,
      steps: ["disk", "seed", "power", "config"],
      vmsDir: model.paths.vmsDir,
      layout: this.layout,
    });
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
          ipExclude: vips,
          layout: this.layout,
          stepCheck,
        }),
    );
    this.ipLookup = new GuestIpLookup(this, "ips", {
      machines: this.machines,
      layout: this.layout,
      vmsDir: model.paths.vmsDir,
      exclude: vips,
      timeoutSeconds: model.timeouts.ipLookupSeconds,
    });
    this.inventory = new Inventory(this, "inventory", {
      machines: this.machines,
      lookup: this.ipLookup,
      path: model.paths.inventoryFile,
      fixed: { [inventoryVariable(model.aptCache.vm)]: model.aptCache.address },
      layout: this.layout,
    });

    // Role files that name other VMs' addresses: installed once every address is known.
    const byName = new Map(this.machines.map((m) => [m.spec.name, m] as const));
    const addressOf = (vm: { readonly name: string }) => {
      const machine = byName.get(vm.name);
      if (machine === undefined) throw new Error(`no VM named ${vm.name} in this stack`);
      const configured = machine.spec.nics.find((n) => n.network === "nat")?.address;
      return configured !== undefined
        ? { literal: configured }
        : { expression: this.ipLookup.ipExpressionOf(vm.name) };
    };
    this.guestConfigs = this.machines.map(
      (machine) =>
        new GuestConfig(machine, "config", {
          machine,
          files: guestFilesFor(machine.spec, model, addressOf, {
            externalVip: LabStack.expressionOf(externalVip),
            internalVip: LabStack.expressionOf(internalVip),
            externalRouterId: LabStack.expressionOf(externalRouterId),
            internalRouterId: LabStack.expressionOf(internalRouterId),
            authPass: LabStack.expressionOf(authPass),
          }),
          address: addressOf(machine.spec),
          sshUser: model.ssh.user,
          ...(model.ssh.identityFile !== undefined ? { identityFile: model.ssh.identityFile } : {}),
          layout: this.layout,
          waitSeconds: model.timeouts.guestConfigSeconds,
          step: stepCheck.hook(machine.spec, "config"),
        }),
    );

    for (const m of this.machines) {
      new TerraformOutput(this, `${m.spec.name.replace(/-/g, "_")}_ip`, {
        value: this.ipLookup.ipOf(m.spec.name),
        description: `Address ${m.spec.name} reports`,
      });
    }
    new TerraformOutput(this, "inventory_file", {
      value: this.inventory.path,
      description: "Project-relative path of the inventory (NAME_IP=... lines)",
    });
  }
}

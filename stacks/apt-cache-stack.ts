import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { BaseImage } from "../constructs/base-image";
import { GuestIpLookup } from "../constructs/guest-ip-lookup";
import { StepCheck } from "../constructs/step-check";
import { VirtualMachine } from "../constructs/virtual-machine";
import { LabStack, LabStackProps } from "./stack-base";

/**
 * The long-lived APT cache VM (apt-cacher-ng), in its own stack and state so that tearing the
 * cluster down never touches it or its cache.
 */
export class AptCacheStack extends LabStack {
  public readonly machine: VirtualMachine;
  public readonly ipLookup: GuestIpLookup;

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { model, templates } = props;
    const baseImage = new BaseImage(this, "base-image", {
      image: model.baseImage,
      layout: this.layout,
      downloadTimeoutSeconds: model.timeouts.downloadSeconds,
    });
    const stepCheck = new StepCheck(this, "steps", {
      vms: [model.aptCache.vm],
      steps: ["disk", "seed", "power"],
      vmsDir: model.paths.vmsDir,
      layout: this.layout,
    });
    this.machine = new VirtualMachine(this, model.aptCache.vm.name, {
      vm: model.aptCache.vm,
      model,
      baseImage,
      templates,
      variables: {
        // The cache does not go through itself.
        aptProxyUrl: { literal: "" },
        dnsServers: LabStack.expressionOf(this.dnsServers),
        dnsSearchDomains: LabStack.expressionOf(this.dnsSearchDomains),
      },
      layout: this.layout,
      stepCheck,
    });
    this.ipLookup = new GuestIpLookup(this, "ips", {
      machines: [this.machine],
      layout: this.layout,
      vmsDir: model.paths.vmsDir,
      timeoutSeconds: model.timeouts.ipLookupSeconds,
    });
    new TerraformOutput(this, "apt_cache_ip", {
      value: this.ipLookup.ipOf(this.machine.spec.name),
      description: "Address the APT cache VM reports",
    });
    new TerraformOutput(this, "apt_cache_url", {
      value: model.aptCache.proxyUrl,
      description: "The proxy URL every cluster VM uses",
    });
  }
}

/** The e2e default cluster (two gateways, one master, static addresses) as a model, for the check tests. */
import type { ClusterModel, VmSpec } from "../../lib/model/config/model";
import type { GatewayVariables } from "../../lib/model/render/gateway";
import type { TextValue } from "../../lib/model/render/terraform-text";
import { modelFixture, vmByName, withOverrides } from "../../test-support/model-fixture";

const ADDRESSES: Record<string, string> = {
  gateway1: "10.10.0.10",
  gateway2: "10.10.0.11",
  "k8s-master1": "10.10.0.20",
};

export function e2eModel(): ClusterModel {
  const base = modelFixture();
  const vms: VmSpec[] = Object.entries(ADDRESSES).map(([name, address]) => {
    const vm = vmByName(base, name);
    return { ...vm, nics: vm.nics.map((n) => (n.network === "nat" ? { ...n, address } : n)) };
  });
  return withOverrides(base, {
    addressing: "static",
    vms,
    network: { ...base.network, dnsServers: ["10.10.0.2", "10.10.0.1"], dnsSearchDomains: ["lab.test"] },
  });
}

/** Each VM's configured vmnet address as a literal (what the renderers get in static addressing). */
export const literalAddress = (vm: VmSpec): TextValue => ({
  literal: vm.nics.find((n) => n.network === "nat")?.address ?? "",
});

/** The gateway variables as literals. */
export function literalGatewayVars(model: ClusterModel): GatewayVariables {
  return {
    externalVip: { literal: model.network.externalVip },
    internalVip: { literal: model.network.internalVip },
    externalRouterId: { literal: "51" },
    internalRouterId: { literal: "52" },
    authPass: { literal: "k8s-lab" },
  };
}

import { virtualMachineInputs } from "../../constructs/fusion-machines";
import { BaseImage } from "../../constructs/base-image";
import { GuestIpLookup } from "../../constructs/guest-ip-lookup";
import { VirtualMachine } from "../../constructs/virtual-machine";
import { GUEST_IP, parseLookupVms } from "../../lib/model/entry/contracts";
import { modelFixture, vmByName } from "../../test-support/model-fixture";
import { SEED_VARIABLE_EXPRESSIONS } from "../../test-support/variable-fixtures";
import { dataSources, one, realTemplates, resources, synthScope } from "../../test-support/synth";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";

const model = modelFixture();

function machines(s: Construct, names: readonly string[]): VirtualMachine[] {
  const baseImage = new BaseImage(s, "base-image", { image: model.baseImage });
  return names.map(
    (name) =>
      new VirtualMachine(s, name, {
        ...virtualMachineInputs(vmByName(model, name), model, realTemplates(), SEED_VARIABLE_EXPRESSIONS),
        baseImage,
      }),
  );
}

describe("GuestIpLookup", () => {
  let refs: { expression: string } | undefined;
  const json = synthScope((s) => {
    const lookup = new GuestIpLookup(s, "ips", {
      machines: machines(s, ["gateway1", "k8s-master1"]),
      vmsDir: model.paths.vmsDir,
      exclude: ["${var.external_vip}", "${var.internal_vip}"],
      timeoutSeconds: 5,
    });
    refs = { expression: lookup.ipExpressionOf("k8s-master1") };
  });
  const nulls = resources(json, "null_resource");
  const [id, data] = one(dataSources(json, "external"), "ips_lookup");

  it("is one data source for all its VMs, read after every one of them runs", () => {
    expect(Object.keys(dataSources(json, "external"))).toEqual([id]);
    expect(data.depends_on).toEqual([
      `null_resource.${one(nulls, "gateway1_power")[0]}`,
      `null_resource.${one(nulls, "k8s-master1_power")[0]}`,
    ]);
    expect(data.program).toEqual(["../../../scripts/run", "guest-ip"]);
  });

  it("sends the GUEST_IP query: the VMs as a JSON list, the VIPs to refuse and the budget for all", () => {
    expect(Object.keys(data.query).sort()).toEqual([...GUEST_IP.terraformKeys].sort());
    expect(data.query).toEqual({
      vms_dir: "VMs/k8s_cluster",
      vms: expect.any(String),
      exclude: "${var.external_vip},${var.internal_vip}",
      timeout_seconds: "5",
    });
    // A gateway accepts its vmnet address first, then the LAN; a node only the vmnet.
    expect(parseLookupVms(data.query.vms)).toEqual([
      {
        name: "gateway1",
        vmx_path: "VMs/k8s_cluster/gateway1.vmwarevm/gateway1.vmx",
        networks: ["10.10.0.0/24", "192.168.68.0/24"],
        last_ip_file: "generated/gateway1/last-ip",
      },
      {
        name: "k8s-master1",
        vmx_path: "VMs/k8s_cluster/k8s-master1.vmwarevm/k8s-master1.vmx",
        networks: ["10.10.0.0/24"],
        last_ip_file: "generated/k8s-master1/last-ip",
      },
    ]);
  });

  it("names each VM's address by its result key, as a reference and as a bare expression", () => {
    const synthed = synthScope((s) => {
      const lookup = new GuestIpLookup(s, "ips", {
        machines: machines(s, ["k8s-master1"]),
        vmsDir: model.paths.vmsDir,
      });
      new TerraformOutput(s, "master_ip", { value: lookup.ipOf("k8s-master1") });
    });
    const [lookupId] = one(dataSources(synthed, "external"), "ips_lookup");
    expect(synthed.output.master_ip.value).toBe(`\${data.external.${lookupId}.result["k8s-master1_ip"]}`);
    expect(refs?.expression).toBe(`data.external.${id}.result["k8s-master1_ip"]`);
    expect(dataSources(synthed, "external")[lookupId].query.timeout_seconds).toBe("20");
  });

  it("refuses no VMs, a VM listed twice, and an address asked of a VM it does not look up", () => {
    expect(() => synthScope((s) => new GuestIpLookup(s, "ips", { machines: [], vmsDir: "VMs" }))).toThrow(
      /at least one VM/,
    );
    expect(() =>
      synthScope((s) => {
        const [m] = machines(s, ["k8s-master1"]);
        new GuestIpLookup(s, "ips", { machines: [m, m], vmsDir: "VMs" });
      }),
    ).toThrow(/listed twice/);
    expect(() =>
      synthScope((s) => {
        const lookup = new GuestIpLookup(s, "ips", {
          machines: machines(s, ["k8s-master1"]),
          vmsDir: "VMs",
        });
        lookup.ipOf("k8s-worker9");
      }),
    ).toThrow(/k8s-worker9 is not one of this lookup's VMs \(k8s-master1\)/);
  });
});

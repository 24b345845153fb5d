import { EntryContract, text } from "../../../../lib/model/entry/contract";
import {
  encodeLookupVms,
  GUEST_IP,
  lookupResultKey,
  parseLookupVms,
} from "../../../../lib/model/entry/contracts";

const VM = {
  name: "k8s-master1",
  vmx_path: "VMs/k8s_cluster/k8s-master1.vmwarevm/k8s-master1.vmx",
  networks: ["10.10.0.0/24"],
  last_ip_file: "generated/k8s-master1/last-ip",
};

describe("the guest-ip query contract", () => {
  it("builds the data source's query (every value a string, the budget defaulted) and reads it back", () => {
    const query = GUEST_IP.environment({
      vms_dir: "VMs",
      vms: encodeLookupVms([VM]),
      exclude: "10.10.0.100",
    });
    expect(query).toEqual({
      vms_dir: "VMs",
      vms: JSON.stringify([VM]),
      exclude: "10.10.0.100",
      timeout_seconds: "20",
    });
    expect(GUEST_IP.parse(query)).toEqual({ ...query, timeout_seconds: 20 });
    expect(parseLookupVms(query.vms)).toEqual([VM]);
  });

  it("names the query field in its errors", () => {
    expect(() => GUEST_IP.parse({ vms: "[]" })).toThrow(
      "query.vms_dir is missing: this program is run by Terraform's external data source, which passes it",
    );
    expect(() => GUEST_IP.parse({ vms_dir: "VMs", vms: "[]", timeout_seconds: 20 })).toThrow(
      "query.timeout_seconds=20 is not a string",
    );
    expect(() => GUEST_IP.parse({ vms_dir: "VMs", vms: "[]", timeout_seconds: "4000" })).toThrow(
      "query.timeout_seconds=4000 is outside 1..3600",
    );
    expect(() =>
      parseLookupVms(JSON.stringify([VM, { ...VM, name: "w1", networks: "10.10.0.0/24" }])),
    ).toThrow("query.vms[1].networks must be a non-empty array of CIDR strings");
  });

  it("keeps environment contracts as they were, and refuses a query key that is not lower_snake_case", () => {
    const env = new EntryContract("x", { VM_NAME: text() });
    expect(() => env.parse({})).toThrow(/^environment variable VM_NAME is not set/);
    expect(() => new EntryContract("x", { VmName: text() }, "query")).toThrow(/must be lower_snake_case/);
    expect(() => new EntryContract("x", { vm_name: text() })).toThrow(/not an environment variable name/);
  });

  it("answers per VM under <vm>_ip, _state and _detail", () => {
    expect(["ip", "state", "detail"].map((f) => lookupResultKey("gateway1", f as "ip"))).toEqual([
      "gateway1_ip",
      "gateway1_state",
      "gateway1_detail",
    ]);
  });
});

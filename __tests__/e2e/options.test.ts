import { parseOptions } from "../../e2e/lib/options";

describe("e2e options", () => {
  it("defaults to two gateways and one master, the Terraform-apply simulator and the usual files", () => {
    expect(parseOptions([])).toMatchObject({ negative: false, vms: ["gateway1", "gateway2", "k8s-master1"], cacheDir: ".e2e-cache", resultsFile: ".e2e-results.json", vmLifetimeSeconds: 900, keep: false });
  });

  it("--negative writes its own results file and needs the VM it breaks", () => {
    expect(parseOptions(["--negative"])).toMatchObject({ negative: true, vms: ["gateway1", "k8s-master1"], resultsFile: ".e2e-results-negative.json" });
    expect(() => parseOptions(["--negative", "--vms", "k8s-master1"])).toThrow(/include it in --vms/);
    expect(parseOptions(["--negative", "--vms", "gateway1,gateway2,k8s-master1"]).vms).toEqual(["gateway1", "gateway2", "k8s-master1"]);
  });

  it("refuses unknown VMs, apply modes and silly lifetimes", () => {
    expect(() => parseOptions(["--vms", "gateway9"])).toThrow(/unknown e2e VM gateway9/);
    expect(() => parseOptions(["--apply", "direct"])).toThrow(/unknown option/);
    expect(() => parseOptions(["--vm-lifetime", "5"])).toThrow();
  });
});

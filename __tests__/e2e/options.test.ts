import { negativeExpectation, parseOptions } from "../../e2e/lib/options";

describe("e2e options", () => {
  it("defaults to amd64: two gateways and one master, the usual files", () => {
    expect(parseOptions([])).toMatchObject({
      arch: "amd64",
      negative: false,
      vms: ["gateway1", "gateway2", "k8s-master1"],
      cacheDir: ".e2e-cache",
      resultsFile: ".e2e-results.json",
      vmLifetimeSeconds: 900,
      keep: false,
    });
  });

  it("--arch arm64: one master, a longer lifetime and a results file of its own", () => {
    expect(parseOptions(["--arch", "arm64"])).toMatchObject({
      arch: "arm64",
      vms: ["k8s-master1"],
      resultsFile: ".e2e-results-arm64.json",
      vmLifetimeSeconds: 2400,
    });
    expect(parseOptions(["--arch", "arm64", "--vm-lifetime", "600"]).vmLifetimeSeconds).toBe(600);
    expect(() => parseOptions(["--arch", "riscv64"])).toThrow(/Allowed choices are amd64, arm64/);
  });

  it("--negative is the wrong-MAC run by default; each kind has its own results file and expected check", () => {
    expect(parseOptions(["--negative"])).toMatchObject({
      negative: "mac",
      vms: ["gateway1", "k8s-master1"],
      resultsFile: ".e2e-results-negative-mac.json",
    });
    expect(parseOptions(["--negative", "degraded-seed", "--arch", "arm64"])).toMatchObject({
      negative: "degraded-seed",
      vms: ["k8s-master1"],
      resultsFile: ".e2e-results-negative-degraded-seed-arm64.json",
    });
    expect(parseOptions(["--negative", "--vms", "k8s-master1,gateway1"]).vms).toEqual([
      "gateway1",
      "k8s-master1",
    ]);
    expect(() => parseOptions(["--negative", "bios-disk", "--arch", "arm64"])).toThrow(/no BIOS on arm64/);
    expect(() => parseOptions(["--negative", "typo"])).toThrow(
      /Allowed choices are mac, degraded-seed, bios-disk/,
    );
    expect(negativeExpectation("mac", ["gateway1", "k8s-master1"])).toEqual({
      vm: "gateway1",
      check: "gateway1/ssh",
      tolerated: ["-/apply"],
    });
    expect(negativeExpectation("degraded-seed", ["k8s-master1"])).toEqual({
      vm: "k8s-master1",
      check: "k8s-master1/cloud-init",
      tolerated: [],
    });
    expect(negativeExpectation("bios-disk", ["gateway1", "k8s-master1"])).toEqual({
      vm: "gateway1",
      check: "gateway1/boot",
      tolerated: ["-/apply", "k8s-master1/boot"],
    });
  });

  it("refuses unknown VMs, apply modes and silly lifetimes", () => {
    expect(() => parseOptions(["--vms", "gateway9"])).toThrow(/unknown e2e VM gateway9/);
    expect(() => parseOptions(["--apply", "direct"])).toThrow(/unknown option/);
    expect(() => parseOptions(["--vm-lifetime", "5"])).toThrow();
  });
});

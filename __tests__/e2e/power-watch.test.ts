import { guestIpFaults, watchPowerOn } from "../../e2e/lib/power-watch";
import type { SimVmState } from "../../test-support/vmrun-sim";

describe("vmrun simulator linked to the real guests", () => {
  it("reports a guest's IP only once the guest answers", () => {
    const addresses = new Map([
      ["gateway1", "10.10.0.10"],
      ["k8s-master1", "10.10.0.20"],
    ]);
    expect(guestIpFaults(addresses, new Set(["k8s-master1"]))).toEqual({
      vms: { gateway1: { ip: "" }, "k8s-master1": { ip: "10.10.0.20" } },
    });
  });

  it("boots each VM once, when the deploy powers it on", async () => {
    const power: Record<string, SimVmState["power"]> = { "/a.vmx": "off", "/b.vmx": "off" };
    const booted: string[] = [];
    const stop = watchPowerOn({
      vms: [
        { name: "a", vmxAbs: "/a.vmx" },
        { name: "b", vmxAbs: "/b.vmx" },
      ],
      vmState: (vmx) => ({ vmxPath: vmx, power: power[vmx], snapshots: [], current: null, bootedAt: null }),
      onPowerOn: (name) => booted.push(name),
      pollMs: 5,
    });
    try {
      await new Promise((r) => setTimeout(r, 30));
      expect(booted).toEqual([]);
      power["/b.vmx"] = "on";
      await new Promise((r) => setTimeout(r, 30));
      power["/a.vmx"] = "on";
      await new Promise((r) => setTimeout(r, 30));
      expect(booted).toEqual(["b", "a"]);
    } finally {
      stop();
    }
  });
});

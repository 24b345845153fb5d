import { checkIfName, planNetns, setupCommands, tapName } from "../../e2e/lib/netns";

const input = {
  namespace: "fkl-e2e-1",
  nat: { prefixLength: 24, hostAddress: "10.10.0.1", gateway: "10.10.0.2" },
  lan: { prefixLength: 24, hostAddress: "192.168.68.1" },
  nics: [
    { tap: tapName(0, 0), network: "lan" as const },
    { tap: tapName(0, 1), network: "nat" as const },
    { tap: tapName(1, 0), network: "nat" as const },
  ],
};

describe("test network plan", () => {
  it("puts the host side and the NAT gateway on the vmnet bridge, the LAN host on the LAN bridge", () => {
    const plan = planNetns(input);
    expect(plan.bridges).toEqual([
      { name: "br-vmnet", network: "nat", addresses: ["10.10.0.1/24", "10.10.0.2/24"] },
      { name: "br-lan", network: "lan", addresses: ["192.168.68.1/24"] },
    ]);
    expect(plan.taps).toEqual([
      { name: "tap-g0-n0", bridge: "br-lan" },
      { name: "tap-g0-n1", bridge: "br-vmnet" },
      { name: "tap-g1-n0", bridge: "br-vmnet" },
    ]);
  });

  it("creates everything inside the namespace, bridges before the taps that join them", () => {
    const cmds = setupCommands(planNetns(input)).map((c) => c.join(" "));
    expect(cmds[0]).toBe("netns add fkl-e2e-1");
    expect(cmds.slice(1).every((c) => c.startsWith("-n fkl-e2e-1 "))).toBe(true);
    const bridgeUp = cmds.indexOf("-n fkl-e2e-1 link set br-vmnet up");
    const tapJoins = cmds.indexOf("-n fkl-e2e-1 link set tap-g0-n1 master br-vmnet");
    expect(bridgeUp).toBeGreaterThan(0);
    expect(tapJoins).toBeGreaterThan(bridgeUp);
    expect(cmds).toContain("-n fkl-e2e-1 addr add 10.10.0.2/24 dev br-vmnet");
  });

  it("refuses interface names Linux would refuse, and duplicate taps", () => {
    expect(() => checkIfName("a-name-longer-than-15")).toThrow(/1-15/);
    expect(() => checkIfName("bad/name")).toThrow();
    expect(() => planNetns({ ...input, nics: [input.nics[0], input.nics[0]] })).toThrow(/share the tap name/);
  });
});

import { formatInventory, INVENTORY_HEADER, parseInventory } from "../../../../lib/model/inventory/env-file";

describe("inventory env file", () => {
  it("formats NAME_IP lines under the header and reads them back", () => {
    const text = formatInventory([
      ["K8S_MASTER1_IP", "10.10.0.131"],
      ["GATEWAY1_IP", ""],
    ]);
    expect(text).toBe(`${INVENTORY_HEADER}\nK8S_MASTER1_IP=10.10.0.131\nGATEWAY1_IP=\n`);
    expect([...parseInventory(text)]).toEqual([
      ["K8S_MASTER1_IP", "10.10.0.131"],
      ["GATEWAY1_IP", ""],
    ]);
  });

  it("fails for keys that are not shell variable names and values with line breaks", () => {
    expect(() => formatInventory([["X;rm", "1"]])).toThrow(/not a shell variable name/);
    expect(() => formatInventory([["A_IP", "1\nB=2"]])).toThrow(/line break/);
  });
});

import {
  GATEWAY_VARIABLES,
  seedVariablesOf,
  variableDefaults,
} from "../../../../lib/model/render/variable-defaults";
import { modelFixture } from "../../../../test-support/model-fixture";
import { synthStacks } from "../../../../test-support/stacks";
import type { TfJson } from "../../../../test-support/synth";

/**
 * `npm run render` resolves the rendered files with these names and defaults; a deploy with no variable
 * set uses the stacks' own. They must be the same variables with the same defaults, or render shows
 * files the deploy does not write.
 */
const model = modelFixture();
const { cluster, aptCache } = synthStacks(model);

const declaredDefaults = (stack: TfJson): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(stack.variable as Record<string, TfJson>).map(([name, v]) => [name, v.default]),
  );

describe("variableDefaults", () => {
  it("names every variable the cluster stack declares, with the stack's default", () => {
    const declared = declaredDefaults(cluster);
    const defaults = variableDefaults(model);
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(declared).sort());
    for (const [name, value] of Object.entries(defaults)) {
      // Router ids are numbers in Terraform; the renderer gets them as text.
      const want = typeof declared[name] === "number" ? String(declared[name]) : declared[name];
      expect([name, value]).toEqual([name, want]);
    }
  });

  it("gives the APT cache stack's variables the same defaults", () => {
    const declared = declaredDefaults(aptCache);
    const defaults = variableDefaults(model);
    for (const name of Object.keys(declared)) expect([name, defaults[name]]).toEqual([name, declared[name]]);
  });

  it("is what the expressions the renderers get refer to", () => {
    const names = new Set(Object.keys(declaredDefaults(cluster)));
    const referenced = [
      ...Object.values(GATEWAY_VARIABLES),
      ...Object.values(seedVariablesOf({ role: "worker" })),
    ].map((v) => ("expression" in v ? v.expression.replace(/^var\./, "") : undefined));
    for (const name of referenced) expect(names).toContain(name);
    expect(seedVariablesOf({ role: "apt-cache" }).aptProxyUrl).toEqual({ literal: "" });
  });
});

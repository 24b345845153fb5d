import { parseClusterConfig } from "../../../lib/model/config/build-model";
import { hclMatches, regexOf, RULES } from "../../../lib/model/rules";
import { modelFixture } from "../../../test-support/model-fixture";
import { synthStacks } from "../../../test-support/stacks";
import type { TfJson } from "../../../test-support/synth";

/** Whether cluster.yaml accepts `yaml` (the zod side of a rule). */
const accepts = (yaml: string): boolean => {
  try {
    parseClusterConfig(yaml, "test");
    return true;
  } catch {
    return false;
  }
};

const CASES: Array<[rule: { readonly pattern: string }, yamlOf: (v: string) => string, samples: string[]]> = [
  [
    RULES.ipv4,
    (v) => `network: {internalVip: "${v}"}`,
    ["10.10.0.100", "255.255.255.255", "0.0.0.0", "010.1.1.1", "256.1.1.1", "1.2.3", "1.2.3.4 ", "a.b.c.d"],
  ],
  [
    RULES.dnsName,
    (v) => `network: {dnsSearchDomains: ["${v}"]}`,
    ["lab.local", "a", "k8s-api", "-lab", "lab-", "Lab.local", "lab..local", "a".repeat(64), "a_b"],
  ],
  [
    RULES.vrrpAuthPass,
    (v) => `network: {vrrp: {authPass: "${v}"}}`,
    ["k8s-lab", "12345678", "123456789", "", "a b", "a$"],
  ],
];

describe("RULES: one statement of each value rule for cluster.yaml and for Terraform", () => {
  it.each(CASES.map((c) => [c[0].pattern, ...c] as const))(
    "%s: cluster.yaml accepts exactly what the pattern matches",
    (_p, rule, yamlOf, samples) => {
      for (const v of samples) expect([v, accepts(yamlOf(v))]).toEqual([v, regexOf(rule).test(v)]);
      // Both answers occur, so the comparison says something.
      expect(new Set(samples.map((v) => regexOf(rule).test(v)))).toEqual(new Set([true, false]));
    },
  );

  it("the DNS name's total length limit holds on the config side (RE2 has no lookahead for Terraform)", () => {
    const long = Array.from({ length: 4 }, () => "a".repeat(63)).join("."); // 255 characters
    expect(regexOf(RULES.dnsName).test(long)).toBe(true);
    expect(accepts(`network: {dnsSearchDomains: ["${long}"]}`)).toBe(false);
  });

  it("the stacks' variable validations are rendered from the same rules", () => {
    const { cluster, aptCache } = synthStacks(modelFixture());
    const condition = (json: TfJson, name: string) => json.variable[name].validation[0].condition as string;
    expect(condition(cluster, "external_vip")).toBe(`\${${hclMatches(RULES.ipv4, "var.external_vip")}}`);
    expect(condition(cluster, "vrrp_auth_pass")).toBe(
      `\${${hclMatches(RULES.vrrpAuthPass, "var.vrrp_auth_pass")}}`,
    );
    expect(condition(cluster, "vrrp_router_id_external")).toContain(
      `var.vrrp_router_id_external >= ${RULES.vrrpRouterId.min} && var.vrrp_router_id_external <= ${RULES.vrrpRouterId.max}`,
    );
    for (const stack of [cluster, aptCache]) {
      expect(condition(stack, "dns_servers")).toContain(hclMatches(RULES.ipv4, "s"));
      expect(condition(stack, "dns_servers")).toContain(
        `length(var.dns_servers) <= ${RULES.dnsServers.maxItems}`,
      );
      expect(condition(stack, "dns_search_domains")).toContain(hclMatches(RULES.dnsName, "d"));
    }
  });
});

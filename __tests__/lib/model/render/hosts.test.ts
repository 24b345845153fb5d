import { realTemplates } from "../../../../test-support/synth";
import { HOSTS_BEGIN, HOSTS_END, renderHostsBlock } from "../../../../lib/model/render/hosts";
import { modelFixture } from "../../../../test-support/model-fixture";

describe("renderHostsBlock", () => {
  const model = modelFixture();

  it("lists every cluster VM, the apt cache and the API name between the markers", () => {
    const text = renderHostsBlock(
      model,
      (vm) => ({ expression: `data.external.${vm.name}.result.ip` }),
      {
        literal: "10.10.0.100",
      },
      realTemplates(),
    );
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe(HOSTS_BEGIN);
    expect(lines[lines.length - 1]).toBe(HOSTS_END);
    expect(lines.slice(1, -1)).toEqual([
      ...model.vms.map((vm) => `\${data.external.${vm.name}.result.ip} ${vm.name}`),
      "10.10.0.148 apt-cache-server",
      "10.10.0.100 k8s-api",
    ]);
  });

  it("escapes literal text so Terraform keeps it as written", () => {
    const text = renderHostsBlock(
      { ...model, network: { ...model.network, apiHostname: "api" } },
      () => ({ literal: "${x}" }),
      { expression: "var.internal_vip" },
      realTemplates(),
    );
    expect(text).toContain("$${x} gateway1\n");
    expect(text).toContain("${var.internal_vip} api\n");
  });
});

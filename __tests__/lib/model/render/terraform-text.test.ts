import {
  checkExpression,
  escapeTerraformText,
  ExpressionSlots,
} from "../../../../lib/model/render/terraform-text";
import { renderTemplate } from "../../../../test-support/terraform-apply/template";

describe("escapeTerraformText", () => {
  it("escapes interpolation and directive openers, and nothing else", () => {
    expect(escapeTerraformText("a ${HOME} b %{ if x } c $HOME %d {x}")).toBe(
      "a $${HOME} b %%{ if x } c $HOME %d {x}",
    );
  });

  it("keeps an already escaped-looking literal literal", () => {
    // Literal "$${X}" must come out of Terraform as "$${X}" again.
    expect(escapeTerraformText("$${X} %%{Y}")).toBe("$$${X} %%%{Y}");
    expect(renderTemplate(escapeTerraformText("$${X} %%{Y}"), { var: {} })).toBe("$${X} %%{Y}");
  });

  it("round-trips arbitrary text through Terraform's template evaluation", () => {
    const text = "#!/bin/bash\necho ${a:-b} ${#x} %{y} $${z} $ { %\n";
    expect(renderTemplate(escapeTerraformText(text), { var: {} })).toBe(text);
  });
});

describe("ExpressionSlots", () => {
  it("escapes the literal text and inserts expressions unescaped", () => {
    const slots = new ExpressionSlots();
    const url = slots.text("var.apt_proxy_url");
    const dns = slots.list("var.dns_servers");
    const iid = slots.raw("iid-${random_id.x.hex}");
    const out = slots.finish(`proxy "${url}" \${HOME}\ndns: ${dns}\nid: "${iid}"\n`);
    expect(out).toBe(
      'proxy "${var.apt_proxy_url}" $${HOME}\ndns: ${jsonencode(var.dns_servers)}\nid: "iid-${random_id.x.hex}"\n',
    );
    expect(
      renderTemplate(out, {
        var: { apt_proxy_url: "http://c:3142", dns_servers: ["1.1.1.1"] },
        random_id: { x: { hex: "ab" } },
      }),
    ).toBe('proxy "http://c:3142" ${HOME}\ndns: ["1.1.1.1"]\nid: "iid-ab"\n');
  });

  it("keeps eleven and more slots apart (no sentinel is a prefix of another)", () => {
    const slots = new ExpressionSlots();
    const sentinels = Array.from({ length: 12 }, (_, i) => slots.text(`var.v${i}`));
    expect(slots.finish(sentinels.join(" "))).toBe(
      Array.from({ length: 12 }, (_, i) => `\${var.v${i}}`).join(" "),
    );
  });

  it("refuses text with a foreign sentinel and bad expressions", () => {
    const slots = new ExpressionSlots();
    slots.text("var.a");
    expect(() => slots.finish("zzTfSlot7z")).toThrow(/reserved marker/);
    expect(() => checkExpression("${var.a}")).toThrow(/without \$\{\}/);
    expect(() => checkExpression("var.a\nvar.b")).toThrow(/one-line/);
    expect(() => checkExpression(" ")).toThrow(/invalid Terraform expression/);
  });
});

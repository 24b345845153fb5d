import { renderTextTemplate } from "../../../../lib/model/render/text-template";

describe("renderTextTemplate", () => {
  it("escapes the template's own text and every literal for Terraform, and inserts expressions as ${...}", () => {
    const out = renderTextTemplate("t", "echo ${HOME} %{x} {{a}} {{b}} {{n}}\n", {
      a: { literal: "lit ${y}" },
      b: { expression: "var.z" },
      n: 6443,
    });
    expect(out).toBe("echo $${HOME} %%{x} lit $${y} ${var.z} 6443\n");
  });

  it("repeats a block per item, drops standalone tag and comment lines, and keeps a block for true only", () => {
    const source =
      "{{! a comment }}\nbegin\n{{#items}}\n  {{name}}\n{{/items}}\n{{#flag}}\nflagged\n{{/flag}}\nend\n";
    expect(renderTextTemplate("t", source, { items: [{ name: "a" }, { name: "b" }], flag: false })).toBe(
      "begin\n  a\n  b\nend\n",
    );
    expect(renderTextTemplate("t", source, { items: [], flag: true })).toBe("begin\nflagged\nend\n");
  });

  it("does not HTML-escape values", () => {
    expect(renderTextTemplate("t", "{{v}}", { v: "a<b & 'c'" })).toBe("a<b & 'c'");
  });

  it("refuses a template that names a value the renderer does not give", () => {
    expect(() => renderTextTemplate("nginx.conf.mustache", "{{port}} {{typo}}", { port: 1 })).toThrow(
      /template nginx.conf.mustache uses typo, which the renderer does not give/,
    );
  });

  it("finds a name missing inside a block, looking it up in the item and then its parents", () => {
    const source = "{{#masters}}{{address}}:{{port}} {{nmae}}\n{{/masters}}";
    expect(() =>
      renderTextTemplate("t", source, { port: 1, masters: [{ address: "a", name: "m" }] }),
    ).toThrow(/uses nmae,/);
  });

  it("refuses an expression with ${} or a newline, as every renderer does", () => {
    expect(() => renderTextTemplate("t", "{{v}}", { v: { expression: "${var.x}" } })).toThrow(
      /without \$\{\}/,
    );
  });
});

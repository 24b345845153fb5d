import { renderTemplate } from "../../../test-support/terraform-apply/template";

describe("renderTemplate", () => {
  it("evaluates a template as Terraform does: references, functions, escapes", () => {
    expect(
      renderTemplate("${var.a} ${jsonencode(var.l)} $${HOME} %%{x}", { var: { a: "x", l: ["p", "q"] } }),
    ).toBe('x ["p","q"] ${HOME} %{x}');
    expect(renderTemplate("id-${random_id.x.hex}", { random_id: { x: { hex: "ab" } } })).toBe("id-ab");
    expect(renderTemplate("n=${var.n}", { var: { n: 3 } })).toBe("n=3");
    // A lone interpolation keeps its value's type (HCL template unwrapping): a number is not text.
    expect(() => renderTemplate("${var.n}", { var: { n: 3 } })).toThrow(/gives number, not a string/);
  });

  it("refuses what Terraform would refuse, and what the interpreter does not reproduce", () => {
    expect(() => renderTemplate("${var.missing}", { var: {} })).toThrow(/var\.missing does not exist/);
    expect(() => renderTemplate("${var.l}", { var: { l: ["p"] } })).toThrow(/gives a list, not a string/);
    expect(() => renderTemplate("%{ if x }", { var: {} })).toThrow(/unsupported: template directive/);
    expect(() => renderTemplate("${var.a", { var: { a: "x" } })).toThrow(
      /expected "}" closing the interpolation/,
    );
    expect(() => renderTemplate("${local.a}", { var: {} })).toThrow(/unsupported: reference to "local"/);
  });
});

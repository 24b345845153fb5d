import { createHash } from "node:crypto";
import { evaluateExpression, referencesIn, renderString, renderTemplate, TraversalResolver } from "../../e2e/lib/tf-eval";

const values: Record<string, unknown> = {
  "var.apt_proxy_url": "http://10.10.0.148:3142",
  "var.dns_servers": ["10.10.0.2", "10.10.0.1"],
  "local_file.u.content_sha256": "aa11",
  "local_file.n-1_X.content_sha256": "bb22",
  "data.external.ip.result.ip": "10.10.0.20",
  "self.triggers.vm_name": "gateway1",
};
const resolve: TraversalResolver = (p) => {
  const key = p.join(".");
  if (!(key in values)) throw new Error(`unknown ${key}`);
  return values[key] as string;
};

describe("Terraform templates (e2e direct apply)", () => {
  it("unescapes $${ and %%{ and interpolates strings", () => {
    expect(renderString('a $${HOME} %%{x} "${var.apt_proxy_url}" ${self.triggers.vm_name}', resolve, "t")).toBe('a ${HOME} %{x} "http://10.10.0.148:3142" gateway1');
  });

  it("encodes lists with jsonencode and yields a list for a whole-value template", () => {
    expect(renderString("addresses: ${jsonencode(var.dns_servers)}", resolve, "t")).toBe('addresses: ["10.10.0.2","10.10.0.1"]');
    expect(renderTemplate("${var.dns_servers}", resolve)).toEqual(["10.10.0.2", "10.10.0.1"]);
    expect(renderTemplate("", resolve)).toBe("");
    expect(renderTemplate("x}", resolve)).toBe("x}");
  });

  it("computes the seed's instance id as Terraform does (substr of sha256 of the joined hashes)", () => {
    const text = 'instance-id: "gw-${substr(sha256(join("", [local_file.u.content_sha256, local_file.n-1_X.content_sha256])), 0, 12)}"';
    const want = createHash("sha256").update("aa11bb22").digest("hex").slice(0, 12);
    expect(renderString(text, resolve, "t")).toBe(`instance-id: "gw-${want}"`);
  });

  it("reads an external data source's result by key", () => {
    expect(renderString('IP=${data.external.ip.result["ip"]}', resolve, "t")).toBe("IP=10.10.0.20");
  });

  it("refuses what it does not implement instead of guessing", () => {
    expect(() => evaluateExpression("upper(var.apt_proxy_url)", resolve)).toThrow(/unsupported Terraform function upper/);
    expect(() => renderString("%{ if true }x%{ endif }", resolve, "t")).toThrow(/directive/);
    expect(() => renderString("${var.nope}", resolve, "t")).toThrow(/unknown var.nope/);
    expect(() => renderString("x ${var.dns_servers}", resolve, "t")).toThrow(/list/);
    expect(() => renderString("${var.apt_proxy_url", resolve, "t")).toThrow(/unterminated/);
  });

  it("lists the resources a JSON tree refers to", () => {
    const refs = referencesIn({ a: ["${null_resource.disk_1.id}", "x"], b: { c: "${local_file.u.content_sha256} ${data.external.ip.result[\"ip\"]}" }, d: 3 });
    expect([...refs].sort()).toEqual(["data.external.ip", "local_file.u", "null_resource.disk_1"]);
  });
});

import * as crypto from "node:crypto";
import {
  evaluate,
  evaluateJson,
  EvalScope,
  ExpressionError,
  parseExpression,
  parseTemplate,
  referencesInJson,
  referencesOf,
  UNKNOWN,
  UnsupportedError,
  Value,
} from "../../../test-support/terraform-apply/expressions";

const VALUES: Record<string, Value> = {
  var: {
    name: "k8s",
    servers: ["10.10.0.2", "10.10.0.3"],
    empty: [],
    count: 3,
    proxy: "http://10.10.0.148:3142",
  },
  null_resource: {
    "gw-1_disk_ABC": { id: "4711", triggers: { vm_name: "gw-1", path: "VMs/x" } },
    later: { id: UNKNOWN, triggers: { a: "b" } },
  },
  local_file: { seed: { content_sha256: "aa11", filename: "../../../x" } },
  data: { external: { "gw-1_ip_1F": { id: "-", result: { ip: "10.10.0.50" } } } },
};

const scope = (self?: Value): EvalScope => ({ lookup: (root) => (root === "self" ? self : VALUES[root]) });
const tpl = (text: string, self?: Value) => evaluate(parseTemplate(text), scope(self));
const expr = (text: string) => evaluate(parseExpression(text), scope());

describe("templates", () => {
  it("keeps plain text, unescapes $${ and %%{ and leaves a lone $ alone", () => {
    expect(tpl("plain $HOME text")).toBe("plain $HOME text");
    expect(tpl("hostport=$${proxy_url#*://}; x=%%{ y }; $$z")).toBe(
      "hostport=${proxy_url#*://}; x=%{ y }; $$z",
    );
  });

  it("interpolates several references in one string", () => {
    expect(tpl("${var.name}-${null_resource.gw-1_disk_ABC.id}/${var.count}")).toBe("k8s-4711/3");
  });

  it("keeps the type of a whole-string interpolation", () => {
    expect(tpl("${var.servers}")).toEqual(["10.10.0.2", "10.10.0.3"]);
    expect(tpl("${var.count}")).toBe(3);
    expect(tpl(" ${var.count}")).toBe(" 3");
  });

  it("reads resource attributes, map keys by attribute and by index, and data results", () => {
    expect(tpl("${null_resource.gw-1_disk_ABC.triggers.vm_name}")).toBe("gw-1");
    expect(tpl('${null_resource.gw-1_disk_ABC.triggers["path"]}')).toBe("VMs/x");
    expect(tpl('${data.external.gw-1_ip_1F.result["ip"]}')).toBe("10.10.0.50");
    expect(tpl("${data.external.gw-1_ip_1F.result.ip}")).toBe("10.10.0.50");
    expect(tpl("${local_file.seed.content_sha256}")).toBe("aa11");
    expect(tpl("${var.servers[1]}")).toBe("10.10.0.3");
  });

  it("reads self only where the caller offers it", () => {
    expect(tpl("${self.triggers.vm_name}", { triggers: { vm_name: "m1" } })).toBe("m1");
    expect(() => tpl("${self.triggers.vm_name}")).toThrow(UnsupportedError);
  });

  it("makes a string with an unknown part unknown, and a list holding one stays a list", () => {
    expect(tpl("id=${null_resource.later.id}")).toBe(UNKNOWN);
    expect(tpl("${null_resource.later.triggers.a}")).toBe("b");
    expect(tpl("${[null_resource.later.id, var.name]}")).toEqual([UNKNOWN, "k8s"]);
  });

  it("processes escapes in quoted strings inside an interpolation, and nested templates", () => {
    expect(tpl('${join("\\n", ["a\\"b", "c\\\\d", "\\u00e9"])}')).toBe('a"b\nc\\d\né');
    expect(tpl('${join(",", ["x-${var.name}", "$${literal}"])}')).toBe("x-k8s,${literal}");
  });

  it("fails on what Terraform rejects", () => {
    expect(() => tpl("${var.missing}")).toThrow(ExpressionError);
    expect(() => tpl("${null_resource.gw-1_disk_ABC.triggers.nope}")).toThrow(
      /no element with key|does not exist/,
    );
    expect(() => tpl("x ${var.servers}")).toThrow(/string required/);
    expect(() => tpl("${var.name")).toThrow(/expected "}"/);
    expect(() => tpl('${join(",", ["a", null])}')).toThrow(/null/);
  });

  it("refuses what the simulator does not reproduce, with an unsupported: message", () => {
    for (const text of [
      "%{ if true }x%{ endif }",
      "${path.module}",
      "${upper(var.name)}",
      "${var.servers[*]}",
      "${~ var.name}",
      "${ {for k in var.servers : k => k} }",
    ]) {
      expect(() => tpl(text)).toThrow(/^unsupported: /);
    }
  });
});

describe("functions", () => {
  it("jsonencode: compact, sorted keys, HTML characters escaped", () => {
    expect(tpl("${jsonencode(var.servers)}")).toBe('["10.10.0.2","10.10.0.3"]');
    expect(tpl("${jsonencode(var.empty)}")).toBe("[]");
    expect(expr('jsonencode({b = 1, a = "<&>", c = [true, null]})')).toBe(
      '{"a":"\\u003c\\u0026\\u003e","b":1,"c":[true,null]}',
    );
  });

  it("join, substr and sha256 as the seed instance-id uses them", () => {
    const inner = "aa11" + "bb22";
    const want = crypto.createHash("sha256").update(inner).digest("hex").slice(0, 12);
    expect(tpl('gw-${substr(sha256(join("", [local_file.seed.content_sha256, "bb22"])), 0, 12)}')).toBe(
      `gw-${want}`,
    );
    expect(expr('substr("hello", -3, -1)')).toBe("llo");
    expect(expr('substr("hello", 1, 2)')).toBe("el");
    expect(expr('substr("hello", 9, 2)')).toBe("");
  });

  it("length, regex, can and alltrue as the variable validations use them", () => {
    expect(expr("length(var.servers)")).toBe(2);
    expect(expr('length("héllo")')).toBe(5);
    expect(expr('regex("^[a-z]+", "abc123")')).toBe("abc");
    expect(expr('regex("^([a-z]+)([0-9]+)$", "abc123")')).toEqual(["abc", "123"]);
    expect(expr('regex("^(?P<word>[a-z]+)", "abc123")')).toEqual({ word: "abc" });
    expect(() => expr('regex("^x", "abc")')).toThrow(/did not match/);
    expect(() => expr('regex("(?i)^x", "abc")')).toThrow(/^unsupported: /);
    expect(expr('can(regex("^x", "abc"))')).toBe(false);
    expect(expr('can(regex("^a", "abc"))')).toBe(true);
    expect(expr("can(var.nope)")).toBe(false);
    expect(expr("floor(var.count) == var.count")).toBe(true);
    expect(expr("floor(-2.5)")).toBe(-3);
    expect(expr("alltrue([])")).toBe(true);
    expect(expr('alltrue([true, "true"])')).toBe(true);
    expect(expr("alltrue([true, false])")).toBe(false);
  });

  it("evaluates a real validation condition both ways", () => {
    const ipv4 =
      '"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$"';
    const condition = `\${length(var.servers) >= 1 && length(var.servers) <= 3 && alltrue([for s in var.servers : can(regex(${ipv4}, s))])}`;
    // `condition` is the string as cdk.tf.json holds it after JSON decoding: the quoted regex has `\\.`,
    // which the quoted-string escape turns into `\.` (a literal dot).
    expect(tpl(condition)).toBe(true);
    const withServers = (servers: string[]): EvalScope => ({
      lookup: (root) => (root === "var" ? { servers } : undefined),
    });
    expect(evaluate(parseTemplate(condition), withServers(["10.10.0.2", "300.1.1.1"]))).toBe(false);
    expect(evaluate(parseTemplate(condition), withServers(["10x10x0x2"]))).toBe(false);
    expect(evaluate(parseTemplate(condition), withServers([]))).toBe(false);
  });

  it("returns unknown from a function given an unknown argument", () => {
    expect(tpl("${sha256(null_resource.later.id)}")).toBe(UNKNOWN);
    expect(tpl("${can(null_resource.later.id)}")).toBe(UNKNOWN);
  });
});

describe("operators", () => {
  it("follows HCL precedence and types", () => {
    expect(expr("1 + 2 * 3")).toBe(7);
    expect(expr("(1 + 2) * 3")).toBe(9);
    expect(expr("10 % 4 - -1")).toBe(3);
    expect(expr('var.name == "k8s" && !(var.count < 3) || false')).toBe(true);
    expect(expr('"1" == 1')).toBe(false);
    expect(expr('var.count > 2 ? "big" : "small"')).toBe("big");
    expect(expr('[for i, s in var.servers : "${i}=${s}" if s != "10.10.0.2"]')).toEqual(["1=10.10.0.3"]);
    expect(expr("null_resource.later.id == var.name")).toBe(UNKNOWN);
    expect(() => expr('"a" && true')).toThrow(/bool required/);
  });
});

describe("references", () => {
  it("lists every static reference, including inside function calls and for bodies, but not for variables", () => {
    const refs = referencesOf(
      parseTemplate(
        '${substr(sha256(join("", [local_file.a.content_sha256, data.external.b.result["ip"]])), 0, 12)}-${[for d in var.list : d]}',
      ),
    );
    expect(refs.map((r) => [r.root, ...r.path].join("."))).toEqual([
      "local_file.a.content_sha256",
      "data.external.b.result.ip",
      "var.list",
    ]);
  });

  it("walks a JSON body and skips strings without templates", () => {
    const refs = referencesInJson({
      triggers: { disk: "${null_resource.d.id}", plain: "no refs" },
      env: ["${self.triggers.x}"],
    });
    expect(refs.map((r) => r.root)).toEqual(["null_resource", "self"]);
  });

  it("evaluates a JSON tree, leaving non-strings as they are", () => {
    expect(evaluateJson({ a: "${var.count}", b: [1, true, null, "${var.name}"] }, scope())).toEqual({
      a: 3,
      b: [1, true, null, "k8s"],
    });
  });
});

import { fillPlaceholders, mergeTemplates, parseTemplate } from "../../../../lib/model/render/templates";

describe("parseTemplate", () => {
  it("reads YAML 1.1 like cloud-init does", () => {
    expect(parseTemplate("t", "a: yes\nb: 0644\nc: '0644'\n")).toEqual({ a: true, b: 420, c: "0644" });
    expect(parseTemplate("t", "# only a comment\n")).toEqual({});
  });

  it("refuses invalid YAML, duplicate keys and non-mappings with the template's name", () => {
    expect(() => parseTemplate("u.yaml", "a: [1\n")).toThrow(/seed template u\.yaml is not valid YAML/);
    expect(() => parseTemplate("u.yaml", "a: 1\na: 2\n")).toThrow(/u\.yaml is not valid YAML/);
    expect(() => parseTemplate("u.yaml", "- a\n")).toThrow(/must be a YAML mapping/);
    // A refused text is refused again, not remembered.
    expect(() => parseTemplate("u.yaml", "- a\n")).toThrow(/must be a YAML mapping/);
  });

  it("parses a text once and hands out a frozen tree that merging and filling leave alone", () => {
    const text = "packages: [a]\napt: {conf: '{{ x }}'}\n";
    const tree = parseTemplate("p.yaml", text);
    expect(parseTemplate("p.yaml", text)).toBe(tree);
    expect(parseTemplate("q.yaml", text)).not.toBe(tree);
    expect(Object.isFrozen(tree.apt)).toBe(true);
    const merged = mergeTemplates(tree, { packages: ["b"] }, "o.yaml");
    expect(fillPlaceholders("p.yaml", merged, { x: "1" })).toEqual({
      packages: ["a", "b"],
      apt: { conf: "1" },
    });
    expect(parseTemplate("p.yaml", text)).toEqual({ packages: ["a"], apt: { conf: "{{ x }}" } });
  });
});

describe("mergeTemplates", () => {
  it("appends lists, merges mappings and lets overlay scalars win", () => {
    const base = {
      packages: ["a"],
      write_files: [{ path: "/x" }],
      apt: { conf: "c", keep: 1 },
      hostname: "h",
      empty: null,
    };
    const overlay = {
      packages: ["b"],
      write_files: [{ path: "/y" }],
      apt: { conf: "d" },
      hostname: "o",
      empty: ["e"],
      extra: 1,
    };
    expect(mergeTemplates(base, overlay, "o.yaml")).toEqual({
      packages: ["a", "b"],
      write_files: [{ path: "/x" }, { path: "/y" }],
      apt: { conf: "d", keep: 1 },
      hostname: "o",
      empty: ["e"],
      extra: 1,
    });
  });

  it("refuses a list in one and a scalar or mapping in the other", () => {
    expect(() => mergeTemplates({ packages: ["a"] }, { packages: "b" }, "o.yaml")).toThrow(
      /role overlay o\.yaml: "packages" is a scalar there but a list in the base/,
    );
    expect(() => mergeTemplates({ apt: { a: { b: 1 } } }, { apt: { a: [1] } }, "o.yaml")).toThrow(
      /"apt\.a" is a list there but a mapping/,
    );
  });
});

describe("fillPlaceholders", () => {
  const values = { name: "vm1", pkgs: ["p", "q"], files: [{ path: "/a" }], nested: { k: "v" }, port: "3142" };

  it("replaces whole values by any value and splices lists into sequences", () => {
    const tree = {
      hostname: "{{ name }}",
      packages: ["first", "{{pkgs}}", "last"],
      all: "{{ pkgs }}",
      n: "{{ nested }}",
      files: ["{{ files }}"],
    };
    expect(fillPlaceholders("t", tree, values)).toEqual({
      hostname: "vm1",
      packages: ["first", "p", "q", "last"],
      all: ["p", "q"],
      n: { k: "v" },
      files: [{ path: "/a" }],
    });
  });

  it("substitutes inside strings, without rescanning substituted text", () => {
    const tree = {
      content: "Port: {{ port }}\nName: {{name}} {{ name }}\n",
      literal: ["{{ not a placeholder }}", "${HOME}"],
    };
    expect(fillPlaceholders("t", tree, { ...values, name: "{{ port }}" })).toEqual({
      content: "Port: 3142\nName: {{ port }} {{ port }}\n",
      literal: ["{{ not a placeholder }}", "${HOME}"],
    });
  });

  it("refuses unknown placeholders, placeholders in keys and lists inside strings", () => {
    expect(() => fillPlaceholders("t.yaml", { a: "{{ nope }}" }, values)).toThrow(
      /t\.yaml uses unknown placeholder \{\{ nope \}\}; known placeholders: files, name/,
    );
    expect(() => fillPlaceholders("t.yaml", { "{{ name }}": 1 }, values)).toThrow(/placeholder in the key/);
    expect(() => fillPlaceholders("t.yaml", { a: ["x {{ pkgs }}"] }, values)).toThrow(
      /\{\{ pkgs \}\} at "a\[0\]" holds a list/,
    );
  });
});

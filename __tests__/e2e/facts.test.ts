import { spawnSync } from "node:child_process";
import { factCommands, factScript, parseFacts } from "../../e2e/checks/facts";
import type { FactCheck } from "../../e2e/checks/types";

const check = (name: string, facts: Record<string, string>): FactCheck => ({
  name,
  facts,
  evaluate: () => [],
});

describe("guest facts in one ssh call", () => {
  it("runs every command in a real shell and gives back each output and exit code", () => {
    const script = factScript(
      factCommands([
        check("a", { one: "echo hello; echo world", two: "echo oops >&2; exit 3" }),
        check("b", { three: "printf 'no newline'" }),
      ]),
    );
    const run = spawnSync("sh", ["-c", script], { encoding: "utf8" });
    const facts = parseFacts(run.stdout);
    expect(facts.get("one")).toEqual({ rc: 0, out: "hello\nworld" });
    expect(facts.get("two")).toEqual({ rc: 3, out: "oops" });
    expect(facts.get("three")?.out).toBe("no newline");
  });

  it("refuses two checks that mean different commands by one fact name", () => {
    expect(() => factCommands([check("a", { x: "hostname" }), check("b", { x: "hostname -f" })])).toThrow(
      /defines fact x/,
    );
    expect(factCommands([check("a", { x: "hostname" }), check("b", { x: "hostname" })]).size).toBe(1);
    expect(() => factCommands([check("a", { "Bad Name": "true" })])).toThrow(/fact name/);
  });
});

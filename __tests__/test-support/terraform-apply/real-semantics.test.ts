/**
 * The interpreter held to the real Terraform 1.11.4 (the real-Terraform tier) on the rules the step check
 * rests on, with hand-written stacks run by both: replace_triggered_by (nothing on the named resource's
 * creation; only the changed key's resource on its update), when a data source waits for apply (only on
 * changes of what it names directly), and the plan Terraform makes before a destroy. Each case compares
 * the plans (and which programs ran) of the two.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  startTerraform,
  terraformEnv,
  terraformInit,
  terraformPlanActions,
} from "../../../test-support/real-terraform";
import { requireTools } from "../../../test-support/required-tools";
import { applyStack, destroyStack, planStack } from "../../../test-support/terraform-apply";
import { EMULATED_PROVIDERS } from "../../../test-support/terraform-apply/config";
import { HandStack, Json, logExec, makeHandStack } from "../../../test-support/terraform-apply/hand-stack";
import { makeTempDir } from "../../../test-support/fixtures";

jest.setTimeout(120_000);

type Engine = "interpreter" | "terraform";
const PINNED = Object.fromEntries(
  Object.entries(EMULATED_PROVIDERS).map(([name, p]) => [name, { source: p.source, version: p.version }]),
);

/** A hand stack with every emulated provider pinned, run by `engine`. */
class Case {
  readonly h: HandStack = makeHandStack();
  private readonly env: NodeJS.ProcessEnv;
  private initialized = false;

  constructor(readonly engine: Engine) {
    this.env = engine === "terraform" ? terraformEnv(process.env, makeTempDir("tf-semantics-")) : process.env;
  }

  write(parts: { resource?: Json; data?: Json; variable?: Json }): void {
    this.h.write({ ...parts, terraform: { required_providers: PINNED } });
    if (this.engine === "terraform" && !this.initialized) {
      terraformInit(this.h.stackDir, this.env);
      this.initialized = true;
    }
  }

  async apply(): Promise<void> {
    if (this.engine === "terraform") {
      const r = await startTerraform(this.h.stackDir, ["apply", "-auto-approve", "-no-color"], this.env).done;
      if (r.code !== 0) throw new Error(r.output);
      return;
    }
    const r = await applyStack({ stackDir: this.h.stackDir, env: this.env });
    if (r.failed.length > 0) throw new Error(JSON.stringify(r.failed));
  }

  async destroy(): Promise<void> {
    if (this.engine === "terraform") {
      const r = await startTerraform(this.h.stackDir, ["destroy", "-auto-approve", "-no-color"], this.env)
        .done;
      if (r.code !== 0) throw new Error(r.output);
      return;
    }
    const r = await destroyStack({ stackDir: this.h.stackDir, env: this.env });
    if (r.failed.length > 0) throw new Error(JSON.stringify(r.failed));
  }

  /** `<address> <action>` of what a plan changes; data sources only when their read waits for apply. */
  async plan(): Promise<string[]> {
    if (this.engine === "terraform")
      return (await terraformPlanActions(this.h.stackDir, this.env))
        .filter((c) => !c.actions.every((a) => a === "no-op"))
        .map((c) => `${c.address} ${c.actions.length === 2 ? "replace" : c.actions[0]}`)
        .sort();
    const p = await planStack({ stackDir: this.h.stackDir, env: this.env });
    return p.changes
      .filter((c) => c.action !== "keep" && !(c.action === "read" && c.reason === "during plan"))
      .map((c) => `${c.address} ${c.action}`)
      .sort();
  }

  cleanup(): void {
    this.h.cleanup();
  }
}

/** Runs `scenario` with both engines and returns what each observed. */
async function both<T>(scenario: (c: Case) => Promise<T>): Promise<Record<Engine, T>> {
  const out: Partial<Record<Engine, T>> = {};
  for (const engine of ["terraform", "interpreter"] as const) {
    const c = new Case(engine);
    try {
      out[engine] = await scenario(c);
    } finally {
      c.cleanup();
    }
  }
  return out as Record<Engine, T>;
}

requireTools("real-terraform").describe("the interpreter and the real Terraform 1.11.4 agree", () => {
  it.each([
    ["a map (a map-typed variable, as the step check's data source result)", true],
    ["an object literal", false],
  ])(
    "replace_triggered_by with a path into %s: nothing on the named resource's creation, only the changed key's resource on its update",
    async (_what, map) => {
      const seen = await both(async (c) => {
        const tokens = (a: string) =>
          map
            ? { terraform_data: { t: { input: "${var.tokens}" } } }
            : { terraform_data: { t: { input: { a, b: "" } } } };
        const variable = (a: string) =>
          map ? { variable: { tokens: { type: "map(string)", default: { a, b: "" } } } } : {};
        const nulls = (withTriggers: boolean) => ({
          a: {
            ...(withTriggers ? { lifecycle: { replace_triggered_by: ['terraform_data.t.input["a"]'] } } : {}),
            provisioner: [logExec("create a"), logExec("destroy a", {}, { when: "destroy" })],
          },
          b: {
            ...(withTriggers ? { lifecycle: { replace_triggered_by: ['terraform_data.t.input["b"]'] } } : {}),
            provisioner: [logExec("create b")],
          },
        });
        c.write({ resource: { null_resource: nulls(false) } });
        await c.apply();
        c.write({ ...variable(""), resource: { ...tokens(""), null_resource: nulls(true) } });
        const upgrade = await c.plan();
        await c.apply();
        c.write({ ...variable("changed"), resource: { ...tokens("changed"), null_resource: nulls(true) } });
        const repair = await c.plan();
        await c.apply();
        // The first creates run side by side (their order is Terraform's choice); the repair's come after.
        const events = c.h.events();
        return {
          upgrade,
          repair,
          created: events.slice(0, 2).sort(),
          repaired: events.slice(2),
          after: await c.plan(),
        };
      });
      expect(seen.interpreter).toEqual(seen.terraform);
      expect(seen.terraform.upgrade).toEqual(["terraform_data.t create"]);
      expect(seen.terraform.repair).toEqual(
        map ? ["null_resource.a replace", "terraform_data.t update"] : ["terraform_data.t update"],
      );
    },
  );

  it("a data source waits for apply only when what it names directly changes, and the plan before a destroy is a normal plan", async () => {
    const seen = await both(async (c) => {
      fs.writeFileSync(
        c.h.abs("program.cjs"),
        `require("fs").appendFileSync(require("path").join(__dirname, "events.log"), "read\\n"); process.stdout.write('{"ip":"10.0.0.1"}')`,
      );
      const stack = (tag: string, vmTag: string) =>
        c.write({
          resource: {
            null_resource: {
              base: { triggers: { tag } },
              vm: { triggers: { tag: vmTag }, depends_on: ["null_resource.base"] },
            },
          },
          data: {
            external: {
              ip: { depends_on: ["null_resource.vm"], program: ["node", path.join(c.h.root, "program.cjs")] },
            },
          },
        });
      stack("1", "1");
      await c.apply();
      stack("2", "1");
      const ancestorChanged = await c.plan();
      stack("2", "2");
      const directChanged = await c.plan();
      fs.writeFileSync(c.h.abs("events.log"), "");
      await c.destroy();
      return { ancestorChanged, directChanged, readsByDestroy: c.h.events() };
    });
    expect(seen.interpreter).toEqual(seen.terraform);
    expect(seen.terraform.directChanged).toContain("data.external.ip read");
    expect(seen.terraform.ancestorChanged).not.toContain("data.external.ip read");
  });
});

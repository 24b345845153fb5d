import * as fs from "node:fs";
import { waitUntilDead } from "../../../test-support/processes";
import { applyStack, planStack, StackOptions } from "../../../test-support/terraform-apply";
import { EMULATED_PROVIDERS, TERRAFORM_VERSION } from "../../../test-support/terraform-apply/config";
import { HandStack, Json, logExec, makeHandStack } from "../../../test-support/terraform-apply/hand-stack";
import { startStackProcess } from "../../../test-support/terraform-apply/process";

/**
 * What the interpreter reproduces of Terraform 1.11.4 beyond plain create/replace/destroy: terraform_data,
 * lifecycle.replace_triggered_by, the provider versions it emulates, when a data source waits for apply,
 * and when the state reaches the disk (so what a killed apply leaves). Each rule cites its source in
 * test-support/terraform-apply; __tests__/test-support/terraform-apply/real-traces.test.ts holds the
 * interpreter to runs of the real Terraform.
 */

let h: HandStack;
beforeEach(() => (h = makeHandStack()));
afterEach(() => h.cleanup());

const apply = (over: Partial<StackOptions> = {}) => applyStack({ stackDir: h.stackDir, ...over });
const plan = (over: Partial<StackOptions> = {}) => planStack({ stackDir: h.stackDir, ...over });
const actions = (r: { changes: readonly { address: string; action: string; reason?: string }[] }) =>
  Object.fromEntries(r.changes.map((c) => [c.address, c.action]));
const clean = (r: { failed: readonly unknown[] }) => expect(r.failed).toEqual([]);

it("names the Terraform it reproduces and pins the providers the stacks pin", () => {
  expect(TERRAFORM_VERSION).toBe("1.11.4");
  expect(EMULATED_PROVIDERS).toEqual({
    null: { source: "hashicorp/null", version: "3.2.4" },
    local: { source: "hashicorp/local", version: "2.6.1" },
    external: { source: "hashicorp/external", version: "2.3.5" },
  });
});

describe("required_providers", () => {
  it.each([
    [
      "null",
      { source: "hashicorp/null", version: "3.2.3" },
      /hashicorp\/null version "3\.2\.3".*reproduces hashicorp\/null 3\.2\.4/,
    ],
    ["local", { source: "hashicorp/local", version: "~> 2.6" }, /hashicorp\/local version "~> 2\.6"/],
    [
      "random",
      { source: "hashicorp/random", version: "3.6.0" },
      /provider random \(hashicorp\/random\).*emulates/,
    ],
  ])("refuses %s %j", async (name, req, message) => {
    h.write({ terraform: { required_providers: { [name]: req } }, resource: { null_resource: { a: {} } } });
    await expect(plan()).rejects.toThrow(message);
  });

  it("accepts the pinned versions, spelled as cdktf writes them", async () => {
    h.write({
      terraform: {
        required_providers: {
          null: { source: "null", version: "3.2.4" },
          local: { source: "hashicorp/local", version: "2.6.1" },
          external: { source: "registry.terraform.io/hashicorp/external", version: "2.3.5" },
        },
      },
      resource: { null_resource: { a: {} } },
    });
    clean(await plan());
  });
});

describe("terraform_data", () => {
  const stack = (input: string, trigger = "t1") =>
    h.write({
      resource: {
        terraform_data: { d: { input, triggers_replace: trigger } },
        null_resource: { user: { triggers: { out: "${terraform_data.d.output}" } } },
      },
    });

  it("is created with output = input, updated in place when input changes, replaced when triggers_replace does", async () => {
    stack("a");
    clean(await apply());
    const first = h.stateInstance("terraform_data", "d")!.attributes as Json;
    expect(first).toMatchObject({ input: "a", output: "a", triggers_replace: "t1" });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);

    stack("b");
    const p = await plan();
    expect(p.changes).toEqual(
      expect.arrayContaining([
        { address: "terraform_data.d", action: "update", reason: "input changed" },
        // the output is unknown until the update is applied, so what reads it is replaced
        { address: "null_resource.user", action: "replace", reason: "triggers changed" },
      ]),
    );
    const r = await apply();
    clean(r);
    const second = h.stateInstance("terraform_data", "d")!.attributes as Json;
    expect(second).toMatchObject({ id: first.id, input: "b", output: "b" });

    stack("b", "t2");
    expect(actions(await plan())["terraform_data.d"]).toBe("replace");
  });
});

describe("lifecycle.replace_triggered_by", () => {
  /**
   * `a` and `b` are replaced when their key of terraform_data.t's input changes; `w` on any change of t.
   * The input is a map (a map-typed variable, as the step check's is a data source's result): a literal
   * object would not do, its elements being attributes, not keys (see the next case).
   */
  const stack = (tokens: Json | undefined) =>
    h.write({
      ...(tokens ? { variable: { tokens: { type: "map(string)", default: tokens } } } : {}),
      resource: {
        ...(tokens ? { terraform_data: { t: { input: "${var.tokens}" } } } : {}),
        null_resource: {
          a: {
            ...(tokens ? { lifecycle: { replace_triggered_by: ['terraform_data.t.input["a"]'] } } : {}),
            provisioner: [logExec("create a"), logExec("destroy a", {}, { when: "destroy" })],
          },
          b: {
            ...(tokens ? { lifecycle: { replace_triggered_by: ['terraform_data.t.input["b"]'] } } : {}),
            provisioner: [logExec("create b")],
          },
          w: {
            ...(tokens ? { lifecycle: { replace_triggered_by: ["terraform_data.t"] } } : {}),
            provisioner: [logExec("create w")],
          },
        },
      },
    });

  it("replaces nothing when the named resource is created (a stack gaining it), then only what its changed key names", async () => {
    stack(undefined);
    clean(await apply());
    stack({ a: "", b: "" });
    const upgrade = await apply();
    clean(upgrade);
    expect(actions(upgrade)).toEqual({
      "terraform_data.t": "create",
      "null_resource.a": "keep",
      "null_resource.b": "keep",
      "null_resource.w": "keep",
    });
    expect(h.events()).toEqual(["create a", "create b", "create w"]);

    stack({ a: "repair 1", b: "" });
    const repaired = await apply();
    clean(repaired);
    expect(repaired.changes).toEqual([
      {
        address: "null_resource.a",
        action: "replace",
        reason: 'replace_triggered_by terraform_data.t.input["a"]',
      },
      { address: "null_resource.b", action: "keep" },
      { address: "null_resource.w", action: "replace", reason: "replace_triggered_by terraform_data.t" },
      { address: "terraform_data.t", action: "update", reason: "input changed" },
    ]);
    expect(h.events().slice(3)).toEqual(expect.arrayContaining(["destroy a", "create a", "create w"]));
    expect(h.events()).toHaveLength(6);
    expect(new Set(Object.values(actions(await plan())))).toEqual(new Set(["keep"]));
  });

  it("an index path into an object (a literal input) never triggers, as cty's IndexStep does not apply to objects", async () => {
    const literal = (a: string) =>
      h.write({
        resource: {
          terraform_data: { t: { input: { a } } },
          null_resource: { a: { lifecycle: { replace_triggered_by: ['terraform_data.t.input["a"]'] } } },
        },
      });
    literal("1");
    clean(await apply());
    literal("2");
    expect(actions(await plan())).toEqual({ "terraform_data.t": "update", "null_resource.a": "keep" });
  });

  it("is a bare reference: a template, something other than a managed resource, or an undeclared one is refused", async () => {
    const withTrigger = (entry: string) =>
      h.write({
        resource: {
          terraform_data: { t: { input: "x" } },
          null_resource: { a: { lifecycle: { replace_triggered_by: [entry] } } },
        },
      });
    withTrigger("${terraform_data.t.input}");
    await expect(plan()).rejects.toThrow(/is a template; give the bare reference/);
    withTrigger("var.x");
    await expect(plan()).rejects.toThrow(/does not name a managed resource/);
    withTrigger("terraform_data.nope");
    await expect(plan()).rejects.toThrow(
      /replace_triggered_by names undeclared resource terraform_data\.nope/,
    );
  });
});

describe("data sources", () => {
  const PROGRAM = `process.stdout.write(JSON.stringify({ ip: "10.0.0.1" }))`;

  it("wait for apply only when what they depend on directly has changes, not what that depends on", async () => {
    fs.writeFileSync(h.abs("program.cjs"), PROGRAM);
    const stack = (tag: string) =>
      h.write({
        variable: { tag: { type: "string", default: tag } },
        resource: {
          null_resource: {
            base: { triggers: { tag: "${var.tag}" } },
            vm: { depends_on: ["null_resource.base"], provisioner: [logExec("create vm")] },
          },
        },
        data: {
          external: {
            ip: { depends_on: ["null_resource.vm"], program: ["node", "../../../program.cjs"] },
          },
        },
      });
    stack("1");
    clean(await apply());
    stack("2");
    const p = await plan();
    expect(p.changes.find((c) => c.address === "null_resource.base")?.action).toBe("replace");
    expect(p.changes.find((c) => c.address === "data.external.ip")).toEqual({
      address: "data.external.ip",
      action: "read",
      reason: "during plan",
    });
  });
});

describe("what reaches the state file, and when", () => {
  /** `slow` waits in its provisioner until <root>/go exists; `quick` finishes at once unless it must wait for `slow`. */
  const stack = (quickAfterSlow: boolean) =>
    h.write({
      resource: {
        null_resource: {
          slow: {
            provisioner: [
              {
                "local-exec": {
                  command:
                    "echo started > ../../../slow.started; while [ ! -e ../../../go ]; do sleep 0.05; done",
                },
              },
            ],
          },
          quick: {
            ...(quickAfterSlow ? { depends_on: ["null_resource.slow"] } : {}),
            provisioner: [{ "local-exec": { command: "sleep 0.3; echo done > ../../../quick.done" } }],
          },
        },
      },
    });
  const recorded = () =>
    fs.existsSync(h.abs("terraform.s.tfstate"))
      ? h
          .readState()
          .resources.map((r) => `${r.name}${(r.instances as Json[])[0].status ? " (tainted)" : ""}`)
      : [];
  const waitFor = async (file: string) => {
    for (let i = 0; i < 400 && !fs.existsSync(h.abs(file)); i++) await new Promise((r) => setTimeout(r, 25));
    expect(fs.existsSync(h.abs(file))).toBe(true);
  };

  it("writes a resource whose provisioner runs only when another operation completes meanwhile, untainted", async () => {
    stack(false);
    const run = apply();
    await waitFor("slow.started");
    await waitFor("quick.done");
    for (let i = 0; i < 200 && !recorded().includes("quick"); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(recorded()).toEqual(["quick", "slow"]);
    h.touch("go");
    clean(await run);
  });

  it("a hard kill of the whole process group leaves the state as last written: the running resource recorded, untainted, and never run again", async () => {
    stack(false);
    const deploy = startStackProcess("apply", h.stackDir, process.env);
    await waitFor("slow.started");
    await waitFor("quick.done");
    for (let i = 0; i < 200 && !recorded().includes("quick"); i++)
      await new Promise((r) => setTimeout(r, 25));
    deploy.kill("SIGKILL");
    const end = await deploy.done;
    expect(end.signal).toBe("SIGKILL");
    expect(recorded()).toEqual(["quick", "slow"]);
    // the provisioner's shell died with the group
    expect(await waitUntilDead([deploy.pid])).toEqual([]);
    fs.rmSync(h.abs("slow.started"));
    const again = await apply();
    clean(again);
    expect(actions(again)).toEqual({ "null_resource.quick": "keep", "null_resource.slow": "keep" });
    expect(fs.existsSync(h.abs("slow.started"))).toBe(false);
  });

  it("a closed terminal (SIGHUP to the group) does the same; with nothing completed meanwhile, nothing is recorded", async () => {
    stack(true);
    const deploy = startStackProcess("apply", h.stackDir, process.env);
    await waitFor("slow.started");
    deploy.kill("SIGHUP");
    const end = await deploy.done;
    expect(end.signal).toBe("SIGHUP");
    expect(recorded()).toEqual([]);
    h.touch("go");
    const again = await apply();
    clean(again);
    expect(actions(again)).toEqual({ "null_resource.quick": "create", "null_resource.slow": "create" });
  });
});

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitUntilDead } from "../../../test-support/processes";
import {
  applyStack,
  destroyStack,
  planStack,
  StackOptions,
  StackResult,
} from "../../../test-support/terraform-apply";
import { HandStack, Json, logExec, makeHandStack } from "../../../test-support/terraform-apply/hand-stack";

/** Hand-written stacks (test-support/terraform-apply/hand-stack.ts), one per test. */
let h: HandStack;
let stackDir: string;

beforeEach(() => {
  h = makeHandStack();
  ({ stackDir } = h);
});
afterEach(() => h.cleanup());

const abs = (rel: string) => h.abs(rel);
const events = () => h.events();
const touch = (rel: string) => h.touch(rel);
const readState = (): any => h.readState();
const stateInstance = (type: string, name: string): any => h.stateInstance(type, name);
const writeStack = (parts: Parameters<HandStack["write"]>[0]) => h.write(parts);

const apply = (over: Partial<StackOptions> = {}) => applyStack({ stackDir, ...over });
const actions = (r: { changes: readonly { address: string; action: string }[] }) =>
  Object.fromEntries(r.changes.map((c) => [c.address, c.action]));
const expectClean = (r: StackResult) => {
  expect(r.failed).toEqual([]);
  expect(r.skipped).toEqual([]);
};

/** base <- child (triggers reference base.id); note (local_file) <- base; other is unrelated. */
function writeChainStack(): void {
  writeStack({
    variable: { tag: { type: "string", default: "v1" } },
    resource: {
      null_resource: {
        base: {
          "//": { metadata: { path: "s/base" } },
          triggers: { tag: "${var.tag}" },
          provisioner: [
            logExec("create base $TAG", { TAG: "${self.triggers.tag}" }),
            logExec("destroy base $TAG", { TAG: "${self.triggers.tag}" }, { when: "destroy" }),
          ],
        },
        child: {
          triggers: { base: "${null_resource.base.id}", name: "child" },
          provisioner: [
            logExec("create child $BASE", { BASE: "${self.triggers.base}" }),
            logExec("destroy child $BASE", { BASE: "${self.triggers.base}" }, { when: "destroy" }),
          ],
        },
        other: { triggers: { x: "1" }, provisioner: [logExec("create other")] },
      },
      local_file: {
        note: {
          filename: "../../../out/deep/note.txt",
          content: "base=${null_resource.base.id} tag=${var.tag}\n",
          file_permission: "0640",
          directory_permission: "0750",
        },
      },
    },
    output: {
      child_base: { value: "${null_resource.child.triggers.base}" },
      note_sha: { value: "${local_file.note.content_sha256}" },
      fixed: { value: "${[var.tag]}" },
    },
  });
}

describe("applyStack on a fresh state", () => {
  it("creates everything in dependency order, writes files with their modes, records state and outputs", async () => {
    writeChainStack();
    const r = await apply();
    expectClean(r);
    expect(actions(r)).toEqual({
      "local_file.note": "create",
      "null_resource.base": "create",
      "null_resource.child": "create",
      "null_resource.other": "create",
    });

    const baseId = stateInstance("null_resource", "base").attributes.id as string;
    expect(baseId).toMatch(/^\d+$/);
    const log = events();
    expect(log).toEqual(expect.arrayContaining(["create base v1", `create child ${baseId}`, "create other"]));
    expect(log.indexOf("create base v1")).toBeLessThan(log.indexOf(`create child ${baseId}`));

    const content = `base=${baseId} tag=v1\n`;
    const note = abs("out/deep/note.txt");
    expect(fs.readFileSync(note, "utf8")).toBe(content);
    const umask = process.umask();
    expect(fs.statSync(note).mode & 0o777).toBe(0o640 & ~umask);
    expect(fs.statSync(abs("out/deep")).mode & 0o777).toBe(0o750 & ~umask);
    expect(fs.statSync(abs("out")).mode & 0o777).toBe(0o750 & ~umask);

    const noteState = stateInstance("local_file", "note").attributes;
    expect(noteState.id).toBe(crypto.createHash("sha1").update(content).digest("hex"));
    expect(noteState.content_md5).toBe(crypto.createHash("md5").update(content).digest("hex"));
    expect(noteState.content_base64sha256).toBe(crypto.createHash("sha256").update(content).digest("base64"));
    expect(noteState.content_sha512).toBe(crypto.createHash("sha512").update(content).digest("hex"));
    expect(stateInstance("null_resource", "child").dependencies).toEqual(["null_resource.base"]);

    expect(r.outputs).toEqual({
      child_base: baseId,
      note_sha: crypto.createHash("sha256").update(content).digest("hex"),
      fixed: ["v1"],
    });
    expect(readState().outputs.child_base.value).toBe(baseId);
    expect(r.statePath).toBe(abs("terraform.s.tfstate"));
  });

  it("keeps everything on a second apply with unchanged inputs: no command runs", async () => {
    writeChainStack();
    expectClean(await apply());
    const before = events();
    const r = await apply();
    expectClean(r);
    expect(new Set(Object.values(actions(r)))).toEqual(new Set(["keep"]));
    expect(r.runs).toEqual([]);
    expect(events()).toEqual(before);
    expect(fs.existsSync(abs("terraform.s.tfstate.backup"))).toBe(true);
  });

  it("plans without side effects", async () => {
    writeChainStack();
    const p = await planStack({ stackDir });
    expect(p.failed).toEqual([]);
    expect(actions(p)["null_resource.child"]).toBe("create");
    expect(fs.existsSync(abs("terraform.s.tfstate"))).toBe(false);
    expect(fs.existsSync(abs("out"))).toBe(false);
    expect(events()).toEqual([]);
  });
});

describe("replacement", () => {
  it("replaces on a trigger change: destroy provisioners see the OLD self, dependents first; then creates in order", async () => {
    writeChainStack();
    expectClean(await apply());
    const oldId = stateInstance("null_resource", "base").attributes.id;
    fs.writeFileSync(abs("events.log"), "");

    const plan = await planStack({ stackDir, variables: { tag: "v2" } });
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        { address: "null_resource.base", action: "replace", reason: "triggers changed" },
        { address: "null_resource.child", action: "replace", reason: "triggers changed" },
        { address: "local_file.note", action: "replace", reason: "content changed" },
        { address: "null_resource.other", action: "keep" },
      ]),
    );

    const r = await apply({ variables: { tag: "v2" } });
    expectClean(r);
    const newId = stateInstance("null_resource", "base").attributes.id;
    expect(newId).not.toBe(oldId);
    const log = events();
    expect(log).toEqual([
      `destroy child ${oldId}`,
      "destroy base v1",
      "create base v2",
      `create child ${newId}`,
    ]);
    expect(fs.readFileSync(abs("out/deep/note.txt"), "utf8")).toBe(`base=${newId} tag=v2\n`);
    expect(r.outputs.child_base).toBe(newId);
  });

  it("orders a create after a create it reaches only through a kept resource", async () => {
    const stack = (version: string) =>
      writeStack({
        resource: {
          null_resource: {
            a: {
              triggers: { v: version },
              provisioner: [
                { "local-exec": { command: "sleep 0.5; echo 'create a' >> ../../../events.log" } },
              ],
            },
            b: { depends_on: ["null_resource.a"] },
            c: { triggers: { v: version, b: "${null_resource.b.id}" }, provisioner: [logExec("create c")] },
          },
        },
      });
    stack("1");
    expectClean(await apply());
    stack("2");
    const r = await apply();
    expectClean(r);
    expect(actions(r)).toEqual({
      "null_resource.a": "replace",
      "null_resource.b": "keep",
      "null_resource.c": "replace",
    });
    expect(events()).toEqual(["create a", "create c", "create a", "create c"]);
  });

  it("re-creates a local_file whose file was deleted or edited, as the provider's refresh does", async () => {
    writeChainStack();
    expectClean(await apply());
    const note = abs("out/deep/note.txt");
    const content = fs.readFileSync(note, "utf8");

    fs.rmSync(note);
    let r = await apply();
    expectClean(r);
    expect(r.changes.find((c) => c.address === "local_file.note")).toEqual({
      address: "local_file.note",
      action: "create",
      reason: "gone from disk (refresh removed it from state)",
    });
    expect(fs.readFileSync(note, "utf8")).toBe(content);

    fs.writeFileSync(note, "edited by hand\n");
    r = await apply();
    expect(actions(r)["local_file.note"]).toBe("create");
    expect(fs.readFileSync(note, "utf8")).toBe(content);
    expect(actions(r)["null_resource.base"]).toBe("keep");
  });

  it("replaces what references a re-created local_file's checksum: it is known only after apply, even for the same content", async () => {
    writeStack({
      resource: {
        local_file: { vmx: { filename: "../../../gen/a.vmx", content: "same" } },
        null_resource: {
          power: {
            triggers: { vmx_sha256: "${local_file.vmx.content_sha256}" },
            provisioner: [logExec("start"), logExec("stop", {}, { when: "destroy" })],
          },
        },
      },
    });
    expectClean(await apply());
    fs.rmSync(abs("gen/a.vmx"));
    const r = await apply();
    expectClean(r);
    expect(actions(r)).toEqual({ "local_file.vmx": "create", "null_resource.power": "replace" });
    expect(events()).toEqual(["start", "stop", "start"]);
  });

  it("replaces a local_file when only its permission changes", async () => {
    writeStack({
      resource: { local_file: { f: { filename: "f.txt", content: "x", file_permission: "0600" } } },
    });
    expectClean(await apply());
    writeStack({
      resource: { local_file: { f: { filename: "f.txt", content: "x", file_permission: "0644" } } },
    });
    const r = await apply();
    expect(r.changes).toEqual([
      { address: "local_file.f", action: "replace", reason: "file_permission changed" },
    ]);
    expect(fs.statSync(path.join(stackDir, "f.txt")).mode & 0o777).toBe(0o644 & ~process.umask());
  });
});

/** a (fails while <root>/fail-a exists) <- b; c unrelated. */
function writeTaintStack(): void {
  writeStack({
    resource: {
      null_resource: {
        a: {
          triggers: { k: "a" },
          provisioner: [
            {
              "local-exec": {
                command:
                  "if [ -f ../../../fail-a ]; then echo 'a broke' >&2; exit 3; fi; echo 'create a' >> ../../../events.log",
              },
            },
            logExec("destroy a", {}, { when: "destroy" }),
          ],
        },
        b: { triggers: { a: "${null_resource.a.id}" }, provisioner: [logExec("create b")] },
        c: { triggers: { k: "c" }, provisioner: [logExec("create c")] },
      },
    },
  });
}

describe("failures", () => {
  it("taints a resource whose create provisioner fails, skips its dependents, finishes unrelated branches; the next apply replaces it without its destroy provisioner", async () => {
    writeTaintStack();
    touch("fail-a");
    const r1 = await apply();
    expect(r1.failed).toEqual([
      {
        address: "null_resource.a",
        error: expect.stringMatching(/local-exec provisioner error.*exit status 3.*a broke/),
      },
    ]);
    expect(r1.skipped).toEqual(["null_resource.b"]);
    expect(events()).toEqual(["create c"]);
    expect(stateInstance("null_resource", "a").status).toBe("tainted");
    expect(stateInstance("null_resource", "b")).toBeUndefined();
    expect(r1.runs.find((x) => x.address === "null_resource.a")?.output).toContain("a broke");

    fs.rmSync(abs("fail-a"));
    const r2 = await apply();
    expectClean(r2);
    expect(r2.changes).toEqual([
      { address: "null_resource.a", action: "replace", reason: "tainted" },
      { address: "null_resource.b", action: "create", reason: "not in state" },
      { address: "null_resource.c", action: "keep" },
    ]);
    expect(events()).toEqual(["create c", "create a", "create b"]); // no "destroy a": the object was tainted
    expect(stateInstance("null_resource", "a").status).toBeUndefined();
  });

  it("ignores a failing provisioner with on_failure = continue", async () => {
    writeStack({
      resource: {
        null_resource: {
          a: {
            provisioner: [{ "local-exec": { command: "exit 5", on_failure: "continue" } }, logExec("after")],
          },
        },
      },
    });
    const r = await apply();
    expectClean(r);
    expect(events()).toEqual(["after"]);
    expect(stateInstance("null_resource", "a").status).toBeUndefined();
  });

  it("kills a command at its deadline, group and all, and taints the resource", async () => {
    writeStack({
      resource: {
        null_resource: {
          slow: {
            provisioner: [{ "local-exec": { command: "sleep 30 & echo $! > ../../../child.pid; wait" } }],
          },
        },
      },
    });
    const r = await apply({ commandTimeoutMs: 1000 });
    expect(r.failed).toEqual([
      {
        address: "null_resource.slow",
        error: expect.stringContaining("did not finish within 1 s and was killed"),
      },
    ]);
    const pid = Number(fs.readFileSync(abs("child.pid"), "utf8"));
    expect(await waitUntilDead([pid])).toEqual([]);
    expect(stateInstance("null_resource", "slow").status).toBe("tainted");
  });

  it("stops on abort: the running command is killed, its resource tainted, nothing else starts", async () => {
    writeStack({
      resource: {
        null_resource: {
          first: { provisioner: [{ "local-exec": { command: "touch ../../../started; sleep 30" } }] },
          second: { depends_on: ["null_resource.first"], provisioner: [logExec("second")] },
        },
      },
    });
    const controller = new AbortController();
    const run = apply({ signal: controller.signal });
    while (!fs.existsSync(abs("started"))) await new Promise((res) => setTimeout(res, 20));
    controller.abort();
    const r = await run;
    expect(r.aborted).toBe(true);
    expect(r.failed).toEqual([
      { address: "null_resource.first", error: expect.stringContaining("interrupted") },
    ]);
    expect(r.skipped).toEqual(["null_resource.second"]);
    expect(stateInstance("null_resource", "first").status).toBe("tainted");
    expect(events()).toEqual([]);
  });
});

describe("destroyStack", () => {
  it("destroys dependents first with self = the stored object, removes files, leaves an empty state", async () => {
    writeChainStack();
    expectClean(await apply());
    const baseId = stateInstance("null_resource", "base").attributes.id;
    fs.writeFileSync(abs("events.log"), "");
    const r = await destroyStack({ stackDir });
    expectClean(r);
    expect(new Set(Object.values(actions(r)))).toEqual(new Set(["delete"]));
    expect(events()).toEqual([`destroy child ${baseId}`, "destroy base v1"]);
    expect(fs.existsSync(abs("out/deep/note.txt"))).toBe(false);
    expect(fs.existsSync(abs("out/deep"))).toBe(true); // the provider never removes directories
    expect(readState().resources).toEqual([]);
    expect(r.outputs).toEqual({});
  });

  it("keeps a resource whose destroy provisioner fails (and what it depends on), destroys the rest, and succeeds on a rerun", async () => {
    writeStack({
      resource: {
        null_resource: {
          base: { provisioner: [logExec("destroy base", {}, { when: "destroy" })] },
          child: {
            depends_on: ["null_resource.base"],
            provisioner: [
              {
                "local-exec": {
                  when: "destroy",
                  command:
                    "if [ -f ../../../fail-destroy ]; then exit 4; fi; echo 'destroy child' >> ../../../events.log",
                },
              },
            ],
          },
          other: { provisioner: [logExec("destroy other", {}, { when: "destroy" })] },
        },
      },
    });
    expectClean(await apply());
    touch("fail-destroy");
    const r1 = await destroyStack({ stackDir });
    expect(r1.failed).toEqual([
      { address: "null_resource.child", error: expect.stringContaining("exit status 4") },
    ]);
    expect(r1.skipped).toEqual(["null_resource.base"]);
    expect(events()).toEqual(["destroy other"]);
    expect(readState().resources.map((x: Json) => x.name)).toEqual(["base", "child"]);

    fs.rmSync(abs("fail-destroy"));
    const r2 = await destroyStack({ stackDir });
    expectClean(r2);
    expect(events()).toEqual(["destroy other", "destroy child", "destroy base"]);
    expect(readState().resources).toEqual([]);
  });

  it("deletes a resource removed from the configuration without running its destroy provisioner", async () => {
    writeStack({
      resource: {
        null_resource: {
          keep: { triggers: { k: "1" } },
          gone: { provisioner: [logExec("destroy gone", {}, { when: "destroy" })] },
        },
      },
    });
    expectClean(await apply());
    writeStack({ resource: { null_resource: { keep: { triggers: { k: "1" } } } } });
    const r = await apply();
    expectClean(r);
    expect(r.changes).toEqual([
      { address: "null_resource.gone", action: "delete", reason: "not in configuration" },
      { address: "null_resource.keep", action: "keep" },
    ]);
    expect(events()).toEqual([]);
    expect(stateInstance("null_resource", "gone")).toBeUndefined();
  });
});

describe("data external", () => {
  // Answers {"ip": <the file the vm's provisioner writes>, "name": <query.name>}; fails or misbehaves on markers.
  const PROGRAM = `
const fs = require("fs");
const q = JSON.parse(fs.readFileSync(0, "utf8"));
if (fs.existsSync("../../../fail-read")) { process.stderr.write("no guest answer for " + q.name + "\\n"); process.exit(1); }
if (fs.existsSync("../../../bad-read")) { process.stdout.write(JSON.stringify({ ip: 42 })); process.exit(0); }
process.stdout.write(JSON.stringify({ ip: fs.readFileSync("../../../ip-" + q.name, "utf8").trim(), name: q.name }));
`;

  function writeDataStack(): void {
    fs.writeFileSync(abs("program.cjs"), PROGRAM);
    writeStack({
      variable: { name: { type: "string", default: "vm1" } },
      resource: {
        null_resource: {
          vm: {
            triggers: { name: "${var.name}" },
            provisioner: [
              {
                "local-exec": {
                  command: "echo 10.0.0.$N > ../../../ip-$NAME",
                  environment: { NAME: "${self.triggers.name}", N: "${length(self.triggers.name)}" },
                },
              },
            ],
          },
          other: {
            triggers: { name: "${var.name}" },
            provisioner: [logExec("other $NAME", { NAME: "${self.triggers.name}" })],
          },
        },
        local_file: {
          inventory: {
            depends_on: ["data.external.ip"],
            filename: "../../../inventory.env",
            content: 'IP=${data.external.ip.result["ip"]}\n',
          },
        },
      },
      data: {
        external: {
          ip: {
            depends_on: ["null_resource.vm"],
            program: ["node", "../../../program.cjs"],
            query: { name: "${var.name}" },
          },
        },
      },
      output: { ip: { value: "${data.external.ip.result.ip}" } },
    });
  }

  it("reads after the resource it depends on during the first apply, and during the plan once nothing changes", async () => {
    writeDataStack();
    const r1 = await apply();
    expectClean(r1);
    expect(r1.changes.find((c) => c.address === "data.external.ip")).toEqual({
      address: "data.external.ip",
      action: "read",
      reason: "during apply: it depends on null_resource.vm, which has changes planned",
    });
    expect(fs.readFileSync(abs("inventory.env"), "utf8")).toBe("IP=10.0.0.3\n");
    expect(r1.outputs).toEqual({ ip: "10.0.0.3" });
    expect(readState().resources.find((x: Json) => x.mode === "data").instances[0].attributes.result).toEqual(
      { ip: "10.0.0.3", name: "vm1" },
    );

    const r2 = await apply();
    expectClean(r2);
    expect(actions(r2)).toEqual({
      "data.external.ip": "read",
      "local_file.inventory": "keep",
      "null_resource.other": "keep",
      "null_resource.vm": "keep",
    });
    expect(r2.changes.find((c) => c.address === "data.external.ip")?.reason).toBe("during plan");
    expect(r2.runs.map((x) => [x.address, x.kind])).toEqual([["data.external.ip", "read"]]);
  });

  it("fails the plan (and applies nothing) when a program read during the plan fails", async () => {
    writeDataStack();
    expectClean(await apply());
    touch("fail-read");
    const stateBefore = fs.readFileSync(abs("terraform.s.tfstate"), "utf8");
    const r = await apply();
    expect(r.failed).toEqual([
      {
        address: "data.external.ip",
        error: expect.stringMatching(
          /External Program Execution Failed.*exit status 1: no guest answer for vm1/,
        ),
      },
    ]);
    expect(fs.readFileSync(abs("terraform.s.tfstate"), "utf8")).toBe(stateBefore);
  });

  it("fails a data source read during apply and its dependents, while unrelated branches complete", async () => {
    writeDataStack();
    expectClean(await apply());
    touch("fail-read");
    const r = await apply({ variables: { name: "vm22" } });
    expect(r.failed.map((f) => f.address)).toEqual(["data.external.ip"]);
    expect(r.skipped).toEqual(["local_file.inventory"]);
    expect(events()).toEqual(["other vm1", "other vm22"]);
    expect(fs.readFileSync(abs("ip-vm22"), "utf8").trim()).toBe("10.0.0.4");
    expect(r.outputs).toEqual({ ip: "10.0.0.3" }); // kept from before: its input failed
  });

  it("rejects a program whose JSON values are not all strings", async () => {
    writeDataStack();
    expectClean(await apply());
    touch("bad-read");
    const r = await apply();
    expect(r.failed).toEqual([
      { address: "data.external.ip", error: expect.stringContaining("values are all strings") },
    ]);
  });
});

describe("commands", () => {
  it("runs local-exec with working_dir and interpreter, with the environment added to the given env", async () => {
    fs.mkdirSync(abs("work"));
    writeStack({
      resource: {
        null_resource: {
          wd: {
            provisioner: [
              {
                "local-exec": {
                  command: "pwd > here.txt; echo $FROM_ENV $EXTRA >> here.txt",
                  working_dir: "../../../work",
                  environment: { EXTRA: "x" },
                },
              },
            ],
          },
          interp: {
            provisioner: [
              {
                "local-exec": {
                  command: "echo interp-$0 > ../../../interp.txt",
                  interpreter: ["/bin/sh", "-c"],
                },
              },
            ],
          },
        },
      },
    });
    expectClean(await apply({ env: { ...process.env, FROM_ENV: "inherited" } }));
    expect(fs.readFileSync(abs("work/here.txt"), "utf8")).toBe(`${abs("work")}\ninherited x\n`);
    expect(fs.readFileSync(abs("interp.txt"), "utf8")).toBe("interp-/bin/sh\n");
  });

  it("runs independent resources concurrently, but never more than parallelism at once", async () => {
    // Each command records how many commands were running when it started (a directory entry per runner).
    const resources = Object.fromEntries(
      ["a", "b", "c", "d"].map((n) => [
        n,
        {
          provisioner: [
            {
              "local-exec": {
                command: `mkdir -p ../../../running && touch ../../../running/${n} && ls ../../../running | wc -l >> ../../../seen && sleep 0.7 && rm ../../../running/${n}`,
              },
            },
          ],
        },
      ]),
    );
    writeStack({ resource: { null_resource: resources } });
    const seen = () => fs.readFileSync(abs("seen"), "utf8").trim().split("\n").map(Number);

    expectClean(await apply({ parallelism: 1 }));
    expect(seen()).toEqual([1, 1, 1, 1]);

    fs.rmSync(abs("seen"));
    fs.rmSync(abs("terraform.s.tfstate"));
    expectClean(await apply({ parallelism: 4 }));
    expect(Math.max(...seen())).toBeGreaterThan(1);
  });
});

describe("variables", () => {
  function writeVarStack(): void {
    writeStack({
      variable: {
        servers: {
          type: "list(string)",
          default: ["10.10.0.2"],
          validation: [
            {
              condition:
                '${length(var.servers) >= 1 && alltrue([for s in var.servers : can(regex("^[0-9.]+$", s))])}',
              error_message: "servers must be IPv4 addresses.",
            },
          ],
        },
        label: { type: "string" },
      },
      resource: {
        local_file: { out: { filename: "out.json", content: "${jsonencode(var.servers)} ${var.label}" } },
      },
    });
  }
  const content = () => fs.readFileSync(path.join(stackDir, "out.json"), "utf8");

  it("takes overrides first, then TF_VAR_ from env (HCL syntax for lists), then defaults", async () => {
    writeVarStack();
    expectClean(await apply({ env: { ...process.env, TF_VAR_label: "from-env" } }));
    expect(content()).toBe('["10.10.0.2"] from-env');
    expectClean(
      await apply({ env: { ...process.env, TF_VAR_label: "e", TF_VAR_servers: '["1.1.1.1", "2.2.2.2"]' } }),
    );
    expect(content()).toBe('["1.1.1.1","2.2.2.2"] e');
    expectClean(
      await apply({
        variables: { label: 7, servers: ["3.3.3.3"] },
        env: { ...process.env, TF_VAR_label: "ignored" },
      }),
    );
    expect(content()).toBe('["3.3.3.3"] 7');
  });

  it("skips a validation it cannot evaluate, and says so in notes", async () => {
    writeStack({
      variable: {
        n: {
          type: "number",
          default: 3,
          validation: [{ condition: "${ceil(var.n) == var.n}", error_message: "whole numbers only" }],
        },
      },
      resource: { null_resource: { a: { triggers: { n: "${var.n}" } } } },
    });
    const r = await apply();
    expectClean(r);
    expect(r.notes).toEqual(["variable n: validation not evaluated (unsupported: function ceil())"]);
    expect(stateInstance("null_resource", "a").attributes.triggers).toEqual({ n: "3" });
  });

  it("fails on a missing value, a failed validation or an undeclared override", async () => {
    writeVarStack();
    await expect(apply({ env: {} })).rejects.toThrow('No value for required variable "label"');
    await expect(apply({ variables: { label: "l", servers: ["not-an-ip"] } })).rejects.toThrow(
      'Invalid value for variable "servers": servers must be IPv4 addresses.',
    );
    await expect(apply({ variables: { label: "l", nope: "x" } })).rejects.toThrow("undeclared variable");
  });
});

describe("configurations beyond the subset", () => {
  const cases: [string, Json][] = [
    ["count", { resource: { null_resource: { a: { count: 2 } } } }],
    ["resource type", { resource: { random_id: { a: {} } } }],
    [
      "create_before_destroy",
      { resource: { null_resource: { a: { lifecycle: { create_before_destroy: true } } } } },
    ],
    [
      "remote-exec",
      { resource: { null_resource: { a: { provisioner: [{ "remote-exec": { inline: ["x"] } }] } } } },
    ],
    ["content_base64", { resource: { local_file: { a: { filename: "x", content_base64: "eA==" } } } }],
    ["locals", { locals: { a: 1 } }],
    ["path.module", { resource: { null_resource: { a: { triggers: { p: "${path.module}" } } } } }],
    ["function upper", { resource: { null_resource: { a: { triggers: { p: '${upper("x")}' } } } } }],
  ];
  it.each(cases)("throws unsupported: for %s", async (_what, json) => {
    fs.writeFileSync(path.join(stackDir, "cdk.tf.json"), JSON.stringify(json));
    await expect(apply()).rejects.toThrow(/^unsupported: /);
  });

  it("accepts trivial lifecycle settings", async () => {
    writeStack({
      resource: { null_resource: { a: { lifecycle: { create_before_destroy: false, ignore_changes: [] } } } },
    });
    expectClean(await apply());
  });

  it("rejects what Terraform rejects: a destroy provisioner referencing more than self, undeclared references, cycles", async () => {
    writeStack({
      variable: { v: { default: "x" } },
      resource: {
        null_resource: { a: { provisioner: [logExec("$V", { V: "${var.v}" }, { when: "destroy" })] } },
      },
    });
    await expect(apply()).rejects.toThrow("Invalid reference from destroy provisioner");
    writeStack({ resource: { null_resource: { a: { triggers: { b: "${null_resource.nope.id}" } } } } });
    await expect(apply()).rejects.toThrow("reference to undeclared resource null_resource.nope");
    writeStack({
      resource: {
        null_resource: {
          a: { triggers: { b: "${null_resource.b.id}" } },
          b: { depends_on: ["null_resource.a"] },
        },
      },
    });
    await expect(apply()).rejects.toThrow(/^Cycle: /);
  });
});

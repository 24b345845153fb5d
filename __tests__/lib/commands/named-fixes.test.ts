/**
 * Every message of the snapshot, teardown, manager and deploy commands that names a command as the fix:
 * the test brings the state that prints it about, checks the message names exactly that command, runs
 * that command (through the same command tree `npm run <entry> -- <args>` builds, with an in-memory
 * FakeHypervisor in place of vmrun), and checks it got the user out. Covered elsewhere: `npm run deploy
 * -- --remove-orphans` (deploy/run-deploy.test.ts), `npm run teardown -- --orphans` (scripts/teardown),
 * and the lock's `kill <pid>` (faults/concurrency-and-signals).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { CliContext } from "../../../lib/commands/common/context";
import { buildManagerProgram } from "../../../lib/commands/cli/manager";
import { buildSnapshotCommand } from "../../../lib/commands/cli/snapshot-commands";
import { configureTeardownCommand } from "../../../lib/commands/teardown/command";
import { readManifest } from "../../../lib/commands/snapshot/manifest";
import { CliProject, CLUSTER_VMS, createCliProject, fakeCliContext } from "../../../test-support/cli-project";
import { FakeHypervisor } from "../../../test-support/fake-hypervisor";

let p: CliProject;
let ctx: CliContext;
let hv: FakeHypervisor;
let out: string;
let err: string;
beforeEach(() => {
  p = createCliProject();
  ({ ctx, hv } = fakeCliContext(p));
  CLUSTER_VMS.forEach((vm, i) => (hv.vm(p.vmxOf(vm))!.ip = `10.10.0.${140 + i}`));
  out = "";
  err = "";
  jest.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  jest.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  jest.restoreAllMocks();
  p.cleanup();
});

const noDestroy = async () => ({ ok: true, detail: "no state" });

/** Runs `npm run <entry> -- <args>` as typed; resolves to the error it ended with, if any. */
async function run(command: string): Promise<Error | undefined> {
  const m = /^npm run (\w+)(?: -- (.*))?$/.exec(command);
  if (!m) throw new Error(`not an npm run command: ${command}`);
  const args = (m[2] ?? "").split(" ").filter((a) => a !== "");
  const trees: Record<string, () => Command> = {
    snapshot: () => buildSnapshotCommand(() => ctx),
    manager: () => buildManagerProgram(p.root, () => ctx),
    teardown: () => configureTeardownCommand(new Command("teardown"), () => ctx, noDestroy),
  };
  out = "";
  err = "";
  try {
    await trees[m[1]]().parseAsync(args, { from: "user" });
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

/** Runs `command`, expects it to fail, and returns the command its message names, checked to be `fix`. */
async function failsNaming(command: string, fix: string): Promise<void> {
  const e = await run(command);
  const said = `${e?.message ?? ""}\n${out}\n${err}`;
  expect(e).toBeDefined();
  expect(said).toContain(fix);
}

const vmx = (vm: string) => p.vmxOf(vm);
const snapshotsEverywhere = () => CLUSTER_VMS.map((vm) => hv.vm(vmx(vm))!.snapshots);
const records = () => fs.readdirSync(path.join(ctx.generatedDir, "snapshots"));
const failed = (message: string) => ({ kind: "failed" as const, message });

describe("snapshot create's fixes", () => {
  it("a name that exists: npm run snapshot -- delete <name>, then the create works", async () => {
    hv.vm(vmx("k8s-worker1"))!.snapshots.push("base");
    await failsNaming("npm run snapshot -- create base", "npm run snapshot -- delete base");
    expect(await run("npm run snapshot -- delete base")).toBeUndefined();
    expect(await run("npm run snapshot -- create base")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([["base"], ["base"], ["base"]]);
  });

  it("a VM that cannot be suspended: npm run snapshot -- create <name> without --consistent", async () => {
    hv.vm(vmx("k8s-master1"))!.running = true;
    hv.failNext("suspend", failed("The operation is not supported"), vmx("k8s-master1"));
    await failsNaming("npm run snapshot -- create s1 --consistent", "npm run snapshot -- create s1");
    expect(await run("npm run snapshot -- create s1")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([["s1"], ["s1"], ["s1"]]);
  });

  it("a suspend cut off at its deadline: once the dialog is closed, npm run snapshot -- create <name> --consistent again", async () => {
    hv.vm(vmx("k8s-master1"))!.running = true;
    hv.failNext("suspend", { kind: "timeout" }, vmx("k8s-master1"));
    await failsNaming(
      "npm run snapshot -- create s1 --consistent",
      "npm run snapshot -- create s1 --consistent again",
    );
    expect(await run("npm run snapshot -- create s1 --consistent")).toBeUndefined();
    expect(hv.vm(vmx("k8s-master1"))!.running).toBe(true);
  });

  it("a VM not resumed after a consistent set: npm run manager -- start-all", async () => {
    hv.vm(vmx("k8s-master1"))!.running = true;
    hv.failNext("start", failed("Unable to connect to host"), vmx("k8s-master1"));
    await failsNaming(
      "npm run snapshot -- create s1 --consistent",
      "start it with npm run manager -- start-all",
    );
    expect(hv.vm(vmx("k8s-master1"))!.running).toBe(false);
    expect(await run("npm run manager -- start-all")).toBeUndefined();
    expect(hv.vm(vmx("k8s-master1"))!.running).toBe(true);
  });

  it("a snapshot that failed: fix the VM, then npm run snapshot -- create <name> again", async () => {
    hv.failNext("snapshot", failed("Insufficient disk space"), vmx("k8s-worker1"));
    await failsNaming("npm run snapshot -- create base", "then run npm run snapshot -- create base again");
    expect(await run("npm run snapshot -- create base")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([["base"], ["base"], ["base"]]);
  });

  it("a snapshot cut off that took nothing: npm run snapshot -- create <name> again", async () => {
    hv.failNext("snapshot", { kind: "timeout" }, vmx("k8s-worker1"));
    await failsNaming("npm run snapshot -- create base", "then run npm run snapshot -- create base again");
    expect(await run("npm run snapshot -- create base")).toBeUndefined();
  });

  it("a snapshot cut off whose VM cannot be listed: npm run snapshot -- delete <name> removes what is left", async () => {
    hv.failNext("snapshot", { kind: "timeout", acted: true }, vmx("k8s-worker1"));
    hv.beforeNext(
      "snapshot",
      () => {
        hv.failNext("listSnapshots", failed("Unable to connect to host"), vmx("k8s-worker1"));
        hv.failNext("listSnapshots", failed("Unable to connect to host"), vmx("k8s-worker1"));
      },
      vmx("k8s-worker1"),
    );
    await failsNaming("npm run snapshot -- create base", "then run npm run snapshot -- delete base");
    expect(snapshotsEverywhere()).toEqual([[], [], ["base"]]);
    expect(await run("npm run snapshot -- delete base")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([[], [], []]);
    expect(records()).toEqual([]);
  });

  it("a partial set that could not be deleted again: npm run snapshot -- delete <name>", async () => {
    hv.failNext("snapshot", failed("Insufficient disk space"), vmx("k8s-worker1"));
    hv.failNext("deleteSnapshot", failed("Unable to connect to host"), vmx("gateway1"));
    await failsNaming("npm run snapshot -- create base", "run npm run snapshot -- delete base");
    expect(snapshotsEverywhere()).toEqual([["base"], [], []]);
    expect(await run("npm run snapshot -- delete base")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([[], [], []]);
    expect(records()).toEqual([]);
  });

  it("a partial set whose VM could not be listed to remove it: npm run snapshot -- delete <name>", async () => {
    hv.failNext("snapshot", failed("Insufficient disk space"), vmx("k8s-worker1"));
    hv.beforeNext(
      "snapshot",
      () => hv.failNext("listSnapshots", failed("Unable to connect to host"), vmx("gateway1")),
      vmx("k8s-worker1"),
    );
    await failsNaming("npm run snapshot -- create base", "run npm run snapshot -- delete base");
    expect(await run("npm run snapshot -- delete base")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([[], [], []]);
    expect(records()).toEqual([]);
  });

  it("an older set not pruned on one VM: npm run snapshot -- delete <older> --vm <vm>", async () => {
    expect(await run("npm run snapshot -- create one")).toBeUndefined();
    hv.failNext("deleteSnapshot", failed("Unable to connect to host"), vmx("k8s-worker1"));
    const e = await run("npm run snapshot -- create two");
    expect(e).toBeUndefined(); // the new set is whole: a failed prune costs disk space only
    expect(out).toContain("run npm run snapshot -- delete one --vm k8s-worker1");
    expect(await run("npm run snapshot -- delete one --vm k8s-worker1")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([["two"], ["two"], ["two"]]);
    expect(records()).toEqual(["two.json"]);
  });

  it("an interrupted deletion that could not be finished: npm run snapshot -- delete <name>", async () => {
    expect(await run("npm run snapshot -- create old")).toBeUndefined();
    const record = (await readManifest(path.join(ctx.generatedDir, "snapshots"), "old"))!;
    fs.writeFileSync(
      path.join(ctx.generatedDir, "snapshots", "old.json"),
      JSON.stringify({ ...record, result: "deleting" }),
    );
    hv.failNext("deleteSnapshot", failed("Unable to connect to host"), vmx("gateway1"));
    expect(await run("npm run snapshot -- create new")).toBeUndefined();
    expect(err).toContain("could not delete old (Unable to connect to host)");
    expect(err).toContain("or run npm run snapshot -- delete old");
    expect(await run("npm run snapshot -- delete old")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([["new"], ["new"], ["new"]]);
    expect(records()).toEqual(["new.json"]);
  });

  it("no sets yet: npm run snapshot -- create makes one", async () => {
    expect(await run("npm run snapshot -- list")).toBeUndefined();
    expect(out).toContain("no snapshot sets yet; make one with: npm run snapshot -- create");
    expect(await run("npm run snapshot -- create")).toBeUndefined();
    expect(await run("npm run snapshot -- list")).toBeUndefined();
    expect(out).toMatch(/^snap-\d{8}-\d{4}\s+\S+\s+complete\s+3\/3$/m);
  });
});

describe("snapshot delete's fixes", () => {
  beforeEach(async () => {
    expect(await run("npm run snapshot -- create base")).toBeUndefined();
  });

  it("a delete that failed: npm run snapshot -- delete <name> --vm <vm>", async () => {
    hv.failNext("deleteSnapshot", failed("Unable to connect to host"), vmx("k8s-master1"));
    await failsNaming(
      "npm run snapshot -- delete base",
      "run npm run snapshot -- delete base --vm k8s-master1",
    );
    expect(await run("npm run snapshot -- delete base --vm k8s-master1")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([[], [], []]);
    expect(records()).toEqual([]);
  });

  it("a delete cut off with the snapshot still there: npm run snapshot -- delete <name> --vm <vm>", async () => {
    hv.failNext("deleteSnapshot", { kind: "timeout" }, vmx("gateway1"));
    await failsNaming(
      "npm run snapshot -- delete base",
      "then run npm run snapshot -- delete base --vm gateway1",
    );
    expect(await run("npm run snapshot -- delete base --vm gateway1")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([[], [], []]);
    expect(records()).toEqual([]);
  });

  it("a delete cut off whose VM cannot be listed: npm run snapshot -- delete <name> --vm <vm>", async () => {
    hv.failNext("deleteSnapshot", { kind: "timeout" }, vmx("gateway1"));
    hv.beforeNext(
      "deleteSnapshot",
      () => hv.failNext("listSnapshots", failed("Unable to connect to host"), vmx("gateway1")),
      vmx("gateway1"),
    );
    await failsNaming(
      "npm run snapshot -- delete base",
      "then run npm run snapshot -- delete base --vm gateway1",
    );
    expect(await run("npm run snapshot -- delete base --vm gateway1")).toBeUndefined();
    expect(snapshotsEverywhere()).toEqual([[], [], []]);
  });
});

describe("snapshot rollback's fixes", () => {
  beforeEach(async () => {
    expect(await run("npm run snapshot -- create base")).toBeUndefined();
  });

  it("a set missing on a VM: npm run snapshot -- rollback <name> --vm <the VMs that have it>", async () => {
    hv.addVm(vmx("k8s-worker1"), { ip: "10.10.0.142" }); // rebuilt: no snapshots
    await failsNaming(
      "npm run snapshot -- rollback base",
      "npm run snapshot -- rollback base --vm gateway1,k8s-master1",
    );
    expect(await run("npm run snapshot -- list")).toBeUndefined();
    expect(out).toMatch(/^base\s+\S+\s+incomplete\s+2\/3$/m);
    expect(await run("npm run snapshot -- rollback base --vm gateway1,k8s-master1")).toBeUndefined();
    expect(hv.vm(vmx("gateway1"))!.running).toBe(true);
  });

  it.each([
    ["failed", failed("Insufficient permissions")],
    ["cut off", { kind: "timeout" as const }],
  ])("a revert that %s: npm run snapshot -- rollback <name> --vm <vm>", async (_what, fault) => {
    hv.failNext("revertToSnapshot", fault, vmx("k8s-master1"));
    await failsNaming(
      "npm run snapshot -- rollback base",
      "run npm run snapshot -- rollback base --vm k8s-master1",
    );
    expect(hv.vm(vmx("k8s-master1"))!.running).toBe(false);
    expect(await run("npm run snapshot -- rollback base --vm k8s-master1")).toBeUndefined();
    expect(hv.vm(vmx("k8s-master1"))!.running).toBe(true);
  });

  it("a reverted VM that could not be started: npm run manager -- start-all", async () => {
    hv.failNext("start", failed("Unable to connect to host"), vmx("k8s-worker1"));
    await failsNaming("npm run snapshot -- rollback base", "start it with npm run manager -- start-all");
    expect(await run("npm run manager -- start-all")).toBeUndefined();
    expect(hv.vm(vmx("k8s-worker1"))!.running).toBe(true);
  });

  it("reverted VMs whose power cannot be told: npm run manager -- start-all", async () => {
    hv.beforeNext("revertToSnapshot", () => hv.failNext("listRunning", failed("Unable to connect to host")));
    await failsNaming("npm run snapshot -- rollback base", "run npm run manager -- start-all");
    expect(await run("npm run manager -- start-all")).toBeUndefined();
    for (const vm of CLUSTER_VMS) expect([vm, hv.vm(vmx(vm))!.running]).toEqual([vm, true]);
  });
});

describe("teardown's fixes", () => {
  it("cancelled: npm run teardown -- --yes", async () => {
    const stdin = process.stdin;
    const teardown = configureTeardownCommand(new Command("teardown"), () => ctx, noDestroy);
    // No answer on stdin (end of input) cancels.
    const input = new (await import("node:stream")).PassThrough();
    Object.defineProperty(process, "stdin", { value: input, configurable: true });
    input.end("n\n");
    let e: Error | undefined;
    try {
      await teardown.parseAsync(["--skip-destroy"], { from: "user" });
    } catch (x) {
      e = x as Error;
    } finally {
      Object.defineProperty(process, "stdin", { value: stdin, configurable: true });
    }
    expect(e?.message).toContain(
      "run it again and answer y, or run npm run teardown -- --yes --skip-destroy",
    );
    expect(await run("npm run teardown -- --yes --skip-destroy")).toBeUndefined();
    expect(out).toContain("teardown complete: nothing of the cluster remains");
  });

  it("incomplete: fix the cause, then the same teardown again", async () => {
    hv.failNext("deleteVmIfPresent", failed("Insufficient permissions"), vmx("k8s-master1"));
    await failsNaming(
      "npm run teardown -- --yes --skip-destroy",
      "fix the cause and run npm run teardown -- --yes --skip-destroy again",
    );
    expect(fs.existsSync(path.dirname(vmx("k8s-master1")))).toBe(true);
    expect(await run("npm run teardown -- --yes --skip-destroy")).toBeUndefined();
    expect(fs.existsSync(path.dirname(vmx("k8s-master1")))).toBe(false);
  });
});

/**
 * Fault family: two cluster operations at once, and an operation interrupted by Ctrl-C (SIGINT to the
 * entry's process group, as a terminal sends it). Outcomes asserted: exactly one operation runs and the
 * other is refused before touching any VM, naming the holder's operation and pid; an interrupted one
 * starts no vmrun call after the signal, leaves no vmrun running, releases the lock, leaves the snapshot
 * manifest describing what the VMs hold (and `snapshot delete` cleans it up), and vm-ips.env intact.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { formatInventory } from "../../lib/model/inventory/env-file";
import { readManifest } from "../../lib/commands/snapshot/manifest";
import {
  APT_CACHE,
  CLUSTER_VMS,
  CliProject,
  CliRun,
  createCliProject,
  runCli,
  startCli,
} from "../../test-support/cli-project";
import { isDescendantOf, pidsWithEnv, waitForNone } from "../../test-support/faults/process-table";
import { EntryResult, startEntry } from "../../test-support/run-entry";

let p: CliProject;
beforeEach(() => (p = createCliProject()));
afterEach(() => p.cleanup());

const lockFile = () => path.join(p.root, "generated", "operation.lock");
const manifestDir = () => path.join(p.root, "generated", "snapshots");
const inventoryFile = () => path.join(p.root, "vm-ips.env");
const snapshotsOf = (vm: string) => p.sim.vmState(p.vmxOf(vm))?.snapshots.map((s) => s.name) ?? [];
const vmOf = (vmx: string | null) => path.basename(vmx ?? "").replace(/\.vmx$/, "");
/** The refused command names the holder as "<operation> (pid N, since ...)". */
const holderPid = (r: EntryResult, operation: string) => {
  const m = new RegExp(`another operation is running: ${operation} \\(pid (\\d+), command `).exec(r.stderr);
  if (!m) throw new Error(`not refused with the holder named (${operation}): ${r.stderr}`);
  return Number(m[1]);
};

/** Ctrl-C: SIGINT to the entry's whole process group (tsx and the script), as a terminal delivers it. */
const interrupt = (run: CliRun) => process.kill(-run.pid, "SIGINT");

/** `npm run snapshot -- <args>`, whose progress lines on stderr can be waited for. */
function startSnapshot(args: string[]): CliRun & { waitForProgress(lines: string[]): Promise<void> } {
  const started = startEntry("snapshot", {
    projectRoot: p.root,
    env: p.env,
    args,
    input: "",
    timeoutMs: 60_000,
  });
  let stderr = "";
  started.child.stderr!.on("data", (d: string) => (stderr += d));
  return {
    done: started.done,
    pid: started.child.pid!,
    async waitForProgress(lines) {
      const giveUp = Date.now() + 20_000;
      while (!lines.every((l) => stderr.includes(`${l}\n`))) {
        if (Date.now() > giveUp)
          throw new Error(`never printed ${JSON.stringify(lines)}; stderr so far: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** What the process table and the lock look like after an entry ended: nothing of it may be left. */
async function expectNothingLeft(): Promise<void> {
  expect(fs.existsSync(lockFile())).toBe(false);
  expect(await waitForNone(() => pidsWithEnv("VMRUN_SIM_STATE", p.sim.stateDir))).toEqual([]);
  expect(p.sim.calls().filter((c) => c.exitCode === null && c.childPids.length > 0)).toEqual([]);
}

function simSnapshot(vm: string, name: string): void {
  const r = spawnSync(p.sim.binary, ["-T", "fusion", "snapshot", p.vmxOf(vm), name], {
    env: p.sim.env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`the simulator did not snapshot ${vm}: ${r.stdout}`);
}

describe("two operations at once", () => {
  it("two snapshot creates started together: one takes every snapshot, the other is refused at once naming it", async () => {
    p.sim.setFaults({ commands: { snapshot: { "*": { delayMs: 2500 } } } });
    const runs = {
      a: startCli(p, "snapshot", ["create", "set-a"]),
      b: startCli(p, "snapshot", ["create", "set-b"]),
    };
    const first = await Promise.race((["a", "b"] as const).map((k) => runs[k].done.then((r) => ({ k, r }))));
    const winner = first.k === "a" ? "b" : "a";
    // The first to end is the refused one, while the winner still works (its snapshots take 2.5 s).
    expect(first.r.code).toBe(1);
    expect(isDescendantOf(holderPid(first.r, "snapshot create"), runs[winner].pid)).toBe(true);
    const won = await runs[winner].done;
    expect(won.code).toBe(0);
    for (const vm of CLUSTER_VMS) expect(snapshotsOf(vm)).toEqual([`set-${winner}`]);
    // The refused one made no vmrun call at all: every call names the winner's set or is the winner's listing.
    expect(
      p.sim
        .calls()
        .filter((c) => c.command === "snapshot")
        .map((c) => c.argv[c.argv.length - 1]),
    ).toEqual(CLUSTER_VMS.map(() => `set-${winner}`));
    expect(p.sim.calls().filter((c) => c.command === "listSnapshots")).toHaveLength(CLUSTER_VMS.length);
    expect(fs.existsSync(path.join(manifestDir(), `set-${first.k}.json`))).toBe(false);
    await expectNothingLeft();
  });

  it("snapshot create while manager stop-all runs is refused naming stop-all; once it ends, the lock is free", async () => {
    for (const vm of CLUSTER_VMS) p.sim.powerOn(p.vmxOf(vm));
    p.sim.setFaults({ commands: { stop: { gateway1: { delayMs: 2500 } } } });
    const stopAll = startCli(p, "manager", ["stop-all"]);
    await p.sim.waitForCall((c) => c.command === "stop");
    const refused = await runCli(p, "snapshot", ["create", "s1"]);
    expect(refused.code).toBe(1);
    expect(isDescendantOf(holderPid(refused, "stop-all"), stopAll.pid)).toBe(true);
    expect(p.sim.calls().filter((c) => c.command === "snapshot" || c.command === "listSnapshots")).toEqual(
      [],
    );
    expect((await stopAll.done).code).toBe(0);
    for (const vm of [...CLUSTER_VMS, APT_CACHE])
      expect(p.sim.vmState(p.vmxOf(vm))?.power ?? "off").toBe("off");
    expect(fs.existsSync(lockFile())).toBe(false);
    expect((await runCli(p, "snapshot", ["create", "s1"])).code).toBe(0);
    await expectNothingLeft();
  });
});

describe("the refusal's fixes", () => {
  it("`kill <pid>`, as the refusal says, stops the holder and frees the lock; the refused command then runs and cleans up", async () => {
    p.sim.setFaults({ commands: { snapshot: { "k8s-worker1": { hang: true } } } });
    const holder = startCli(p, "snapshot", ["create", "stuck"]);
    await p.sim.waitForCall((c) => c.command === "snapshot" && vmOf(c.vmx) === "k8s-worker1");
    const refused = await runCli(p, "snapshot", ["delete", "stuck"]);
    expect(refused.code).toBe(1);
    const kill = /or stop it \(kill (\d+)\)/.exec(refused.stderr);
    expect(kill).not.toBeNull();
    process.kill(Number(kill![1]), "SIGTERM"); // what `kill <pid>` sends
    expect((await holder.done).code).toBe(143);
    p.sim.setFaults({});
    expect(fs.existsSync(lockFile())).toBe(false);
    const again = await runCli(p, "snapshot", ["delete", "stuck"]);
    expect(again.code).toBe(0);
    for (const vm of CLUSTER_VMS) expect(snapshotsOf(vm)).toEqual([]);
    expect(fs.readdirSync(manifestDir())).toEqual([]);
    await expectNothingLeft();
  });
});

describe("an operation interrupted with SIGINT", () => {
  it("snapshot create (Ctrl-C twice): exits 130, starts nothing after the signal, releases the lock; the manifest covers what was taken and delete cleans it up", async () => {
    p.sim.setFaults({ commands: { snapshot: { "k8s-worker1": { delayMs: 5000 } } } });
    const run = startSnapshot(["create", "s1"]);
    // The fast VMs' snapshots are taken (and the entry knows it); the slow one's vmrun is still waiting.
    await run.waitForProgress([
      "snapshot create gateway1: snapshot taken",
      "snapshot create k8s-master1: snapshot taken",
    ]);
    await p.sim.waitForCall((c) => c.command === "snapshot" && vmOf(c.vmx) === "k8s-worker1");
    const callsAtSignal = p.sim.calls().length;
    // Ctrl-C pressed twice: the second must not cut the first one's cleanup short.
    interrupt(run);
    await new Promise((resolve) => setTimeout(resolve, 100));
    interrupt(run);
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
    expect(r.stderr).toContain("snapshot: interrupted by SIGINT; stopped 1 running tool");
    // No vmrun call was started after Ctrl-C (no undo, no listing): the user asked it to stop.
    expect(
      p.sim
        .calls()
        .slice(callsAtSignal)
        .map((c) => `${c.command} ${vmOf(c.vmx)}`),
    ).toEqual([]);
    await expectNothingLeft();

    // The slow VM's snapshot was cut before it was taken; the others hold s1, and the manifest says so.
    expect(snapshotsOf("k8s-worker1")).toEqual([]);
    const holders = CLUSTER_VMS.filter((vm) => snapshotsOf(vm).includes("s1"));
    expect(holders).toEqual(["gateway1", "k8s-master1"]);
    const manifest = await readManifest(manifestDir(), "s1");
    expect(manifest).toMatchObject({ name: "s1", result: "failed" });
    expect(manifest!.vms).toEqual(expect.arrayContaining(holders));
    expect(fs.readdirSync(manifestDir())).toEqual(["s1.json"]); // no temporaries left beside it

    const cleaned = await runCli(p, "snapshot", ["delete", "s1"]);
    expect(cleaned.code).toBe(0);
    for (const vm of CLUSTER_VMS) expect(snapshotsOf(vm)).toEqual([]);
    expect(await readManifest(manifestDir(), "s1")).toBeUndefined();
  });

  it("snapshot rollback: exits 130, starts no VM after the signal, releases the lock, vm-ips.env stays whole", async () => {
    for (const vm of CLUSTER_VMS) simSnapshot(vm, "base");
    // The inventory as the product writes it, so a complete rewrite with the same addresses is byte-identical.
    const inventory = formatInventory([
      ["APT_CACHE_SERVER_IP", "10.10.0.148"],
      ["GATEWAY1_IP", "10.10.0.140"],
      ["K8S_MASTER1_IP", "10.10.0.131"],
      ["K8S_WORKER1_IP", "10.10.0.199"],
    ]);
    fs.writeFileSync(inventoryFile(), inventory);
    p.sim.setFaults({ commands: { revertToSnapshot: { "k8s-worker1": { delayMs: 5000 } } } });
    const run = startSnapshot(["rollback", "base"]);
    await run.waitForProgress(["snapshot rollback k8s-worker1: reverting to base"]);
    // The reverts run side by side, and the simulator logs a call when its process has started: wait
    // for every VM's, or a revert started before the signal could be logged after it.
    for (const vm of CLUSTER_VMS)
      await p.sim.waitForCall((c) => c.command === "revertToSnapshot" && vmOf(c.vmx) === vm);
    const callsAtSignal = p.sim.calls().length;
    interrupt(run);
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
    expect(
      p.sim
        .calls()
        .slice(callsAtSignal)
        .map((c) => `${c.command} ${vmOf(c.vmx)}`),
    ).toEqual([]);
    for (const vm of CLUSTER_VMS) expect(p.sim.vmState(p.vmxOf(vm))?.power).toBe("off");
    await expectNothingLeft();
    expect(fs.readFileSync(inventoryFile(), "utf8")).toBe(inventory);
    expect(fs.readdirSync(p.root).filter((n) => n.includes(".partial-"))).toEqual([]);
  });
});

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  readBootRecord,
  readStepRecords,
  runStep,
  wasInterrupted,
  writeBootRecord,
} from "../../../../lib/runtime/steps/records";
import { makeTempDir } from "../../../../test-support/fixtures";

let dir: string;
beforeEach(() => (dir = path.join(makeTempDir("fusion-lab-steps-"), "vm.vmwarevm", ".lab-steps")));
afterEach(() => fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true }));

/** A pid that certainly no longer runs: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

describe("runStep", () => {
  it("records the attempt while the work runs, then the receipt with the token and facts, and removes the attempt", async () => {
    let during: ReturnType<typeof readStepRecords> | undefined;
    const result = await runStep(dir, "seed", "tok-1", async () => {
      during = readStepRecords(dir, "seed");
      return { result: 42, facts: { sha256: "abc" } };
    });
    expect(result).toBe(42);
    expect(during).toEqual({ attempt: { token: "tok-1", pid: process.pid, startedAt: expect.any(String) } });
    expect(readStepRecords(dir, "seed")).toEqual({
      receipt: { token: "tok-1", finishedAt: expect.any(String), facts: { sha256: "abc" } },
    });
    expect(fs.readdirSync(dir).sort()).toEqual(["seed.done.json"]);
  });

  it("leaves the attempt when the work fails: the step is not done", async () => {
    await expect(
      runStep(dir, "power", "tok-2", async () => {
        throw new Error("vmrun failed");
      }),
    ).rejects.toThrow("vmrun failed");
    expect(readStepRecords(dir, "power").attempt?.token).toBe("tok-2");
    expect(readStepRecords(dir, "power").receipt).toBeUndefined();
  });

  it("records nothing without a steps folder (a script run by hand)", async () => {
    expect(await runStep(undefined, "disk", "t", async () => ({ result: "x" }))).toBe("x");
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe("wasInterrupted", () => {
  const attempt = (pid: number, token = "t1") => ({ token, pid, startedAt: "2026-01-01T00:00:00Z" });
  const receipt = (token: string) => ({ token, finishedAt: "2026-01-01T00:01:00Z", facts: {} });

  it("is true for an attempt whose process is gone without a receipt of its token", () => {
    expect(wasInterrupted({ attempt: attempt(deadPid()) })).toBe(true);
    expect(wasInterrupted({ attempt: attempt(deadPid(), "t2"), receipt: receipt("t1") })).toBe(true);
  });

  it("is false while the attempt's process runs, once its receipt is written, or with no attempt", () => {
    expect(wasInterrupted({ attempt: attempt(process.pid) })).toBe(false);
    expect(wasInterrupted({ attempt: attempt(deadPid()), receipt: receipt("t1") })).toBe(false);
    expect(wasInterrupted({ receipt: receipt("t1") })).toBe(false);
    expect(wasInterrupted({})).toBe(false);
  });

  it("counts a malformed record as absent", () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "disk.attempt.json"), "{not json");
    fs.writeFileSync(path.join(dir, "disk.done.json"), JSON.stringify({ token: 1 }));
    expect(readStepRecords(dir, "disk")).toEqual({});
  });
});

it("keeps the boot record vm-start writes before it powers a VM on", async () => {
  expect(readBootRecord(dir)).toBeUndefined();
  await writeBootRecord(dir, { vmxSha256: "a", seedSha256: "" });
  expect(readBootRecord(dir)).toEqual({ vmxSha256: "a", seedSha256: "" });
});

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { OperationLockedError, withOperationLock } from "../../../../lib/runtime/ops/operation-lock";
import { makeTempDir } from "../../../../test-support/fixtures";
import { waitUntilDead } from "../../../../test-support/processes";
import { REPO_ROOT } from "../../../../test-support/run-entry";
import { tsCommand } from "../../../../test-support/ts-runner";

let root: string;
let generated: string;
let lockFile: string;
beforeEach(() => {
  root = makeTempDir("fusion-lab-oplock-");
  generated = path.join(root, "generated");
  lockFile = path.join(generated, "operation.lock");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const readLock = () =>
  JSON.parse(fs.readFileSync(lockFile, "utf8")) as {
    pid: number;
    operation: string;
    startedAt: string;
    host: string;
  };

describe("withOperationLock", () => {
  it("holds <generated>/operation.lock while fn runs, returns fn's value and removes the lock", async () => {
    const seen = await withOperationLock(generated, "snapshot create", async () => readLock());
    expect(seen).toMatchObject({ pid: process.pid, operation: "snapshot create" });
    expect(Number.isNaN(Date.parse(seen.startedAt))).toBe(false);
    expect(typeof seen.host).toBe("string");
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it("refuses a second operation at once, naming the holder's operation and pid", async () => {
    let release!: () => void;
    const first = withOperationLock(
      generated,
      "snapshot rollback",
      () => new Promise<string>((r) => (release = () => r("first done"))),
    );
    await new Promise((r) => setImmediate(r));
    expect(fs.existsSync(lockFile)).toBe(true);
    const secondRan = jest.fn();
    const err = await withOperationLock(generated, "snapshot delete", async () => secondRan()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OperationLockedError);
    const locked = err as OperationLockedError;
    expect(locked.holder).toEqual({
      pid: process.pid,
      operation: "snapshot rollback",
      startedAt: readLock().startedAt,
    });
    expect(locked.message).toBe(
      `another operation is running: snapshot rollback (pid ${process.pid}, since ${locked.holder.startedAt}); wait for it to finish. ` +
        "If that process is gone, the lock is taken over automatically.",
    );
    expect(secondRan).not.toHaveBeenCalled();
    expect(readLock().operation).toBe("snapshot rollback"); // the refused caller did not touch the lock
    release();
    await expect(first).resolves.toBe("first done");
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it("is released after fn throws, and the error comes through unchanged", async () => {
    const boom = new Error("vmrun exploded");
    await expect(
      withOperationLock(generated, "snapshot create", async () => Promise.reject(boom)),
    ).rejects.toBe(boom);
    expect(fs.existsSync(lockFile)).toBe(false);
    await expect(withOperationLock(generated, "snapshot list", async () => "again")).resolves.toBe("again");
  });

  it("takes over a lock left by a process killed with SIGKILL", async () => {
    const script = path.join(root, "holder.ts");
    fs.writeFileSync(
      script,
      `import { withOperationLock } from ${JSON.stringify(path.join(REPO_ROOT, "lib", "runtime", "ops", "operation-lock"))};\n` +
        `withOperationLock(${JSON.stringify(generated)}, "snapshot create", () => { console.log("locked"); return new Promise(() => setInterval(() => undefined, 1000)); });\n`,
    );
    const child = spawn(...tsCommand(script), { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((r) => child.on("exit", r));
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d) => String(d).includes("locked") && resolve());
      child.on("exit", (code) => reject(new Error(`holder exited (${code}) before locking: ${stderr}`)));
    });
    expect(readLock()).toMatchObject({ pid: child.pid, operation: "snapshot create" });
    await expect(withOperationLock(generated, "snapshot delete", async () => "ran")).rejects.toBeInstanceOf(
      OperationLockedError,
    );

    child.kill("SIGKILL");
    await exited;
    expect(await waitUntilDead([child.pid!])).toEqual([]);
    expect(readLock().pid).toBe(child.pid); // SIGKILL leaves no chance to clean up

    const during = await withOperationLock(generated, "snapshot delete", async () => readLock());
    expect(during).toMatchObject({ pid: process.pid, operation: "snapshot delete" });
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(fs.readdirSync(generated)).toEqual([]); // no aside copies left behind
  });

  it("is released when the process exits inside fn (as runMain does on SIGINT/SIGTERM)", async () => {
    const script = path.join(root, "exiter.ts");
    fs.writeFileSync(
      script,
      `import * as fs from "node:fs";\n` +
        `import { withOperationLock } from ${JSON.stringify(path.join(REPO_ROOT, "lib", "runtime", "ops", "operation-lock"))};\n` +
        `withOperationLock(${JSON.stringify(generated)}, "snapshot create", async () => { fs.writeFileSync(${JSON.stringify(path.join(root, "seen"))}, fs.readFileSync(${JSON.stringify(lockFile)})); process.exit(130); });\n`,
    );
    const child = spawn(...tsCommand(script), { cwd: REPO_ROOT, stdio: "ignore" });
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(130);
    expect(JSON.parse(fs.readFileSync(path.join(root, "seen"), "utf8"))).toMatchObject({ pid: child.pid });
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it("takes over an unreadable lock file once its writer has had time to finish", async () => {
    fs.mkdirSync(generated, { recursive: true });
    fs.writeFileSync(lockFile, "");
    await expect(withOperationLock(generated, "snapshot create", async () => readLock().pid)).resolves.toBe(
      process.pid,
    );
  });
});

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { withFileLock } from "../../../../lib/runtime/fs/lock";
import { makeTempDir } from "../../../../test-support/fixtures";
import { killGroup, REPO_ROOT } from "../../../../test-support/run-entry";
import { tsCommand } from "../../../../test-support/ts-runner";

let dir: string;
beforeEach(() => (dir = makeTempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > until) throw new Error(`${file} did not appear`);
    await sleep(20);
  }
}

describe("withFileLock", () => {
  it("serializes callers on the same path and returns each result", async () => {
    const target = path.join(dir, "image.img");
    let inside = 0;
    let maxInside = 0;
    const order: string[] = [];
    const job = (name: string) =>
      withFileLock(
        target,
        async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          order.push(`${name}:in`);
          await sleep(150);
          order.push(`${name}:out`);
          inside--;
          return name;
        },
        { pollMs: 20 },
      );
    await expect(Promise.all([job("a"), job("b"), job("c")])).resolves.toEqual(["a", "b", "c"]);
    expect(maxInside).toBe(1);
    expect(order).toHaveLength(6);
    expect(fs.existsSync(`${target}.lock`)).toBe(false);
  });

  it("releases the lock when the function throws", async () => {
    const target = path.join(dir, "x");
    await expect(withFileLock(target, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(withFileLock(target, async () => "again", { waitMs: 100 })).resolves.toBe("again");
  });

  it("gives up after waitMs with a message naming the lock", async () => {
    const target = path.join(dir, "x");
    let waited = false;
    await withFileLock(target, async () => {
      await expect(
        withFileLock(target, async () => "never", { waitMs: 300, pollMs: 50, onWait: () => (waited = true) }),
      ).rejects.toThrow(/is locked by another run .*x\.lock.* delete .*x\.lock if no run is active/);
    });
    expect(waited).toBe(true);
  });

  it("takes over the lock of a killed process once it is stale", async () => {
    const target = path.join(dir, "image.img");
    const marker = path.join(dir, "holding");
    const holder = path.join(dir, "holder.ts");
    fs.writeFileSync(
      holder,
      `import { writeFileSync } from "node:fs";
import { withFileLock } from ${JSON.stringify(path.join(REPO_ROOT, "lib/runtime/fs/lock"))};
withFileLock(${JSON.stringify(target)}, async () => {
  writeFileSync(${JSON.stringify(marker)}, "");
  await new Promise(() => setInterval(() => undefined, 1000));
}, { staleMs: 2000 });
`,
    );
    const child = spawn(...tsCommand(holder), { cwd: REPO_ROOT, detached: true, stdio: "ignore" });
    try {
      await waitForFile(marker, 15_000);
      // Held and kept fresh by a live process: not stale even after more than staleMs.
      await sleep(2500);
      await expect(
        withFileLock(target, async () => "stolen", { staleMs: 2000, waitMs: 200, pollMs: 50 }),
      ).rejects.toThrow(/locked by another run/);
      killGroup(child, "SIGKILL");
      await new Promise((r) => child.once("exit", r));
      expect(fs.existsSync(`${target}.lock`)).toBe(true);
      await expect(
        withFileLock(target, async () => "taken over", { staleMs: 2000, waitMs: 10_000, pollMs: 100 }),
      ).resolves.toBe("taken over");
    } finally {
      killGroup(child, "SIGKILL");
    }
  });
});

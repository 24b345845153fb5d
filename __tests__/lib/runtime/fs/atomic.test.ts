import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  cleanStalePartials,
  isPidAlive,
  makeTempSibling,
  writeFileAtomic,
} from "../../../../lib/runtime/fs/atomic";
import { makeTempDir } from "../../../../test-support/fixtures";

let dir: string;
beforeEach(() => (dir = makeTempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const res = spawnSync("true");
  expect(res.pid).toBeGreaterThan(0);
  return res.pid;
}

describe("makeTempSibling", () => {
  it("names the temporary after the target and the pid, in the target's directory", () => {
    expect(makeTempSibling("/x/VMs/seed.iso")).toBe(`/x/VMs/.seed.iso.partial-${process.pid}`);
    expect(makeTempSibling("/x/seed.iso", { suffix: ".iso", pid: 42 })).toBe("/x/.seed.iso.partial-42.iso");
  });
});

describe("writeFileAtomic", () => {
  it("replaces the file's content and leaves no temporary behind", async () => {
    const target = path.join(dir, "out.txt");
    fs.writeFileSync(target, "old");
    await writeFileAtomic(target, "new content");
    expect(fs.readFileSync(target, "utf8")).toBe("new content");
    expect(fs.readdirSync(dir)).toEqual(["out.txt"]);
  });

  it("fails without creating anything when the directory does not exist", async () => {
    await expect(writeFileAtomic(path.join(dir, "missing", "out.txt"), "x")).rejects.toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("cleanStalePartials", () => {
  it("removes files and directories of dead processes and keeps live ones and unrelated files", async () => {
    const sleeper = spawn("sleep", ["30"]);
    try {
      const dead = deadPid();
      expect(isPidAlive(dead)).toBe(false);
      expect(isPidAlive(sleeper.pid!)).toBe(true);
      const deadFile = makeTempSibling(path.join(dir, "seed.iso"), { pid: dead, suffix: ".iso" });
      const deadDir = makeTempSibling(path.join(dir, "m1.vmdk"), { pid: dead });
      const liveFile = makeTempSibling(path.join(dir, "seed.iso"), { pid: sleeper.pid! });
      const ownFile = makeTempSibling(path.join(dir, "seed.iso"));
      fs.writeFileSync(deadFile, "x");
      fs.mkdirSync(deadDir);
      fs.writeFileSync(path.join(deadDir, "m1.vmdk"), "x");
      fs.writeFileSync(liveFile, "x");
      fs.writeFileSync(ownFile, "x");
      fs.writeFileSync(path.join(dir, "seed.iso"), "the real one");
      fs.writeFileSync(path.join(dir, `.other.iso.partial-${dead}`), "another target's");

      expect(await cleanStalePartials(dir, "seed.iso")).toEqual([deadFile]);
      expect(await cleanStalePartials(dir, "m1.vmdk")).toEqual([deadDir]);
      expect(fs.readdirSync(dir).sort()).toEqual(
        [path.basename(liveFile), path.basename(ownFile), "seed.iso", `.other.iso.partial-${dead}`].sort(),
      );
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("counts a zombie (killed, not yet reaped) as dead", async () => {
    // The backgrounded child exits only once its parent has exec'd sleep (its comm reads "sleep"), and
    // sleep never waits for it, so it stays a zombie. (A child that exits at once races the exec: bash
    // reaps it when it exits first, which a loaded machine makes likely.)
    const waitForExec =
      'i=0; while [ "$(cat /proc/$PPID/comm)" != sleep ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done';
    const parent = spawn("bash", ["-c", `sh -c '${waitForExec}' & exec sleep 30`]);
    try {
      const childrenFile = `/proc/${parent.pid}/task/${parent.pid}/children`;
      let zombie = 0;
      // Up to 10 s: on a loaded machine bash can take seconds to start, fork and exec.
      for (const end = Date.now() + 10_000; Date.now() < end && !zombie;) {
        await new Promise((r) => setTimeout(r, 10));
        const pid = Number(fs.readFileSync(childrenFile, "utf8").trim().split(/\s+/)[0]);
        if (pid && fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z")) zombie = pid;
      }
      expect(zombie).toBeGreaterThan(0);
      expect(isPidAlive(zombie)).toBe(false);
      expect(isPidAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("returns nothing for a directory that does not exist", async () => {
    await expect(cleanStalePartials(path.join(dir, "nope"), "x")).resolves.toEqual([]);
  });
});

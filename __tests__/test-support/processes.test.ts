import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { isAlive, pidsMentioning, waitUntilDead } from "../../test-support/processes";

/** Starts `true`, prints its pid, then blocks its own event loop so it never reaps it: the child stays a zombie. */
const HOLDER =
  'const c = require("node:child_process").spawn("true"); console.log(c.pid); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30000);';

const marker = `processes-test-${process.pid}-${Date.now()}`;
let holder: ChildProcess;
let zombie: number;

beforeEach(async () => {
  holder = spawn(process.execPath, ["-e", HOLDER, marker], { stdio: ["ignore", "pipe", "inherit"] });
  zombie = await new Promise<number>((resolve, reject) => {
    holder.stdout!.setEncoding("utf8").once("data", (d: string) => resolve(Number(d.trim())));
    holder.once("error", reject);
  });
  for (let i = 0; i < 200 && !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${zombie}/stat`, "utf8")); i++)
    await new Promise((r) => setTimeout(r, 25));
});

afterEach(() => {
  holder.kill("SIGKILL");
});

describe("isAlive", () => {
  it("is true for a running process and false for a zombie, which is dead though its pid still answers", () => {
    expect(fs.readFileSync(`/proc/${zombie}/stat`, "utf8")).toMatch(/^\d+ \(true\) Z/);
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(isAlive(holder.pid!)).toBe(true);
    expect(isAlive(zombie)).toBe(false);
  });
});

describe("waitUntilDead and pidsMentioning", () => {
  it("returns the pids still alive when the wait runs out, and none once they have ended", async () => {
    expect(pidsMentioning(marker)).toEqual([holder.pid]);
    expect(await waitUntilDead([holder.pid!, zombie], 200)).toEqual([holder.pid]);
    holder.kill("SIGKILL");
    expect(await waitUntilDead([holder.pid!])).toEqual([]);
    expect(pidsMentioning(marker)).toEqual([]);
  });
});

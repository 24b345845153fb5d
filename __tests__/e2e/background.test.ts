import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { boundedArgv, startBackground } from "../../e2e/lib/background";

const hasTimeout = (process.env.PATH ?? "")
  .split(path.delimiter)
  .some((d) => fs.existsSync(path.join(d, "timeout")));

/** Running (a zombie that no init reaped, as in some containers, counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  return !fs.existsSync(stat) || !/^\d+ \(.*\) Z/.test(fs.readFileSync(stat, "utf8"));
}

describe("background helpers of the e2e run", () => {
  it("puts coreutils timeout after the namespace prefix", () => {
    expect(boundedArgv(["ip", "netns", "exec", "ns", "qemu", "-m", "1"], 600, 4)).toEqual([
      "ip",
      "netns",
      "exec",
      "ns",
      "timeout",
      "-k",
      "10",
      "600",
      "qemu",
      "-m",
      "1",
    ]);
    expect(() => boundedArgv(["x"], 0)).toThrow(/positive/);
  });

  (hasTimeout ? it : it.skip)(
    "ends the process and its children by PID, and the lifetime bound ends it on its own",
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-bg-"));
      try {
        const log = path.join(dir, "log");
        const proc = startBackground({
          argv: ["sh", "-c", "sleep 60 & echo child $!; wait"],
          lifetimeSeconds: 120,
          logFile: log,
        });
        await new Promise((r) => setTimeout(r, 300));
        const child = Number(/child (\d+)/.exec(fs.readFileSync(log, "utf8"))?.[1]);
        expect(alive(child)).toBe(true);
        await proc.stop(1000);
        expect(proc.hasExited()).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
        expect(alive(child)).toBe(false);

        const bounded = startBackground({ argv: ["sleep", "60"], lifetimeSeconds: 1, logFile: log });
        const end = await bounded.exited;
        expect(end.code).toBe(124); // timeout's exit code when the bound ended the program
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

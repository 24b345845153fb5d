import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import {
  aptCacheStatus,
  formatAptCacheStatus,
  isHealthy,
  tcpReachable,
} from "../../../../lib/commands/apt-cache/status";
import { makeTempDir } from "../../../../test-support/fixtures";
import { requireTools } from "../../../../test-support/required-tools";

// The ssh test double runs the real templates/apt-cache-stats.py with python3.
const python = requireTools("python3");

const SSH_SIM = path.resolve(__dirname, "../../../../test-support/ssh-sim");
const STATS = path.resolve(__dirname, "../../../../templates/apt-cache-stats.py");

describe("apt cache status", () => {
  let simDir: string;
  let guestRoot: string;
  let server: net.Server;
  let port: number;
  const savedPath = process.env.PATH;
  const savedSim = process.env.SSH_SIM_DIR;

  beforeEach(async () => {
    simDir = makeTempDir("ssh-sim-");
    guestRoot = makeTempDir("acng-guest-");
    fs.writeFileSync(path.join(guestRoot, "systemctl"), "#!/bin/bash\necho active\n", { mode: 0o755 });
    fs.mkdirSync(path.join(guestRoot, "var/log/apt-cacher-ng"), { recursive: true });
    fs.writeFileSync(
      path.join(guestRoot, "var/log/apt-cacher-ng/apt-cacher.log"),
      "1|I|10|c|p\n1|O|10|c|p\n2|O|10|c|p\n",
    );
    fs.writeFileSync(
      path.join(simDir, "config.json"),
      JSON.stringify({
        commands: {
          "sudo -n /usr/local/sbin/apt-cache-stats": {
            argv: ["python3", STATS, "--root", guestRoot, "--systemctl", path.join(guestRoot, "systemctl")],
          },
        },
      }),
    );
    process.env.PATH = `${SSH_SIM}:${savedPath}`;
    process.env.SSH_SIM_DIR = simDir;
    server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    if (savedSim === undefined) delete process.env.SSH_SIM_DIR;
    else process.env.SSH_SIM_DIR = savedSim;
    await new Promise((resolve) => server.close(resolve));
    for (const d of [simDir, guestRoot]) fs.rmSync(d, { recursive: true, force: true });
  });

  python.it("combines the guest's report (over SSH) with a TCP check from this machine", async () => {
    const status = await aptCacheStatus({
      name: "apt-cache-server",
      target: { host: "127.0.0.1", user: "ubuntu" },
      port,
      timeoutMs: 20_000,
    });
    expect(status).toMatchObject({
      reachable: true,
      report: { service: "active", requests: 2, hits: 1, misses: 1 },
    });
    expect(isHealthy(status)).toBe(true);
    const text = formatAptCacheStatus(status);
    expect(text).toMatch(/^hits\s+1 \(50% of requests\)$/m);
    expect(text).toMatch(/^reachable from this Mac\s+yes$/m);
    const calls = fs
      .readFileSync(path.join(simDir, "calls.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(calls.map((c) => c.remote)).toEqual([["sudo", "-n", "/usr/local/sbin/apt-cache-stats"]]);
  });

  it("is unhealthy with the reason and the fix when SSH fails or the port does not answer", async () => {
    fs.writeFileSync(path.join(simDir, "config.json"), JSON.stringify({ authFail: true }));
    await new Promise((resolve) => server.close(resolve));
    server = net.createServer();
    const status = await aptCacheStatus({
      name: "apt-cache-server",
      target: { host: "127.0.0.1", user: "ubuntu" },
      port,
      timeoutMs: 20_000,
    });
    expect(status.reachable).toBe(false);
    expect(status.error).toMatch(
      /ssh ubuntu@127\.0\.0\.1 failed: .*Permission denied \(publickey\)\.; check that apt-cache-server runs/,
    );
    expect(isHealthy(status)).toBe(false);
    expect(formatAptCacheStatus(status)).toMatch(/^error\s+ssh ubuntu@127/m);
  });

  it("tcpReachable answers false for a closed port within its timeout", async () => {
    expect(await tcpReachable("127.0.0.1", port, 2000)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    server = net.createServer();
    expect(await tcpReachable("127.0.0.1", port, 2000)).toBe(false);
  });
});

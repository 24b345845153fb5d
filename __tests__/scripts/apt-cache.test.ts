import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURE_SSH_PUBLIC_KEY } from "../../test-support/model-fixture";
import { makeTempDir } from "../../test-support/fixtures";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";

const SSH_SIM = path.resolve(__dirname, "../../test-support/ssh-sim");

describe("npm run apt-cache -- status", () => {
  let root: string;
  let simDir: string;
  beforeEach(() => {
    root = makeTempProjectRoot();
    simDir = makeTempDir("ssh-sim-");
    fs.writeFileSync(path.join(root, "key.pub"), `${FIXTURE_SSH_PUBLIC_KEY}\n`);
    fs.writeFileSync(
      path.join(root, "cluster.yaml"),
      [
        "sshPublicKeyFile: key.pub",
        // A cluster network on loopback: status also probes the cache's TCP port, and a test sends
        // nothing beyond this machine (127.0.0.20 answers at once: nothing listens on 3142 there).
        "network:",
        "  nat: {subnet: 127.0.0.0/24, gateway: 127.0.0.2, hostAddress: 127.0.0.1, dhcpStart: 127.0.0.128, dhcpEnd: 127.0.0.254}",
        "  internalVip: 127.0.0.100",
        "  dnsServers: [127.0.0.2]",
        "aptCache: {address: 127.0.0.20}",
        "",
      ].join("\n"),
    );
  });
  afterEach(() => {
    for (const d of [root, simDir]) fs.rmSync(d, { recursive: true, force: true });
  });

  it("asks the configured cache over SSH with the configured key, prints JSON, and exits 1 when it is not healthy", async () => {
    fs.writeFileSync(path.join(simDir, "config.json"), JSON.stringify({ authFail: true }));
    const r = await runEntry("apt-cache", {
      projectRoot: root,
      args: ["status", "--json"],
      env: { PATH: `${SSH_SIM}:${process.env.PATH}`, SSH_SIM_DIR: simDir },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    const status = JSON.parse(r.stdout);
    expect(status).toMatchObject({
      name: "apt-cache-server",
      address: "127.0.0.20",
      port: 3142,
      reachable: false,
    });
    expect(r.stderr).toMatch(/apt-cache-server is not healthy: ssh ubuntu@127.0.0.20 failed/);
    expect(status.error).toMatch(/Permission denied/);
    const call = JSON.parse(fs.readFileSync(path.join(simDir, "calls.log"), "utf8").trim());
    expect(call).toMatchObject({
      host: "127.0.0.20",
      user: "ubuntu",
      identity: path.join(root, "key"),
      remote: ["sudo", "-n", "/usr/local/sbin/apt-cache-stats"],
    });
  });
});

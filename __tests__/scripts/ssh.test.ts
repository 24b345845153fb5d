import * as fs from "node:fs";
import * as path from "node:path";
import { CliProject, createCliProject, runCli } from "../../test-support/cli-project";

/** Two ed25519 host keys: the guest's own, and another machine's. */
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb2JbT3LmXy3SBDjt5O1CpzWkGWlnl8l5dB6ZDGRhzT";
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkpPlnBXAdkLhOcbzKmC+Vdn8S9tF1SNvB6j3sV5d0N";
const consoleWith = (key: string) =>
  `[   40.1] cloud-init[600]: ...\r\n-----BEGIN SSH HOST KEY KEYS-----\r\n${key} root@k8s-master1\r\n-----END SSH HOST KEY KEYS-----\r\n`;

describe("scripts/ssh.ts (npm run ssh -- <vm> [command])", () => {
  let p: CliProject;
  const vmDir = () => path.join(p.root, "VMs/k8s_cluster/k8s-master1.vmwarevm");
  const sim = (config: object) =>
    fs.writeFileSync(path.join(p.env.SSH_SIM_DIR, "config.json"), JSON.stringify(config));
  const calls = () =>
    fs
      .readFileSync(path.join(p.env.SSH_SIM_DIR, "calls.log"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { host: string; user: string; remote: string[]; opts: Record<string, string> },
      );
  const ssh = (args: string[]) => runCli(p, "ssh", args);
  beforeEach(() => {
    p = createCliProject();
    fs.writeFileSync(
      path.join(p.root, "vm-ips.env"),
      "K8S_MASTER1_IP=10.10.0.131\nGATEWAY1_IP=10.10.0.132\n",
    );
  });
  afterEach(() => p.cleanup());

  it("reaches a VM by its name with the key its console printed, checked strictly", async () => {
    sim({ hostKey: KEY });
    fs.writeFileSync(path.join(vmDir(), "console.log"), consoleWith(KEY));
    const r = await ssh(["k8s-master1", "true"]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(calls()).toEqual([
      expect.objectContaining({
        host: "10.10.0.131",
        user: "ubuntu",
        remote: ["true"],
        opts: expect.objectContaining({
          HostKeyAlias: "k8s-master1",
          UserKnownHostsFile: `"${path.join(vmDir(), "known_hosts")}"`,
          StrictHostKeyChecking: "yes",
        }),
      }),
    ]);
    expect(fs.readFileSync(path.join(vmDir(), "known_hosts"), "utf8")).toBe(`k8s-master1 ${KEY}\n`);
  });

  it("refuses a guest whose host key changed, with OpenSSH's warning and what to do", async () => {
    sim({ hostKey: OTHER_KEY });
    fs.writeFileSync(path.join(vmDir(), "console.log"), consoleWith(KEY));
    const r = await ssh(["k8s-master1", "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
    expect(r.stderr).toContain(
      "ssh: k8s-master1 at 10.10.0.131 shows a host key other than the ones its console printed",
    );
  });

  it("without keys on the console: trusts the first key, refuses a changed one until it is forgotten", async () => {
    sim({ hostKey: KEY });
    expect((await ssh(["k8s-master1", "true"])).code).toBe(0);
    expect(calls()[0].opts.StrictHostKeyChecking).toBe("accept-new");
    expect(fs.readFileSync(path.join(vmDir(), "known_hosts"), "utf8")).toBe(`k8s-master1 ${KEY}\n`);
    sim({ hostKey: OTHER_KEY });
    const refused = await ssh(["k8s-master1", "true"]);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain("forget the old one with npm run ssh -- --forget k8s-master1");
    const forgot = await ssh(["--forget", "k8s-master1"]);
    expect(forgot.code).toBe(0);
    expect(forgot.stderr).toContain("ssh: forgot the host key recorded for k8s-master1");
    expect((await ssh(["k8s-master1", "true"])).code).toBe(0);
  });

  it("passes the remote command (its options too) and its exit code", async () => {
    sim({ commands: { "ls -la /etc": { code: 0, stdout: "hosts\n" }, "exit 3": { code: 3 } } });
    const r = await ssh(["k8s-master1", "ls", "-la", "/etc"]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "hosts\n" });
    expect((await ssh(["k8s-master1", "exit", "3"])).code).toBe(3);
  });

  it("writes an ssh_config with a Host per VM that has an address, and no secret", async () => {
    const r = await ssh(["--config"]);
    expect(r.code).toBe(0);
    const file = path.join(p.root, ".ssh/ssh_config");
    expect(r.stderr).toContain(`put this line at the top of ~/.ssh/config: Include "${file}"`);
    expect(r.stderr).toContain("(no address yet: k8s-worker1)");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain(
      [
        "Host k8s-master1",
        "  HostName 10.10.0.131",
        "  User ubuntu",
        `  IdentityFile "${path.join(p.root, "id_test")}"`,
        "  IdentitiesOnly yes",
        "  HostKeyAlias k8s-master1",
        `  UserKnownHostsFile "${path.join(vmDir(), "known_hosts")}"`,
      ].join("\n"),
    );
    expect(text).toContain("Host apt-cache-server\n  HostName 10.10.0.148\n");
    expect(text).toContain("# k8s-worker1: no address known yet");
    expect(text).not.toMatch(/PRIVATE KEY|AAAA/);
  });

  it("says what to do for a VM without an address, one not built, and a name that is no VM", async () => {
    const none = await ssh(["k8s-worker1", "true"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^ssh: k8s-worker1 has no known address .*start it \(npm run manager -- start-all\)/,
    );
    fs.rmSync(path.join(p.root, "VMs/k8s_cluster/gateway1.vmwarevm"), { recursive: true });
    expect((await ssh(["gateway1", "true"])).stderr).toMatch(
      /^ssh: gateway1 is not built yet: run npm run deploy \(there is no VMs\/k8s_cluster\/gateway1.vmwarevm\/gateway1.vmx\)$/m,
    );
    expect((await ssh(["k8s-master9"])).stderr).toContain(
      'no VM named "k8s-master9" in the config; the VMs are: gateway1, k8s-master1, k8s-worker1, apt-cache-server',
    );
    expect(fs.existsSync(path.join(p.env.SSH_SIM_DIR, "calls.log"))).toBe(false);
  });
});

import { realTemplates } from "../../test-support/synth";
import * as fs from "node:fs";
import * as path from "node:path";
import { GUEST_APPLIER_PATH } from "../../lib/model/render/cloud-init";
import { renderHostsBlock } from "../../lib/model/render/hosts";
import { FakeGuest } from "../../test-support/fake-guest";
import { makeTempDir } from "../../test-support/fixtures";
import { modelFixture } from "../../test-support/model-fixture";
import { makeTempProjectRoot, runEntry } from "../../test-support/run-entry";
import { renderTemplate } from "../../test-support/terraform-apply/template";
import { requireTools } from "../../test-support/required-tools";

// The ssh test double runs the real guest applier (templates/guest-apply.py) with python3.
const python = requireTools("python3");

/**
 * scripts/guest-config end to end: the real entry point, a fake `ssh` on PATH that plays the guest,
 * and the real guest applier (python3) writing into a fake guest root.
 */
const SSH_SIM = path.resolve(__dirname, "../../test-support/ssh-sim");
const VM_DIR = "VMs/k8s_cluster/k8s-master1.vmwarevm";
/** Two ed25519 host keys: what the guest printed, and another machine's. */
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb2JbT3LmXy3SBDjt5O1CpzWkGWlnl8l5dB6ZDGRhzT";
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkpPlnBXAdkLhOcbzKmC+Vdn8S9tF1SNvB6j3sV5d0N";
const consoleWith = (key: string) =>
  `[   40.1] cloud-init[600]: ...\r\n-----BEGIN SSH HOST KEY KEYS-----\r\n${key} root@k8s-master1\r\n-----END SSH HOST KEY KEYS-----\r\n`;
const model = modelFixture();
const HOSTS = renderTemplate(
  renderHostsBlock(
    model,
    (vm) => ({ literal: `10.10.0.${20 + model.vms.indexOf(vm)}` }),
    {
      expression: "var.internal_vip",
    },
    realTemplates(),
  ),
  {
    var: {
      internal_vip: model.network.internalVip,
    },
  },
);

describe("scripts/guest-config", () => {
  let root: string;
  let simDir: string;
  let guest: FakeGuest;
  beforeEach(() => {
    root = makeTempProjectRoot();
    simDir = makeTempDir("ssh-sim-");
    guest = new FakeGuest();
    fs.mkdirSync(path.join(root, VM_DIR), { recursive: true });
    const dir = path.join(root, "generated/k8s-master1/guest");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "hosts"), HOSTS);
    fs.writeFileSync(
      path.join(dir, "manifest.json"),
      JSON.stringify({
        vm: "k8s-master1",
        files: [
          {
            source: "hosts",
            target: "/etc/hosts",
            kind: "hosts-block",
            mode: "0644",
            validate: null,
            units: [],
          },
        ],
      }),
    );
  });
  afterEach(() => {
    for (const d of [root, simDir]) fs.rmSync(d, { recursive: true, force: true });
    guest.cleanup();
  });

  const simConfig = (config: object) =>
    fs.writeFileSync(
      path.join(simDir, "config.json"),
      JSON.stringify({ applier: guest.applierArgv, ...config }),
    );
  const calls = () =>
    fs
      .readFileSync(path.join(simDir, "calls.log"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            host: string;
            user: string;
            remote: string[];
            port: string;
            identity?: string;
            opts: Record<string, string>;
          },
      );
  const run = (env: Record<string, string> = {}) =>
    runEntry("guest-config", {
      projectRoot: root,
      timeoutMs: 60_000,
      env: {
        PATH: `${SSH_SIM}:${process.env.PATH}`,
        SSH_SIM_DIR: simDir,
        VM_NAME: "k8s-master1",
        SSH_HOST: "10.10.0.22",
        SSH_USER: "ubuntu",
        GUEST_MANIFEST: "generated/k8s-master1/guest/manifest.json",
        GUEST_WAIT_SECONDS: "30",
        SSH_KNOWN_HOSTS: `${VM_DIR}/known_hosts`,
        SSH_CONSOLE_LOG: `${VM_DIR}/console.log`,
        ...env,
      },
    });

  python.it(
    "waits for SSH and cloud-init, then installs the files through the guest's applier with fixed commands",
    async () => {
      simConfig({ unreachableTimes: 2 });
      const r = await run();
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/guest-config k8s-master1: changed: \/etc\/hosts\n/);
      expect(guest.file("/etc/hosts")).toBe(HOSTS);
      const remote = calls().map((c) => c.remote.join(" "));
      expect(remote).toEqual([
        "true",
        "true",
        "true",
        "cloud-init status --wait",
        `sudo -n ${GUEST_APPLIER_PATH}`,
      ]);
      for (const c of calls()) {
        expect(c).toMatchObject({
          host: "10.10.0.22",
          user: "ubuntu",
          port: "22",
          // No key on the console: the first one is recorded (trust on first use).
          opts: { BatchMode: "yes", StrictHostKeyChecking: "accept-new", HostKeyAlias: "k8s-master1" },
        });
      }
      expect(r.stdout + r.stderr).not.toContain("warning");
    },
  );

  python.it("waits for SSH again when sshd restarts during cloud-init's first boot", async () => {
    // Call 2 (cloud-init status --wait) is refused, as when cloud-init regenerates host keys and restarts sshd.
    simConfig({ refusedCalls: [2] });
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /SSH dropped \(ssh: connect to host 10\.10\.0\.22 port 22: Connection refused\): sshd restarts during first boot/,
    );
    expect(calls().map((c) => c.remote.join(" "))).toEqual([
      "true",
      "cloud-init status --wait",
      "true",
      "cloud-init status --wait",
      `sudo -n ${GUEST_APPLIER_PATH}`,
    ]);
    expect(guest.file("/etc/hosts")).toBe(HOSTS);
  });

  python.it("passes a configured key and port to ssh", async () => {
    simConfig({});
    const r = await run({ SSH_IDENTITY_FILE: "~/.ssh/lab_key", SSH_PORT: "2222" });
    expect(r.code).toBe(0);
    expect(calls()[0]).toMatchObject({
      port: "2222",
      identity: path.join(process.env.HOME ?? "", ".ssh/lab_key"),
      opts: { IdentitiesOnly: "yes" },
    });
  });

  it("stops at once with the fix when the guest refuses the key", async () => {
    simConfig({ authFail: true });
    const r = await run();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /k8s-master1: 10\.10\.0\.22 refused your SSH key .*Permission denied \(publickey\).*ssh-add/,
    );
    expect(calls()).toHaveLength(1);
  });

  python.it("checks the host key the guest printed on its console, strictly", async () => {
    simConfig({ hostKey: KEY });
    fs.writeFileSync(path.join(root, VM_DIR, "console.log"), consoleWith(KEY));
    const r = await run();
    expect(r.code).toBe(0);
    expect(guest.file("/etc/hosts")).toBe(HOSTS);
    for (const c of calls())
      expect(c.opts).toMatchObject({
        HostKeyAlias: "k8s-master1",
        UserKnownHostsFile: `"${path.join(fs.realpathSync(root), VM_DIR, "known_hosts")}"`,
        StrictHostKeyChecking: "yes",
        GlobalKnownHostsFile: "/dev/null",
      });
    expect(fs.readFileSync(path.join(root, VM_DIR, "known_hosts"), "utf8")).toBe(`k8s-master1 ${KEY}\n`);
  });

  it("refuses a guest whose host key is not the one its console printed, and says what to do", async () => {
    simConfig({ hostKey: OTHER_KEY });
    fs.writeFileSync(path.join(root, VM_DIR, "console.log"), consoleWith(KEY));
    const r = await run({ GUEST_WAIT_SECONDS: "4" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "k8s-master1 at 10.10.0.22 shows a host key other than the ones its console printed",
    );
    expect(
      calls()
        .map((c) => c.remote.join(" "))
        .filter((w) => w !== "true"),
    ).toEqual([]);
    expect(guest.file("/etc/hosts")).toBeUndefined();
  });

  it("fails honestly when SSH never answers within the wait", async () => {
    simConfig({ unreachableTimes: 1000 });
    const r = await run({ GUEST_WAIT_SECONDS: "4" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /k8s-master1: SSH to ubuntu@10\.10\.0\.22 did not answer within 4 s \(last: ssh: connect to host 10\.10\.0\.22 port 22: Connection refused\)/,
    );
  });

  it("refuses to run without an address, naming the VM and what to do", async () => {
    simConfig({});
    const r = await run({ SSH_HOST: "" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /k8s-master1 has no known address: it is off or has not reported one yet\. Start it \(npm run manager -- start-all\), then run npm run deploy again/,
    );
    expect(fs.existsSync(path.join(simDir, "calls.log"))).toBe(false);
  });

  it("without an address and without the VM's .vmx, names the deploy as the fix", async () => {
    simConfig({});
    const r = await run({ SSH_HOST: "", VMX_PATH: "VMs/k8s_cluster/k8s-master1.vmwarevm/k8s-master1.vmx" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /k8s-master1 has no known address: its \.vmx is missing \(it was never started, or was deleted\)\. Run npm run deploy again: its plan finds the \.vmx missing and starts k8s-master1 again/,
    );
  });

  python.it("still installs the files when cloud-init reports an error, and says so", async () => {
    simConfig({ cloudInit: { code: 1, output: "status: error" } });
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/warning: cloud-init ended with exit 1 \(status: error\)/);
    expect(guest.file("/etc/hosts")).toBe(HOSTS);
  });

  python.it("fails with the guest's reason when the applier refuses a file", async () => {
    fs.writeFileSync(path.join(root, "generated/k8s-master1/guest/hosts"), "not a block\n");
    fs.writeFileSync(
      path.join(root, "generated/k8s-master1/guest/manifest.json"),
      JSON.stringify({
        vm: "k8s-master1",
        files: [
          {
            source: "hosts",
            target: "/etc/nginx/nginx.conf",
            kind: "file",
            mode: "0644",
            validate: "nginx",
            units: ["nginx.service"],
          },
        ],
      }),
    );
    fs.writeFileSync(path.join(root, "generated/k8s-master1/guest/hosts"), "BROKEN\n");
    simConfig({});
    const r = await run();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /k8s-master1: the guest refused or could not apply its role files: \/etc\/nginx\/nginx\.conf: the new file fails nginx's check/,
    );
  });

  it("says what to do when the guest has no applier", async () => {
    simConfig({ applier: undefined });
    const r = await run();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /applying the role files failed: .*command not found; the guest has no \/usr\/local\/sbin\/k8s-lab-apply/,
    );
  });

  it("refuses a manifest for another VM", async () => {
    simConfig({});
    const r = await run({
      VM_NAME: "k8s-master2",
      GUEST_MANIFEST: "generated/k8s-master1/guest/manifest.json",
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/manifest .* is for k8s-master1, not k8s-master2/);
  });
});

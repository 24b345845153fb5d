import * as fs from "node:fs";
import * as path from "node:path";
import {
  hostKeyRefusalMessage,
  isHostKeyRefusal,
  isUnreachable,
  sshRun,
  type SshTarget,
} from "../../../../lib/runtime/ssh/ssh";
import { forgetPins } from "../../../../lib/runtime/ssh/host-keys";
import { makeTempDir } from "../../../../test-support/fixtures";
import { type LoopbackSshd, startLoopbackSshd } from "../../../../test-support/loopback-sshd";
import { requireTools } from "../../../../test-support/required-tools";

const { describe: withSshd } = requireTools("sshd");

/** The console block cloud-init prints, for `keys`. */
const consoleWith = (keys: readonly string[]) =>
  `-----BEGIN SSH HOST KEY KEYS-----\r\n${keys.map((k) => `${k} root@vm\r\n`).join("")}-----END SSH HOST KEY KEYS-----\r\n`;

withSshd("ssh against a real sshd on 127.0.0.1: pinned host keys", () => {
  let dir: string;
  let sshd: LoopbackSshd;
  let target: SshTarget;
  beforeAll(async () => {
    dir = makeTempDir("ssh-pins-");
    fs.mkdirSync(path.join(dir, "sshd"));
    fs.mkdirSync(path.join(dir, "vm"));
    sshd = await startLoopbackSshd(path.join(dir, "sshd"));
    target = {
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.clientKey,
      hostKeys: {
        alias: "k8s-master1",
        knownHostsFile: path.join(dir, "vm", "known_hosts"),
        consoleLog: path.join(dir, "vm", "console.log"),
      },
    };
  });
  afterAll(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const run = () => sshRun(target, ["echo", "reached"], { timeoutMs: 30_000, connectTimeoutSeconds: 5 });

  it("connects with the keys the console printed, checked strictly", async () => {
    fs.writeFileSync(target.hostKeys.consoleLog, consoleWith([sshd.hostKey()]));
    const r = await run();
    expect({ code: r.code, stdout: r.stdout, pinSource: r.pinSource }).toEqual({
      code: 0,
      stdout: "reached\n",
      pinSource: "console",
    });
    expect(fs.readFileSync(target.hostKeys.knownHostsFile, "utf8")).toBe(`k8s-master1 ${sshd.hostKey()}\n`);
  });

  it("refuses a guest whose key is not the one its console printed, and says what to do", async () => {
    const printed = sshd.hostKey();
    await sshd.rekey();
    fs.writeFileSync(target.hostKeys.consoleLog, consoleWith([printed]));
    const r = await run();
    expect(r.code).toBe(255);
    expect(r.stdout).toBe("");
    expect(isHostKeyRefusal(r)).toBe(true);
    expect(isUnreachable(r)).toBe(false);
    expect(hostKeyRefusalMessage(target, r.pinSource)).toContain(
      "k8s-master1 at 127.0.0.1 shows a host key other than the ones its console printed",
    );
  });

  it("without keys on the console, trusts the first key, records it, and refuses a changed one", async () => {
    fs.writeFileSync(target.hostKeys.consoleLog, "[    1.0] no keys printed\r\n");
    await forgetPins(target.hostKeys);
    const first = await run();
    expect({ code: first.code, pinSource: first.pinSource }).toEqual({ code: 0, pinSource: "first use" });
    expect(fs.readFileSync(target.hostKeys.knownHostsFile, "utf8")).toBe(`k8s-master1 ${sshd.hostKey()}\n`);
    await sshd.rekey();
    const changed = await run();
    expect(changed.code).toBe(255);
    expect(changed.stderr).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
    expect(isHostKeyRefusal(changed)).toBe(true);
    expect(hostKeyRefusalMessage(target, changed.pinSource)).toContain(
      "forget the old one with npm run ssh -- --forget k8s-master1",
    );
    // After the user forgets the old key, the new one is recorded.
    await forgetPins(target.hostKeys);
    expect((await run()).code).toBe(0);
  });
});

describe("a target ssh would misread", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("ssh-bad-target-");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // OpenSSH expands %-tokens and ${VAR} in UserKnownHostsFile: %d names the home folder instead.
  it.each(["100%d lab", "a${HOME}b"])(
    "refuses a known_hosts path holding %j before the pins are touched",
    async (folder) => {
      const vmDir = path.join(dir, folder);
      fs.mkdirSync(vmDir);
      const consoleLog = path.join(vmDir, "console.log");
      fs.writeFileSync(
        consoleLog,
        consoleWith(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]),
      );
      const knownHostsFile = path.join(vmDir, "known_hosts");
      const target: SshTarget = {
        host: "127.0.0.1",
        user: "lab",
        hostKeys: { alias: "k8s-master1", knownHostsFile, consoleLog },
      };
      await expect(sshRun(target, ["true"], { timeoutMs: 5_000 })).rejects.toThrow(
        /known_hosts path .* holds a quote, a control character, % or \$\{, which ssh would misread: move the project/,
      );
      expect(fs.existsSync(knownHostsFile)).toBe(false);
    },
  );
});

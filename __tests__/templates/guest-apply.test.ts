import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { HOSTS_BEGIN, HOSTS_END } from "../../lib/model/render/hosts";
import { FakeGuest } from "../../test-support/fake-guest";
import { requireTools } from "../../test-support/required-tools";

const python = requireTools("python3");

/** The guest side of guest-config, run for real with python3 against a fake root. */
const BLOCK = `${HOSTS_BEGIN}\n10.10.0.21 k8s-master1\n10.10.0.100 k8s-api\n${HOSTS_END}\n`;

function bundle(files: object[]) {
  return JSON.stringify({ vm: "gateway1", files });
}

const nginxEntry = (content: string) => ({ target: "/etc/nginx/nginx.conf", kind: "file", mode: "0644", validate: "nginx", units: ["nginx.service"], content });
const keepalivedEntry = (content: string) => ({ target: "/etc/keepalived/keepalived.conf", kind: "file", mode: "0600", validate: "keepalived", units: ["keepalived.service"], content });
const hostsEntry = (content: string) => ({ target: "/etc/hosts", kind: "hosts-block", mode: "0644", validate: null, units: [], content });

python.describe("guest-apply.py", () => {
  let guest: FakeGuest;
  beforeEach(() => {
    guest = new FakeGuest();
  });
  afterEach(() => guest.cleanup());

  function apply(input: string) {
    const [cmd, ...args] = guest.applierArgv;
    const r = spawnSync(cmd, args, { input, encoding: "utf8", timeout: 30_000 });
    return { code: r.status, summary: r.stdout ? JSON.parse(r.stdout.trim().split("\n").pop() as string) : undefined, stderr: r.stderr };
  }

  it("installs the files with their modes, reloads their units, and merges the hosts block keeping the rest", () => {
    guest.write("/etc/hosts", "127.0.0.1 localhost\n::1 ip6-localhost\n");
    const r = apply(bundle([hostsEntry(BLOCK), nginxEntry("stream {}\n"), keepalivedEntry("global_defs {}\n")]));
    expect(r.code).toBe(0);
    expect(r.summary.changed).toEqual(["/etc/hosts", "/etc/nginx/nginx.conf", "/etc/keepalived/keepalived.conf"]);
    expect(guest.file("/etc/hosts")).toBe(`127.0.0.1 localhost\n::1 ip6-localhost\n${BLOCK}`);
    expect(guest.file("/etc/nginx/nginx.conf")).toBe("stream {}\n");
    expect(fs.statSync(path.join(guest.root, "etc/keepalived/keepalived.conf")).mode & 0o777).toBe(0o600);
    expect(guest.systemctlCalls()).toEqual(expect.arrayContaining(["enable nginx.service", "reload-or-restart nginx.service", "reload-or-restart keepalived.service", "is-active keepalived.service"]));
  });

  it("changes nothing on a second run with the same bundle, but keeps the units running", () => {
    const input = bundle([hostsEntry(BLOCK), nginxEntry("stream {}\n")]);
    expect(apply(input).code).toBe(0);
    const second = apply(input);
    expect(second.summary.changed).toEqual([]);
    expect(second.summary.unchanged).toEqual(["/etc/hosts", "/etc/nginx/nginx.conf"]);
    expect(guest.systemctlCalls().filter((c) => c.startsWith("reload-or-restart"))).toHaveLength(1);
    expect(guest.systemctlCalls()).toContain("start nginx.service");
  });

  it("replaces its own hosts block in place when addresses change", () => {
    guest.write("/etc/hosts", `127.0.0.1 localhost\n${BLOCK}192.168.1.5 printer\n`);
    const moved = BLOCK.replace("10.10.0.21", "10.10.0.99");
    expect(apply(bundle([hostsEntry(moved)])).code).toBe(0);
    expect(guest.file("/etc/hosts")).toBe(`127.0.0.1 localhost\n${moved}192.168.1.5 printer\n`);
  });

  it("refuses a file its validator rejects, leaving the old one in place and exiting 1", () => {
    guest.write("/etc/nginx/nginx.conf", "old\n");
    const r = apply(bundle([nginxEntry("BROKEN\n")]));
    expect(r.code).toBe(1);
    expect(r.summary.errors[0]).toMatch(/^\/etc\/nginx\/nginx\.conf: the new file fails nginx's check \(exit 1\): emerg: BROKEN/);
    expect(guest.file("/etc/nginx/nginx.conf")).toBe("old\n");
    expect(guest.systemctlCalls()).not.toContain("reload-or-restart nginx.service");
  });

  it("puts the previous files back when a unit fails with the new ones", () => {
    guest.write("/etc/keepalived/keepalived.conf", "previous\n");
    guest.failUnit("keepalived.service");
    const r = apply(bundle([keepalivedEntry("new\n")]));
    expect(r.code).toBe(1);
    expect(r.summary.errors.join("\n")).toMatch(/keepalived\.service failed after reload-or-restart[\s\S]*restored the previous version/);
    expect(guest.file("/etc/keepalived/keepalived.conf")).toBe("previous\n");
    expect(guest.systemctlCalls()).toContain("restart keepalived.service");
  });

  it("refuses a relative or escaping target", () => {
    const r = apply(bundle([{ ...hostsEntry(BLOCK), target: "/etc/../root/x" }]));
    expect(r.code).toBe(1);
    expect(r.summary.errors[0]).toMatch(/refused target/);
  });
});

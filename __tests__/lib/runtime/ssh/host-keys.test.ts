import * as fs from "node:fs";
import * as path from "node:path";
import { consoleHostKeys, forgetPins, refreshPins } from "../../../../lib/runtime/ssh/host-keys";
import { makeTempDir } from "../../../../test-support/fixtures";

/** A key blob of `type` in SSH's wire format: the type's name, then the key as one string. */
function blob(type: string, fill: number): string {
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  return Buffer.concat([field(Buffer.from(type, "latin1")), field(Buffer.alloc(32, fill))]).toString(
    "base64",
  );
}
const ED = `ssh-ed25519 ${blob("ssh-ed25519", 1)}`;
const ECDSA = `ecdsa-sha2-nistp256 ${blob("ecdsa-sha2-nistp256", 2)}`;
const NEW_ED = `ssh-ed25519 ${blob("ssh-ed25519", 3)}`;

/** What cloud-init 23-25 prints at the end of a first boot (write-ssh-key-fingerprints), with CRLF as a serial console has it. */
function keysBlock(keys: readonly string[], host = "gateway1"): string {
  return [
    "<14>Dec  6 10:00:01 cloud-init: #############################################################",
    "<14>Dec  6 10:00:01 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----",
    "<14>Dec  6 10:00:01 cloud-init: 256 SHA256:abc root@gateway1 (ED25519)",
    "<14>Dec  6 10:00:01 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----",
    "-----BEGIN SSH HOST KEY KEYS-----",
    ...keys.map((k) => `${k} root@${host}`),
    "-----END SSH HOST KEY KEYS-----",
    "[   42.100000] cloud-init[612]: Cloud-init v. 25.1 finished",
    "",
  ].join("\r\n");
}

describe("consoleHostKeys", () => {
  it("reads the keys of cloud-init's block, CRLF and comments stripped", () => {
    expect(consoleHostKeys(`[    0.0] Linux version 6.12\r\n${keysBlock([ECDSA, ED])}`)).toEqual([ECDSA, ED]);
  });

  it("takes the last complete block: a new instance's keys, not the first boot's", () => {
    const text =
      keysBlock([ED]) + "reboot\r\n" + keysBlock([NEW_ED]) + "-----BEGIN SSH HOST KEY KEYS-----\r\n";
    expect(consoleHostKeys(text)).toEqual([NEW_ED]);
  });

  it("skips what is not a key: interleaved kernel lines, a garbled or mislabelled blob, fingerprints", () => {
    const text = keysBlock([
      ED,
      "[   41.9] random: crng init done",
      `ssh-ed25519 ${blob("ssh-ed25519", 4).slice(0, 20)}`,
      `ssh-rsa ${blob("ssh-ed25519", 5)}`,
    ]);
    expect(consoleHostKeys(text)).toEqual([ED]);
    expect(consoleHostKeys("no keys yet\n")).toEqual([]);
    expect(consoleHostKeys("-----END SSH HOST KEY KEYS-----\n")).toEqual([]);
  });
});

describe("refreshPins", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("host-keys-");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pins = () => ({
    alias: "gateway1",
    knownHostsFile: path.join(dir, "vm", "known_hosts"),
    consoleLog: path.join(dir, "vm", "console.log"),
  });

  it("pins the console's keys under the VM's name, and follows the console when it prints new ones", async () => {
    fs.mkdirSync(path.join(dir, "vm"));
    fs.writeFileSync(pins().consoleLog, keysBlock([ECDSA, ED]));
    expect(await refreshPins(pins())).toBe("console");
    expect(fs.readFileSync(pins().knownHostsFile, "utf8")).toBe(`gateway1 ${ECDSA}\ngateway1 ${ED}\n`);
    fs.appendFileSync(pins().consoleLog, keysBlock([NEW_ED]));
    expect(await refreshPins(pins())).toBe("console");
    expect(fs.readFileSync(pins().knownHostsFile, "utf8")).toBe(`gateway1 ${NEW_ED}\n`);
    // Console pins are the guest's own: forgetting them is undone by the next refresh.
    expect(await forgetPins(pins())).toBe(true);
    await refreshPins(pins());
    expect(fs.readFileSync(pins().knownHostsFile, "utf8")).toBe(`gateway1 ${NEW_ED}\n`);
  });

  it("leaves a first-use record alone while the console shows no keys, and never creates a VM folder", async () => {
    expect(await refreshPins(pins())).toBe("first use");
    expect(fs.existsSync(path.join(dir, "vm"))).toBe(false);
    fs.mkdirSync(path.join(dir, "vm"));
    fs.writeFileSync(pins().consoleLog, "[    1.0] booting\r\n");
    fs.writeFileSync(pins().knownHostsFile, `gateway1 ${ED}\n`);
    expect(await refreshPins(pins())).toBe("first use");
    expect(fs.readFileSync(pins().knownHostsFile, "utf8")).toBe(`gateway1 ${ED}\n`);
    expect(await forgetPins(pins())).toBe(true);
    expect(fs.existsSync(pins().knownHostsFile)).toBe(false);
    expect(await forgetPins(pins())).toBe(false);
  });
});

describe("refreshPins with an epoch (a vSphere clone, whose pins outlive it)", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("pins-epoch-");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pins = (epoch: string) => ({
    alias: "k8s-master1",
    knownHostsFile: path.join(dir, "known_hosts"),
    consoleLog: path.join(dir, "no-console"),
    epoch,
  });
  const recorded =
    "k8s-master1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9LWdVFuFDRnj68+GKyT96slNZIjxuHwIegf5mSpKRQ\n";

  it("keeps the keys recorded for the same VM, and drops them for a new one (a new clone id)", async () => {
    expect(await refreshPins(pins("vm-1"))).toBe("first use");
    fs.writeFileSync(path.join(dir, "known_hosts"), recorded); // what ssh records at first use
    expect(await refreshPins(pins("vm-1"))).toBe("first use");
    expect(fs.readFileSync(path.join(dir, "known_hosts"), "utf8")).toBe(recorded);
    await refreshPins(pins("vm-2"));
    expect(fs.existsSync(path.join(dir, "known_hosts"))).toBe(false);
    expect(fs.readFileSync(path.join(dir, "known_hosts.epoch"), "utf8")).toBe("vm-2\n");
  });
});

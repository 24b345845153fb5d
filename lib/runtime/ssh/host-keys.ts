/**
 * Pinned host keys of the lab's VMs. The guest itself says which keys it has: at the end of its first
 * boot cloud-init (keys_to_console) prints them between `-----BEGIN SSH HOST KEY KEYS-----` and
 * `-----END SSH HOST KEY KEYS-----` on the console, which the .vmx sends to `console.log` in the VM
 * folder; nothing on the network can write there. Those keys are the pins. Where the console holds
 * none (yet), the first key ssh sees is recorded (trust on first use) and held from then on. Both live
 * in a known_hosts file in the VM's own folder, under the VM's name (ssh's HostKeyAlias), so a new
 * DHCP address does not matter and a VM built anew starts without the old VM's keys.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../fs/atomic";

const BEGIN = "-----BEGIN SSH HOST KEY KEYS-----";
const END = "-----END SSH HOST KEY KEYS-----";
/** The console's tail that is read: the key block is printed once per instance, near the end of a boot. */
const CONSOLE_TAIL_BYTES = 4 * 2 ** 20;
const KEY_LINE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?:\s|$)/;

/** Where a VM's pins are kept and read from (absolute paths). */
export interface HostKeyPins {
  /** The name ssh files and checks the keys under (HostKeyAlias): the VM's name. */
  readonly alias: string;
  /** The known_hosts file holding them. */
  readonly knownHostsFile: string;
  /** The VM's serial console log, where cloud-init prints the guest's keys. */
  readonly consoleLog: string;
  /**
   * Which VM the pins belong to, where a rebuilt VM keeps the same known_hosts path (vSphere: the
   * clone's id): pins recorded for another epoch are dropped before connecting. @default none
   */
  readonly epoch?: string;
}

/** Where the pins in use came from: the guest's console, or the first connection. */
export type PinSource = "console" | "first use";

/**
 * True when `blob` (base64) is an SSH public key of `type`: the wire format is a run of
 * length-prefixed strings, the first the type's name, that ends exactly at the end; so a line the
 * console garbled or cut (kernel messages interleave with it) is not taken for a key.
 */
function isKeyBlob(type: string, blob: string): boolean {
  const bytes = Buffer.from(blob, "base64");
  const fields: Buffer[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) return false;
    fields.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return at === bytes.length && fields.length >= 2 && fields[0].toString("latin1") === type;
}

/** The keys (`<type> <base64>`) of the last complete key block on the console, in its order. */
export function consoleHostKeys(consoleText: string): string[] {
  const end = consoleText.lastIndexOf(END);
  if (end < 0) return [];
  const begin = consoleText.lastIndexOf(BEGIN, end);
  if (begin < 0) return [];
  const keys: string[] = [];
  for (const raw of consoleText.slice(begin + BEGIN.length, end).split("\n")) {
    const m = KEY_LINE.exec(raw.replace(/\r/g, "").trim());
    if (m && isKeyBlob(m[1], m[2]) && !keys.includes(`${m[1]} ${m[2]}`)) keys.push(`${m[1]} ${m[2]}`);
  }
  return keys;
}

function readTail(file: string, bytes: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

/** The known_hosts text of `keys` under `alias`. */
function knownHostsText(alias: string, keys: readonly string[]): string {
  return keys.map((k) => `${alias} ${k}\n`).join("");
}

/**
 * Brings the VM's known_hosts file in line with its console before ssh runs: when the console shows
 * the guest's keys, they are the pins (a guest that printed new ones, after a new seed, has new
 * ones); otherwise the file stays as it is and ssh records the first key it sees.
 */
export async function refreshPins(pins: HostKeyPins): Promise<PinSource> {
  if (pins.epoch !== undefined) await dropPinsOfAnotherEpoch(pins.knownHostsFile, pins.epoch);
  const keys = consoleHostKeys(readTail(pins.consoleLog, CONSOLE_TAIL_BYTES) ?? "");
  // The file lives in the VM's folder, which only the deploy creates: no folder, no VM to pin.
  if (keys.length === 0 || !fs.existsSync(path.dirname(pins.knownHostsFile))) return "first use";
  const text = knownHostsText(pins.alias, keys);
  let current: string | undefined;
  try {
    current = await fs.promises.readFile(pins.knownHostsFile, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== text) await writeFileAtomic(pins.knownHostsFile, text);
  return "console";
}

/**
 * A new VM under an old name (a vSphere clone made again) has new keys: the pins of the VM before it
 * are dropped, and the epoch they now belong to recorded beside them (`<known_hosts>.epoch`).
 */
async function dropPinsOfAnotherEpoch(knownHostsFile: string, epoch: string): Promise<void> {
  if (!fs.existsSync(path.dirname(knownHostsFile))) return;
  const epochFile = `${knownHostsFile}.epoch`;
  const recorded = await fs.promises.readFile(epochFile, "utf8").catch(() => undefined);
  if (recorded?.trim() === epoch) return;
  await fs.promises.rm(knownHostsFile, { force: true });
  await writeFileAtomic(epochFile, `${epoch}\n`);
}

/** Forgets the keys recorded at first use (after the user has made sure the VM was rebuilt). */
export async function forgetPins(pins: HostKeyPins): Promise<boolean> {
  try {
    await fs.promises.rm(pins.knownHostsFile);
    return true;
  } catch {
    return false;
  }
}

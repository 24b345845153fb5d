/** SHA-256 helpers for the base image: normalizing pinned hashes, reading SHA256SUMS, hashing files. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Lower-cases and checks a hex SHA-256; `label` names where it came from for the error. */
export function normalizeSha256(value: string, label: string): string {
  const hex = value
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, "");
  if (!SHA256_HEX.test(hex)) {
    throw new Error(
      `${label}=${JSON.stringify(value)} is not a SHA-256 (64 hex digits): copy the hash from the image's SHA256SUMS file`,
    );
  }
  return hex;
}

/**
 * Parses `sha256sum` output as published by Ubuntu: `<hash> *<file>` (binary mode) or `<hash>  <file>`.
 * Returns file name -> lower-case hash; the first entry for a name wins.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (!m) continue;
    const file = m[2].replace(/^\.\//, "");
    if (!entries.has(file)) entries.set(file, m[1].toLowerCase());
  }
  return entries;
}

/** The hash listed for `fileName` in a SHA256SUMS text, or an error naming the file and where it looked. */
export function expectedSha256From(sumsText: string, fileName: string, sumsSource: string): string {
  const hash = parseSha256Sums(sumsText).get(fileName);
  if (hash === undefined) {
    throw new Error(
      `${sumsSource} has no SHA-256 line for ${fileName}: check that the checksums URL belongs to the image URL, or pin the hash in the config`,
    );
  }
  return hash;
}

/** Streams a file through SHA-256 and returns the lower-case hex digest. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

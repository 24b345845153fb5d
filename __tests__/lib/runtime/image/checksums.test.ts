import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  expectedSha256From,
  normalizeSha256,
  parseSha256Sums,
  sha256File,
} from "../../../../lib/runtime/image/checksums";
import { makeTempDir } from "../../../../test-support/fixtures";

const A = "a".repeat(64);
const B = "B".repeat(64);

describe("parseSha256Sums", () => {
  it("reads binary-mode and text-mode lines and skips everything else", () => {
    const sums = parseSha256Sums(
      `${A} *noble-server-cloudimg-amd64.img\r\n${B}  noble-server-cloudimg-arm64.img\n\nnot a line\n${"c".repeat(63)} *short.img\n`,
    );
    expect([...sums]).toEqual([
      ["noble-server-cloudimg-amd64.img", A],
      ["noble-server-cloudimg-arm64.img", B.toLowerCase()],
    ]);
  });
});

describe("expectedSha256From", () => {
  it("picks the line of the file and reports a missing one with the checksums source", () => {
    const text = `${A} *other.img\n${B} *noble.img\n`;
    expect(expectedSha256From(text, "noble.img", "https://x/SHA256SUMS")).toBe(B.toLowerCase());
    expect(() => expectedSha256From(text, "jammy.img", "https://x/SHA256SUMS")).toThrow(
      /https:\/\/x\/SHA256SUMS has no SHA-256 line for jammy\.img/,
    );
  });
});

describe("normalizeSha256", () => {
  it("lower-cases, accepts a sha256: prefix and rejects anything that is not 64 hex digits", () => {
    expect(normalizeSha256(` sha256:${B} `, "IMAGE_SHA256")).toBe(B.toLowerCase());
    expect(() => normalizeSha256("abc", "IMAGE_SHA256")).toThrow(/IMAGE_SHA256="abc" is not a SHA-256/);
  });
});

describe("sha256File", () => {
  it("hashes a file's content", async () => {
    const dir = makeTempDir();
    try {
      const file = path.join(dir, "f");
      const data = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
      fs.writeFileSync(file, data);
      await expect(sha256File(file)).resolves.toBe(createHash("sha256").update(data).digest("hex"));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

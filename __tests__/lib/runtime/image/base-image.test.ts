import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBaseImage } from "../../../../lib/runtime/image/base-image";
import { makeTempDir } from "../../../../test-support/fixtures";

const IMAGE = randomBytes(2 * 1024 * 1024 + 123);
const IMAGE_SHA = createHash("sha256").update(IMAGE).digest("hex");
const OTHER_SHA = "0".repeat(64);

let dir: string;
let server: http.Server;
let base: string;
let requests: Map<string, number>;

function count(url: string): number {
  return requests.get(url) ?? 0;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? "";
    requests.set(url, count(url) + 1);
    if (url === "/img/noble.img") {
      res.writeHead(200, { "content-length": IMAGE.length });
      // Two halves with a pause, so concurrent callers overlap a running download.
      res.write(IMAGE.subarray(0, IMAGE.length / 2));
      setTimeout(() => res.end(IMAGE.subarray(IMAGE.length / 2)), 100);
    } else if (url === "/img/SHA256SUMS") {
      res.end(`${OTHER_SHA} *noble-arm64.img\n${IMAGE_SHA} *noble.img\n`);
    } else if (url === "/bad/SHA256SUMS") {
      res.end(`${OTHER_SHA} *noble.img\n`);
    } else if (url === "/cut/noble.img") {
      res.writeHead(200, { "content-length": IMAGE.length });
      res.write(IMAGE.subarray(0, IMAGE.length / 2), () => res.socket?.destroy());
    } else if (url === "/stall/noble.img") {
      res.writeHead(200, { "content-length": IMAGE.length });
      res.write(IMAGE.subarray(0, 1024)); // and never more
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  dir = makeTempDir();
  requests = new Map();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const destIn = (d: string) => path.join(d, "base_images", "noble.img");

describe("ensureBaseImage", () => {
  it("downloads over http, verifies against SHA256SUMS and leaves only the image", async () => {
    const dest = destIn(dir);
    const result = await ensureBaseImage({
      source: `${base}/img/noble.img`,
      checksumsUrl: `${base}/img/SHA256SUMS`,
      dest,
      timeoutMs: 10_000,
    });
    expect(result).toEqual({ path: dest, sha256: IMAGE_SHA, action: "downloaded" });
    expect(fs.readFileSync(dest).equals(IMAGE)).toBe(true);
    expect(fs.readdirSync(path.dirname(dest))).toEqual(["noble.img"]);
  });

  it("keeps a verified existing image without downloading it again", async () => {
    const dest = destIn(dir);
    const opts = {
      source: `${base}/img/noble.img`,
      checksumsUrl: `${base}/img/SHA256SUMS`,
      dest,
      timeoutMs: 10_000,
    };
    await ensureBaseImage(opts);
    const ino = fs.statSync(dest).ino;
    await expect(ensureBaseImage(opts)).resolves.toMatchObject({
      action: "verified-existing",
      sha256: IMAGE_SHA,
    });
    expect(count("/img/noble.img")).toBe(1);
    expect(count("/img/SHA256SUMS")).toBe(2);
    expect(fs.statSync(dest).ino).toBe(ino);
  });

  it("replaces an existing file whose hash is wrong", async () => {
    const dest = destIn(dir);
    fs.mkdirSync(path.dirname(dest));
    fs.writeFileSync(dest, "truncated junk");
    const progress: string[] = [];
    const result = await ensureBaseImage({
      source: `${base}/img/noble.img`,
      sha256: IMAGE_SHA,
      dest,
      timeoutMs: 10_000,
      onProgress: (m) => progress.push(m),
    });
    expect(result.action).toBe("downloaded");
    expect(fs.readFileSync(dest).equals(IMAGE)).toBe(true);
    expect(progress.join("\n")).toMatch(/expected .*fetching it again/);
  });

  it("downloads once when two callers want the same image at the same time", async () => {
    const dest = destIn(dir);
    const opts = {
      source: `${base}/img/noble.img`,
      checksumsUrl: `${base}/img/SHA256SUMS`,
      dest,
      timeoutMs: 10_000,
    };
    const results = await Promise.all([ensureBaseImage(opts), ensureBaseImage(opts)]);
    expect(results.map((r) => r.action).sort()).toEqual(["downloaded", "verified-existing"]);
    expect(count("/img/noble.img")).toBe(1);
    expect(fs.readFileSync(dest).equals(IMAGE)).toBe(true);
  });

  it("lets a pinned sha256 win over the checksums file", async () => {
    const dest = destIn(dir);
    await expect(
      ensureBaseImage({
        source: `${base}/img/noble.img`,
        sha256: IMAGE_SHA.toUpperCase(),
        checksumsUrl: `${base}/bad/SHA256SUMS`,
        dest,
        timeoutMs: 10_000,
      }),
    ).resolves.toMatchObject({
      action: "downloaded",
    });
    expect(count("/bad/SHA256SUMS")).toBe(0);
  });

  it("keeps nothing and names both hashes when the download does not match", async () => {
    const dest = destIn(dir);
    const err = await ensureBaseImage({
      source: `${base}/img/noble.img`,
      checksumsUrl: `${base}/bad/SHA256SUMS`,
      dest,
      timeoutMs: 10_000,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(IMAGE_SHA);
    expect((err as Error).message).toContain(OTHER_SHA);
    expect((err as Error).message).toMatch(/check the image URL.*update the pinned sha256/);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it("keeps nothing when the server cuts the body halfway", async () => {
    const dest = destIn(dir);
    await expect(
      ensureBaseImage({ source: `${base}/cut/noble.img`, sha256: IMAGE_SHA, dest, timeoutMs: 10_000 }),
    ).rejects.toThrow(/downloading .*cut\/noble\.img failed .*nothing was kept/);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it("stops at the deadline and keeps nothing", async () => {
    const dest = destIn(dir);
    await expect(
      ensureBaseImage({ source: `${base}/stall/noble.img`, sha256: IMAGE_SHA, dest, timeoutMs: 500 }),
    ).rejects.toThrow(/did not finish within/);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it("reports an HTTP error status with the URL", async () => {
    await expect(
      ensureBaseImage({
        source: `${base}/img/missing.img`,
        sha256: IMAGE_SHA,
        dest: destIn(dir),
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow(/missing\.img answered HTTP 404/);
  });

  it("copies from a file:// URL and from a plain path, checksums included", async () => {
    const src = path.join(dir, "src");
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, "noble.img"), IMAGE);
    fs.writeFileSync(path.join(src, "SHA256SUMS"), `${IMAGE_SHA} *noble.img\n`);
    const viaUrl = path.join(dir, "a", "noble.img");
    await expect(
      ensureBaseImage({
        source: pathToFileURL(path.join(src, "noble.img")).href,
        checksumsUrl: pathToFileURL(path.join(src, "SHA256SUMS")).href,
        dest: viaUrl,
        timeoutMs: 10_000,
      }),
    ).resolves.toEqual({ path: viaUrl, sha256: IMAGE_SHA, action: "copied" });
    const viaPath = path.join(dir, "b", "noble.img");
    await expect(
      ensureBaseImage({
        source: path.join(src, "noble.img"),
        sha256: IMAGE_SHA,
        dest: viaPath,
        timeoutMs: 10_000,
      }),
    ).resolves.toMatchObject({ action: "copied" });
    expect(fs.readFileSync(viaPath).equals(IMAGE)).toBe(true);
    await expect(
      ensureBaseImage({
        source: path.join(src, "nope.img"),
        sha256: IMAGE_SHA,
        dest: path.join(dir, "c", "x.img"),
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow(/nope\.img does not exist/);
  });

  it("refuses to work without an expected hash", async () => {
    await expect(
      ensureBaseImage({ source: `${base}/img/noble.img`, dest: destIn(dir), timeoutMs: 10_000 }),
    ).rejects.toThrow(/no SHA-256 for .*unverified image is never used/);
    expect(count("/img/noble.img")).toBe(0);
  });

  it("reports a checksums file that does not list the image", async () => {
    await expect(
      ensureBaseImage({
        source: `${base}/img/other.img`,
        checksumsUrl: `${base}/img/SHA256SUMS`,
        dest: destIn(dir),
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow(/SHA256SUMS has no SHA-256 line for other\.img/);
  });

  it("refuses plain http to a remote host and unknown schemes", async () => {
    await expect(
      ensureBaseImage({
        source: "http://cloud-images.ubuntu.com/x.img",
        sha256: IMAGE_SHA,
        dest: destIn(dir),
        timeoutMs: 1000,
      }),
    ).rejects.toThrow(/use https/);
    await expect(
      ensureBaseImage({
        source: "ftp://example.org/x.img",
        sha256: IMAGE_SHA,
        dest: destIn(dir),
        timeoutMs: 1000,
      }),
    ).rejects.toThrow(/unsupported scheme/);
  });

  it("uses an injected fetch for https", async () => {
    const seen: string[] = [];
    const fetchImpl = async (url: string) => {
      seen.push(url);
      return new Response(IMAGE, { status: 200, headers: { "content-length": String(IMAGE.length) } });
    };
    await expect(
      ensureBaseImage({
        source: "https://cloud-images.ubuntu.com/noble/current/noble.img",
        sha256: IMAGE_SHA,
        dest: destIn(dir),
        timeoutMs: 10_000,
        fetchImpl,
      }),
    ).resolves.toMatchObject({
      action: "downloaded",
    });
    expect(seen).toEqual(["https://cloud-images.ubuntu.com/noble/current/noble.img"]);
  });
});

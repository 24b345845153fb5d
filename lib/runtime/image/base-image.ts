/**
 * Puts the verified Ubuntu cloud image at `dest`: downloads or copies it to a temporary sibling while
 * hashing, and renames it into place only when its SHA-256 matches. An image is never used unverified.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import { cleanStalePartials, makeTempSibling } from "../fs/atomic";
import { withFileLock } from "../fs/lock";
import { expectedSha256From, normalizeSha256, sha256File } from "./checksums";

export type FetchLike = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface EnsureBaseImageOptions {
  /** `https://…`, `http://` on a loopback address, `file:///…` or a local path (relative to the cwd). */
  readonly source: string;
  /** Where the verified image lives. */
  readonly dest: string;
  /** Pinned SHA-256; wins over `checksumsUrl`. */
  readonly sha256?: string;
  /** A SHA256SUMS file (same kinds of location as `source`) listing the image's file name. */
  readonly checksumsUrl?: string;
  /** Deadline for fetching the checksums and the image. */
  readonly timeoutMs: number;
  /** @default globalThis.fetch */
  readonly fetchImpl?: FetchLike;
  /** Progress lines for the user. */
  readonly onProgress?: (message: string) => void;
  /** Age after which the lock of a killed run is taken over. @default 10000 */
  readonly lockStaleMs?: number;
}

export interface EnsureBaseImageResult {
  readonly path: string;
  readonly sha256: string;
  readonly action: "downloaded" | "copied" | "verified-existing";
}

type Location = { kind: "url"; url: URL } | { kind: "file"; path: string };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function parseLocation(value: string, label: string): Location {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return { kind: "file", path: path.resolve(value) };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `${label} ${JSON.stringify(value)} is not a valid URL: use https://…, file:///… or a local path`,
    );
  }
  if (url.protocol === "file:") return { kind: "file", path: fileURLToPath(url) };
  if (url.protocol === "https:") return { kind: "url", url };
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return { kind: "url", url };
  throw new Error(
    `${label} ${JSON.stringify(value)} uses an unsupported scheme or plain http to a remote host: use https://…, file:///… or a local path`,
  );
}

/** The file name a SHA256SUMS file lists the image under. */
function fileNameOf(loc: Location): string {
  return loc.kind === "file"
    ? path.basename(loc.path)
    : path.posix.basename(decodeURIComponent(loc.url.pathname));
}

function describe(loc: Location): string {
  return loc.kind === "file" ? loc.path : loc.url.href;
}

function errorText(err: unknown): string {
  const e = err as Error & { cause?: { message?: string } };
  return e.cause?.message ? `${e.message}: ${e.cause.message}` : String(e?.message ?? err);
}

interface OpenedSource {
  readonly stream: Readable;
  /** Expected byte count when the server or filesystem tells us. */
  readonly size?: number;
}

async function openLocation(loc: Location, signal: AbortSignal, fetchImpl: FetchLike): Promise<OpenedSource> {
  if (loc.kind === "file") {
    const stat = await fs.promises.stat(loc.path).catch(() => undefined);
    if (!stat?.isFile())
      throw new Error(`${loc.path} does not exist or is not a file: check the image path in the config`);
    return { stream: fs.createReadStream(loc.path), size: stat.size };
  }
  const res = await fetchImpl(loc.url.href, { signal });
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(
      `GET ${loc.url.href} answered HTTP ${res.status}: check the URL (the image may have moved, e.g. a new daily build under current/)`,
    );
  }
  // With a content-encoding, content-length counts compressed bytes while fetch yields decoded ones.
  const encoding = res.headers.get("content-encoding");
  const length = encoding && encoding !== "identity" ? NaN : Number(res.headers.get("content-length") ?? NaN);
  return {
    stream: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
    size: Number.isFinite(length) ? length : undefined,
  };
}

async function readText(loc: Location, signal: AbortSignal, fetchImpl: FetchLike): Promise<string> {
  const { stream } = await openLocation(loc, signal, fetchImpl);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Copies `loc` to `tmp` while hashing; throws when the stream ends early or errors. */
async function fetchToFile(
  loc: Location,
  tmp: string,
  signal: AbortSignal,
  fetchImpl: FetchLike,
  onProgress?: (m: string) => void,
): Promise<{ sha256: string; bytes: number }> {
  const { stream, size } = await openLocation(loc, signal, fetchImpl);
  const hash = createHash("sha256");
  let bytes = 0;
  let nextReport = 0.25;
  await pipeline(
    stream,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        bytes += chunk.length;
        if (size && onProgress && bytes / size >= nextReport && bytes < size) {
          onProgress(`${Math.floor((bytes / size) * 100)}% of ${Math.round(size / 1048576)} MiB`);
          nextReport += 0.25;
        }
        yield chunk;
      }
    },
    fs.createWriteStream(tmp, { mode: 0o644 }),
    { signal },
  );
  // Flush to disk before the rename makes the file official (a power loss must not leave a torn image).
  const handle = await fs.promises.open(tmp, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (size !== undefined && bytes !== size) {
    throw new Error(`got ${bytes} of ${size} bytes`);
  }
  return { sha256: hash.digest("hex"), bytes };
}

async function resolveExpectedSha256(
  opts: EnsureBaseImageOptions,
  source: Location,
  signal: AbortSignal,
  fetchImpl: FetchLike,
): Promise<string> {
  if (opts.sha256) return normalizeSha256(opts.sha256, "pinned image sha256");
  if (!opts.checksumsUrl) {
    throw new Error(
      `no SHA-256 for ${describe(source)}: set a checksums URL (the image's SHA256SUMS) or pin the sha256 in the config; an unverified image is never used`,
    );
  }
  const sums = parseLocation(opts.checksumsUrl, "checksums URL");
  let text: string;
  try {
    text = await readText(sums, signal, fetchImpl);
  } catch (err) {
    throw new Error(
      `cannot read the checksums ${describe(sums)} (${errorText(err)}): check the URL and the network, or pin the image's sha256 in the config`,
      { cause: err },
    );
  }
  return expectedSha256From(text, fileNameOf(source), describe(sums));
}

async function exists(p: string): Promise<boolean> {
  return fs.promises.stat(p).then(
    () => true,
    () => false,
  );
}

export async function ensureBaseImage(opts: EnsureBaseImageOptions): Promise<EnsureBaseImageResult> {
  const dest = path.resolve(opts.dest);
  const source = parseLocation(opts.source, "image source");
  const fetchImpl: FetchLike = opts.fetchImpl ?? ((url, init) => fetch(url, init));
  const progress = opts.onProgress ?? (() => undefined);
  const staleMs = opts.lockStaleMs ?? 10_000;
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });

  return withFileLock(
    dest,
    async () => {
      const signal = AbortSignal.timeout(opts.timeoutMs);
      const deadlineText = `${Math.round(opts.timeoutMs / 1000)} s`;
      let expected: string;
      try {
        expected = await resolveExpectedSha256(opts, source, signal, fetchImpl);
      } catch (err) {
        if (signal.aborted)
          throw new Error(
            `fetching the checksums for ${describe(source)} did not finish within ${deadlineText}: check the network or raise the download timeout`,
            { cause: err },
          );
        throw err;
      }

      if (await exists(dest)) {
        const actual = await sha256File(dest);
        if (actual === expected) return { path: dest, sha256: actual, action: "verified-existing" as const };
        // Removed before the fetch: if the fetch fails too, no known-bad image may stay where the disks are made from.
        await fs.promises.rm(dest, { force: true });
        progress(`${dest} has SHA-256 ${actual}, expected ${expected}: removed it, fetching it again`);
      }

      await cleanStalePartials(path.dirname(dest), path.basename(dest));
      const tmp = makeTempSibling(dest);
      const verb = source.kind === "url" ? "downloading" : "copying";
      progress(`${verb} ${describe(source)} to ${dest}`);
      let got: { sha256: string; bytes: number };
      try {
        got = await fetchToFile(source, tmp, signal, fetchImpl, progress);
      } catch (err) {
        await fs.promises.rm(tmp, { force: true });
        if (signal.aborted) {
          throw new Error(
            `${verb} ${describe(source)} did not finish within ${deadlineText}: check the network or raise the download timeout`,
            { cause: err },
          );
        }
        throw new Error(
          `${verb} ${describe(source)} failed (${errorText(err)}): nothing was kept; check the source and run again`,
          { cause: err },
        );
      }
      if (got.sha256 !== expected) {
        await fs.promises.rm(tmp, { force: true });
        throw new Error(
          `${describe(source)} has SHA-256 ${got.sha256} but ${expected} was expected: nothing was kept; ` +
            `check the image URL, and if the image was legitimately updated, update the pinned sha256 (or the checksums URL)`,
        );
      }
      await fs.promises.rename(tmp, dest);
      return {
        path: dest,
        sha256: got.sha256,
        action: source.kind === "url" ? ("downloaded" as const) : ("copied" as const),
      };
    },
    {
      staleMs,
      // Another run holding the lock finishes (or dies and goes stale) within its own deadline.
      waitMs: opts.timeoutMs + 2 * staleMs,
      onWait: () => progress(`waiting for another run that is fetching ${dest}`),
    },
  );
}

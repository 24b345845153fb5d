/**
 * A local HTTP server for the base image download, with switchable misbehaviour. lib/runtime/image accepts
 * plain http only on a loopback address, which is where this listens. It serves `/img/<name>` (the
 * image bytes given) and `/img/SHA256SUMS` (their true hash), so both the pinned-hash and the
 * checksums-file paths of the product can be driven.
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * ok: the whole file with its Content-Length.
 * cut: announces the whole Content-Length, sends half the body, then drops the connection.
 * truncated: sends half the file as if it were all of it (a broken mirror): a complete, well-formed
 *   response of the wrong bytes, which only the hash can catch.
 */
export type ServeMode = "ok" | "cut" | "truncated";

export interface ImageServer {
  readonly imageUrl: string;
  readonly checksumsUrl: string;
  readonly sha256: string;
  mode: ServeMode;
  /** Image requests served so far (SHA256SUMS requests are not counted). */
  readonly imageRequests: () => number;
  close(): Promise<void>;
}

export async function startImageServer(name: string, image: Buffer): Promise<ImageServer> {
  const sha256 = createHash("sha256").update(image).digest("hex");
  let requests = 0;
  const state = { mode: "ok" as ServeMode };
  const server = http.createServer((req, res) => {
    if (req.url === "/img/SHA256SUMS") {
      res.end(`${"0".repeat(64)} *other.img\n${sha256} *${name}\n`);
      return;
    }
    if (req.url !== `/img/${name}`) {
      res.statusCode = 404;
      res.end("not found\n");
      return;
    }
    requests++;
    const half = image.subarray(0, Math.floor(image.length / 2));
    switch (state.mode) {
      case "ok":
        res.setHeader("Content-Length", image.length);
        res.end(image);
        return;
      case "truncated":
        res.setHeader("Content-Length", half.length);
        res.end(half);
        return;
      case "cut":
        res.setHeader("Content-Length", image.length);
        res.flushHeaders();
        // Let the half reach the client before the connection goes, as a dropped Wi-Fi would.
        res.write(half, () => setTimeout(() => res.socket?.destroy(), 50));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/img`;
  return {
    imageUrl: `${base}/${name}`,
    checksumsUrl: `${base}/SHA256SUMS`,
    sha256,
    get mode() {
      return state.mode;
    },
    set mode(m: ServeMode) {
      state.mode = m;
    },
    imageRequests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

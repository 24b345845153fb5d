import * as net from "node:net";
import { parseProbeOutput, probeArgv, runProbe } from "../../e2e/lib/tcp-probe";

function listen(onConn: (s: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = net.createServer(onConn).listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

describe("host-side TCP probe", () => {
  it("returns what the server sent before closing", async () => {
    const srv = await listen((s) => s.end("banner-123\n"));
    try {
      expect(await runProbe(probeArgv([], "127.0.0.1", srv.port, 3000), 3000)).toEqual({
        ok: true,
        data: "banner-123\n",
      });
    } finally {
      await srv.close();
    }
  });

  it("says why when nothing listens or the server never closes", async () => {
    const srv = await listen(() => undefined);
    const port = srv.port;
    try {
      const silent = await runProbe(probeArgv([], "127.0.0.1", port, 500), 500);
      expect(silent).toMatchObject({ ok: false, error: "no answer within 500 ms" });
    } finally {
      await srv.close();
    }
    const refused = await runProbe(probeArgv([], "127.0.0.1", port, 2000), 2000);
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });

  it("turns a broken client into a failure with its output", () => {
    expect(parseProbeOutput("", "node: bad option", 9)).toEqual({
      ok: false,
      data: "",
      error: "the probe client failed (exit 9): node: bad option",
    });
  });
});

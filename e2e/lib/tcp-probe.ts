/**
 * A TCP client on the host side of the test network (inside the namespace, so from 10.10.0.1 or the
 * LAN's 192.168.68.1): connects, reads what the server sends until it closes, and says what happened.
 * It is this Node binary run by `ip netns exec`, with a deadline, so no shell and no extra tool.
 */
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { inNetns } from "./netns";

export interface TcpProbeResult {
  readonly ok: boolean;
  /** What the server sent before closing. */
  readonly data: string;
  readonly error?: string;
}

const CLIENT = `
const net = require("net");
const [host, port, ms] = process.argv.slice(1);
let data = "";
const done = (r) => { process.stdout.write(JSON.stringify(r) + "\\n"); process.exit(0); };
const s = net.connect({ host, port: Number(port) });
s.setTimeout(Number(ms), () => done({ ok: false, data, error: "no answer within " + ms + " ms" }));
s.on("data", (d) => { data += d; });
s.on("end", () => done({ ok: true, data }));
s.on("error", (e) => done({ ok: false, data, error: e.message }));
`;

/** Parses the client's one-line JSON answer. */
export function parseProbeOutput(stdout: string, stderr: string, code: number | null): TcpProbeResult {
  const line = stdout.trim().split("\n").pop() ?? "";
  try {
    const r = JSON.parse(line) as TcpProbeResult;
    if (typeof r.ok === "boolean" && typeof r.data === "string") return r;
  } catch {
    // fall through
  }
  return {
    ok: false,
    data: "",
    error: `the probe client failed (exit ${code}): ${stderr.trim() || stdout.trim() || "no output"}`,
  };
}

/** argv of the client behind `prefix` (e.g. `ip netns exec <ns>`). */
export function probeArgv(
  prefix: readonly string[],
  host: string,
  port: number,
  timeoutMs: number,
): string[] {
  return [...prefix, process.execPath, "-e", CLIENT, host, String(port), String(timeoutMs)];
}

export async function tcpProbe(
  namespace: string,
  host: string,
  port: number,
  timeoutMs = 5000,
): Promise<TcpProbeResult> {
  return runProbe(probeArgv(inNetns(namespace), host, port, timeoutMs), timeoutMs);
}

export async function runProbe(argv: readonly string[], timeoutMs: number): Promise<TcpProbeResult> {
  const [file, ...args] = argv;
  const r = await runWithDeadline(file, args, { timeoutMs: timeoutMs + 10_000 });
  if (r.timedOut)
    return { ok: false, data: "", error: `the probe client did not end within ${timeoutMs + 10_000} ms` };
  return parseProbeOutput(r.stdout, r.stderr, r.code);
}

/**
 * A vcsim of the test's own, on loopback only (`-l 127.0.0.1:0`: the kernel picks a free port, which vcsim
 * prints in its `export GOVC_URL=...` line), with the real govc beside it, behind the GovcBackend shape the
 * govc double has. Gate tests on requireTools("vcsim"). The process group is killed by its pid at cleanup.
 * (Not a test file.)
 */
import { spawn } from "node:child_process";
import { adminEnv, cloneInto, GovcBackend, runGovc, VCSIM_PASSWORD, VCSIM_USER } from "./govc-sim";
import { realToolBinary } from "./real-tools";

const START_DEADLINE_MS = 15_000;

export async function startVcsim(): Promise<GovcBackend> {
  const child = spawn(
    realToolBinary("vcsim"),
    ["-l", "127.0.0.1:0", "-username", VCSIM_USER, "-password", VCSIM_PASSWORD],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const stop = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let server: string;
  try {
    server = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      const timer = setTimeout(
        () => reject(new Error(`vcsim printed no GOVC_URL within ${START_DEADLINE_MS} ms: ${out}${err}`)),
        START_DEADLINE_MS,
      );
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /GOVC_URL=https:\/\/[^@\s]*@(127\.0\.0\.1:\d+)\/sdk/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("exit", (code) =>
        reject(new Error(`vcsim exited (${code}) before it listened: ${out}${err}`)),
      );
    });
  } catch (e) {
    stop();
    throw e;
  }
  const binary = realToolBinary("govc");
  const admin = adminEnv(server);
  const govc = (...args: string[]) => runGovc(binary, admin, args);
  return {
    kind: "vcsim",
    server,
    binary,
    env: { GOVC: binary, VSPHERE_USER: VCSIM_USER, VSPHERE_PASSWORD: VCSIM_PASSWORD },
    govc,
    cloneVms: (folder, names) => cloneInto(govc, folder, names),
    cleanup: stop,
  };
}

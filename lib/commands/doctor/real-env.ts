/** The DoctorEnv of the real host: real files, real tools (with deadlines), os and statfs. */
import * as fs from "node:fs";
import * as os from "node:os";
import { sha256File } from "../../runtime/image/checksums";
import { runWithDeadline } from "../../runtime/process/run-with-deadline";
import { isExecutable } from "../../runtime/hypervisor/vmrun/locate";
import { DoctorEnv } from "./types";
import { freeDiskBytes } from "../../runtime/fs/free-disk";

export function buildRealDoctorEnv(projectRoot: string, env: NodeJS.ProcessEnv = process.env): DoctorEnv {
  return {
    platform: process.platform,
    env,
    projectRoot,
    homeDir: os.homedir(),
    hostArch: process.arch,
    readFile: (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    },
    exists: (file) => fs.existsSync(file),
    isExecutable,
    run: (file, args, timeoutMs) => runWithDeadline(file, args, { timeoutMs, env }),
    hostAddresses: () =>
      Object.values(os.networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((a) => a.family === "IPv4" && !a.internal)
        .map((a) => a.address),
    totalMemBytes: os.totalmem(),
    cpuCount: os.cpus().length,
    freeDiskBytes,
    sha256File,
    now: () => new Date(),
  };
}

/**
 * Records every shell and every child process that programs under test start, so a test can prove that
 * a value never reached a shell. Two nets:
 *  - PATH wrappers named sh, bash, dash and zsh (those installed): each writes its argv to a record
 *    file, then execs the real shell. They catch any `spawn("bash", ...)` resolved through PATH.
 *  - A Node preload (NODE_OPTIONS=--require) that records every child_process call of every Node
 *    process below (file, argv, and whether a shell was asked for); it catches `shell: true`,
 *    `exec()` and absolute paths such as /bin/sh, which PATH wrappers cannot see.
 * The preload is written at run time as a .js file in the temp directory (the repository keeps no .js).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "../fixtures";

export interface SpawnRecord {
  /** "path-wrapper" (a shell started through PATH) or "node" (a child_process call). */
  readonly via: "path-wrapper" | "node";
  /** The program: the wrapper's name, or the file given to child_process. */
  readonly file: string;
  readonly argv: readonly string[];
  /** A shell runs the command line: a shell binary, `shell: true`, or exec/execSync. */
  readonly shell: boolean;
}

export interface ShellSpy {
  readonly dir: string;
  /** Variables to add to a child's environment (PATH puts the wrappers first; NODE_OPTIONS preloads the recorder). */
  env(basePath?: string): Record<string, string>;
  records(): SpawnRecord[];
  cleanup(): void;
}

const SHELL_NAMES = ["sh", "bash", "dash", "zsh"] as const;
const SHELL_RE = /(^|\/)(sh|bash|dash|zsh|ksh|csh|tcsh|fish)$/;

function findOnPath(name: string, envPath: string, skip: string): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === "" || path.resolve(dir) === skip) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The preload: wraps child_process so every call is written to `<logDir>/node-<pid>-<n>.json`. */
function preloadSource(logDir: string): string {
  return `"use strict";
const fs = require("fs");
const path = require("path");
const cp = require("child_process");
const logDir = ${JSON.stringify(logDir)};
let n = 0;
function record(fn, file, args, options) {
  try {
    const shell = fn === "exec" || fn === "execSync" || Boolean(options && options.shell);
    const entry = { fn, file: String(file), argv: Array.isArray(args) ? args.map(String) : [], shell };
    fs.writeFileSync(path.join(logDir, "node-" + process.pid + "-" + n++ + ".json"), JSON.stringify(entry));
  } catch (e) {
    // recording must never change the program's behaviour
  }
}
function optionsOf(args) {
  for (const a of args) if (a && typeof a === "object" && !Array.isArray(a)) return a;
  return undefined;
}
for (const fn of ["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync", "fork"]) {
  const original = cp[fn];
  cp[fn] = function (file, ...rest) {
    record(fn, file, Array.isArray(rest[0]) ? rest[0] : [], optionsOf(rest));
    return original.call(this, file, ...rest);
  };
}
// Every asynchronous child (spawn, exec, execFile, fork, also from inside Node) goes through here with
// the final program and argv: /bin/sh -c "..." when a shell was asked for.
const protoSpawn = cp.ChildProcess.prototype.spawn;
cp.ChildProcess.prototype.spawn = function (options) {
  record("ChildProcess.spawn", options && options.file, options && options.args, options);
  return protoSpawn.call(this, options);
};
`;
}

function wrapperSource(realShell: string, logDir: string, dash: string): string {
  // Runs under the real dash by absolute path, so the wrapper never calls itself.
  return [
    `#!${dash}`,
    `f=$(mktemp ${JSON.stringify(path.join(logDir, "wrapper-XXXXXXXX"))})`,
    `printf '%s\\0' "$0" "$@" > "$f"`,
    `exec ${JSON.stringify(realShell)} "$@"`,
    "",
  ].join("\n");
}

export function createShellSpy(basePath: string = process.env.PATH ?? ""): ShellSpy {
  const dir = fs.realpathSync(makeTempDir("fusion-lab-shell-spy-"));
  const bin = path.join(dir, "bin");
  const logDir = path.join(dir, "log");
  fs.mkdirSync(bin);
  fs.mkdirSync(logDir);
  const dash = findOnPath("dash", basePath, bin) ?? "/bin/sh";
  for (const name of SHELL_NAMES) {
    const real = findOnPath(name, basePath, bin);
    if (real === undefined) continue;
    fs.writeFileSync(path.join(bin, name), wrapperSource(real, logDir, dash), { mode: 0o755 });
  }
  const preload = path.join(dir, "record-child-processes.js");
  fs.writeFileSync(preload, preloadSource(logDir));

  return {
    dir,
    env(pathValue = basePath) {
      return {
        PATH: [bin, pathValue].filter(Boolean).join(path.delimiter),
        NODE_OPTIONS: `--require ${preload}`,
      };
    },
    records() {
      return fs
        .readdirSync(logDir)
        .sort()
        .map((name): SpawnRecord => {
          const text = fs.readFileSync(path.join(logDir, name), "utf8");
          if (name.startsWith("wrapper-")) {
            const [file, ...argv] = text.split("\0").slice(0, -1);
            return { via: "path-wrapper", file, argv, shell: true };
          }
          const r = JSON.parse(text) as { file: string; argv: string[]; shell: boolean };
          return { via: "node", file: r.file, argv: r.argv, shell: r.shell || SHELL_RE.test(r.file) };
        });
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

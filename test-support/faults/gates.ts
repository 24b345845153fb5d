/**
 * Gates for deploys killed at chosen points: a wrapper around a project's scripts/run that records each
 * entry point Terraform starts (and how it ended) and can hold it before it runs, and wrappers of outside
 * tools (qemu-img, xorriso) that can hold a call whose arguments match, inside a step. A test holds a
 * gate, waits until something arrives at it, and then kills the deploy or releases the gate. The
 * wrappers are bash, in the deploy's process group like the entries they wrap. (Not a test file.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { findProgram } from "../required-tools";

/** A gate folder: `hold.<name>` files hold, `at.<name>.<pid>` files say who waits. */
export class Gates {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Holds what matches `name`: `<entry>` or `<entry>.<vm>` for an entry point, `<tool>` for a tool. */
  hold(name: string, argvPattern = ""): void {
    fs.writeFileSync(path.join(this.dir, `hold.${name}`), argvPattern);
  }

  release(name: string): void {
    fs.rmSync(path.join(this.dir, `hold.${name}`), { force: true });
  }

  releaseAll(): void {
    for (const f of fs.readdirSync(this.dir)) if (f.startsWith("hold.")) fs.rmSync(path.join(this.dir, f));
  }

  /** Pids waiting at gates whose name starts with `name`. */
  waiting(name: string): number[] {
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.startsWith(`at.${name}.`) || f === `at.${name}`)
      .map((f) => Number(f.slice(f.lastIndexOf(".") + 1)))
      .filter((pid) => Number.isInteger(pid));
  }

  /** Waits until something is held at a gate named `name` (or starting with `name.`). */
  async waitAt(name: string, timeoutMs = 60_000): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    while (this.waiting(name).length === 0) {
      if (Date.now() > giveUp) throw new Error(`nothing arrived at gate ${name} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Forgets who arrived (between runs: a killed waiter leaves its file). */
  clearArrivals(): void {
    for (const f of fs.readdirSync(this.dir)) if (f.startsWith("at.")) fs.rmSync(path.join(this.dir, f));
  }
}

/**
 * Replaces `<projectRoot>/scripts/run` with a wrapper that appends `start <entry> <vm> <pid>` and
 * `end <entry> <vm> <pid> <code>` to $LAB_TRACE_FILE and waits while $LAB_GATE_DIR/hold.<entry> or
 * hold.<entry>.<vm> exists; the real launcher stays beside it as run-real (its own folder must be the
 * project's scripts/, which is how it finds the project).
 */
export function gateLauncher(projectRoot: string): void {
  const scripts = path.join(projectRoot, "scripts");
  fs.renameSync(path.join(scripts, "run"), path.join(scripts, "run-real"));
  fs.writeFileSync(
    path.join(scripts, "run"),
    `#!/bin/bash
# Test wrapper of scripts/run (test-support/faults/gates.ts): records and can hold each entry point.
here=$(cd "$(dirname "$0")" && pwd -P)
entry=\${1:-}
vm=\${VM_NAME:-}
if [ -n "\${LAB_TRACE_FILE:-}" ]; then echo "start $entry $vm $$" >> "$LAB_TRACE_FILE"; fi
if [ -n "\${LAB_GATE_DIR:-}" ]; then
  for hold in "$LAB_GATE_DIR/hold.$entry" "$LAB_GATE_DIR/hold.$entry.$vm"; do
    if [ -e "$hold" ]; then
      : > "$LAB_GATE_DIR/at.$entry.$vm.$$"
      while [ -e "$hold" ]; do sleep 0.02; done
    fi
  done
fi
"$here/run-real" "$@"
code=$?
if [ -n "\${LAB_TRACE_FILE:-}" ]; then echo "end $entry $vm $$ $code" >> "$LAB_TRACE_FILE"; fi
exit $code
`,
    { mode: 0o755 },
  );
}

/**
 * A folder of wrappers of `tools` for the front of PATH: a call waits while $LAB_GATE_DIR/hold.<tool>
 * exists and its arguments contain the text that file holds; then it runs the real tool.
 */
export function gatedToolsDir(dir: string, tools: readonly string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const real = findProgram(tool);
    if (real === undefined) continue;
    fs.writeFileSync(
      path.join(dir, tool),
      `#!/bin/bash
# Test wrapper of ${tool} (test-support/faults/gates.ts): can hold a call inside a step.
hold="\${LAB_GATE_DIR:-/nonexistent}/hold.${tool}"
if [ -e "$hold" ]; then
  pattern=$(cat "$hold")
  case " $* " in
    *"$pattern"*)
      : > "$LAB_GATE_DIR/at.${tool}.$$"
      while [ -e "$hold" ]; do sleep 0.02; done ;;
  esac
fi
exec ${JSON.stringify(real)} "$@"
`,
      { mode: 0o755 },
    );
  }
  return dir;
}

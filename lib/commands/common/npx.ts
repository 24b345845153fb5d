import { spawn } from "node:child_process";

/**
 * Runs `npx <argv>` in the project with the terminal handed over (cdktf shows its own progress and
 * prompts); resolves to its exit status (128 when a signal ended it).
 */
export function runNpx(root: string, argv: readonly string[], label: string): Promise<number> {
  process.stderr.write(`${label}: running npx ${argv.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn("npx", [...argv], { cwd: root, stdio: "inherit" });
    child.on("error", (err) =>
      reject(new Error(`cannot run npx ${argv.join(" ")}: ${err.message}; is Node's npx on PATH?`)),
    );
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * How the project starts TypeScript, for tests and benchmarks that spawn it: Node with tsx's
 * require hook in one process, exactly as scripts/run and cdktf.json's `app` do.
 */
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..");
/** Resolved from the repository, so the child's cwd (often a temporary project root) does not matter. */
const TSX_REQUIRE_HOOK = require.resolve("tsx/cjs", { paths: [REPO_ROOT] });

/** The command and arguments that run `script` (a .ts file) with `args`. */
export function tsCommand(script: string, args: readonly string[] = []): [string, string[]] {
  return [process.execPath, ["--require", TSX_REQUIRE_HOOK, script, ...args]];
}

/** The command and arguments that evaluate `program` (CommonJS JavaScript that may require .ts files). */
export function tsEvalCommand(program: string): [string, string[]] {
  return [process.execPath, ["--require", TSX_REQUIRE_HOOK, "-e", program]];
}

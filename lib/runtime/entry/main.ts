import { CommanderError } from "commander";
import { killLiveGroups, refuseNewTools } from "../process/run-with-deadline";

/** Ends an entry point with `code` and no message of its own (the program it ran has spoken: `npm run ssh`). */
export class QuietExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "QuietExit";
  }
}

/**
 * The one way an entry point ends: success exits 0; any error prints one line (prefixed with what
 * was being done) to stderr and exits non-zero, so Terraform shows the user an actionable message.
 */
export function runMain(label: string, fn: () => Promise<void>): void {
  // Tools run in their own process groups (so a deadline can kill them whole); when Terraform or
  // Ctrl-C stops this entry point, take them down too instead of leaving qemu-img or vmrun behind.
  let interrupted = false;
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    // `on`, not `once`: a repeated signal (Ctrl-C twice, or a runner relaying the one the terminal
    // already sent to the whole group, as the `tsx` command does) must find a listener, or Node's default
    // exits at once, before the tools are killed for good and the interruption is reported.
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      // Stop first, then kill: work unwinding from a killed tool must not start the next one.
      refuseNewTools(`interrupted by ${signal}`);
      const n = killLiveGroups("SIGTERM");
      setTimeout(
        () => {
          killLiveGroups("SIGKILL");
          process.stderr.write(
            `${label}: interrupted by ${signal}${n ? `; stopped ${n} running tool${n > 1 ? "s" : ""}` : ""}\n`,
          );
          process.exit(code);
        },
        n ? 500 : 0,
      );
    });
  }
  fn().then(
    () => {
      if (!interrupted) process.exit(0);
    },
    (err: unknown) => {
      // A tool killed by the interruption fails the work; the signal handler reports and exits.
      if (interrupted) return;
      // With exitOverride commander throws after printing: --help (exit code 0) is a success, and a
      // usage error has already been printed once.
      if (err instanceof CommanderError) process.exit(err.exitCode);
      if (err instanceof QuietExit) process.exit(err.code);
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${label}: ${message}\n`);
      process.exit(1);
    },
  );
}

/** Progress lines go to stderr so that stdout stays free for machine-readable answers. */
export function log(label: string, message: string): void {
  process.stderr.write(`${label}: ${message}\n`);
}

/**
 * The one way an entry point ends: success exits 0; any error prints one line (prefixed with what
 * was being done) to stderr and exits non-zero, so Terraform shows the user an actionable message.
 */
export function runMain(label: string, fn: () => Promise<void>): void {
  fn().then(
    () => process.exit(0),
    (err: unknown) => {
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

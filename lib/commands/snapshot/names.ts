/** Snapshot set names: the same flat name on every VM (never vmrun's `parent/child` paths). */

const SET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const pad = (n: number) => String(n).padStart(2, "0");

/** `snap-YYYYMMDD-HHMM` in local time, e.g. `snap-20251125-1430`. */
export function defaultSetName(now: Date): string {
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  return `snap-${date}-${pad(now.getHours())}${pad(now.getMinutes())}`;
}

/**
 * Returns the name if it is usable as a snapshot name on every VM and as a manifest file name: 1-64
 * letters, digits, '.', '_' or '-', starting with a letter or digit (so vmrun never reads it as an option).
 */
export function validateSetName(name: string): string {
  if (!SET_NAME.test(name)) {
    throw new Error(
      `invalid snapshot set name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. patched-20251125)`,
    );
  }
  return name;
}

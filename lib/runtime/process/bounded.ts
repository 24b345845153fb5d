/**
 * A gate that lets at most `limit` tasks run at once, in the order they asked. (p-limit does this,
 * but it is ESM-only since v4, which jest's CommonJS runtime cannot load, and its CommonJS 3.x line
 * is no longer maintained.)
 */
export function boundedRunner(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit must be a whole number >= 1, got ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

import * as fs from "node:fs";

/** Bytes free for this user on the filesystem holding `dir`, or undefined when it cannot be read. */
export async function freeDiskBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await fs.promises.statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

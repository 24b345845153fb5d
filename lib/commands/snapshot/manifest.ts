/**
 * Manifests of snapshot sets, one JSON file per set in the manifest directory (`<generated>/snapshots`).
 * They are what marks a snapshot as made by this tool: only those are ever pruned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { cleanStalePartials, writeFileAtomic } from "../../runtime/fs/atomic";
import { validateSetName } from "./names";
import { SetManifest } from "./types";

const VmResultSchema = z.object({
  vm: z.string(),
  outcome: z.enum(["done", "failed", "unknown", "skipped"]),
  detail: z.string(),
});

const ManifestSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  vms: z.array(z.string()),
  consistent: z.boolean(),
  result: z.enum(["pending", "complete", "failed", "deleting"]),
  results: z.array(VmResultSchema),
});

export function manifestPath(manifestDir: string, name: string): string {
  return path.join(manifestDir, `${validateSetName(name)}.json`);
}

function parseManifest(file: string, text: string): SetManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `snapshot manifest ${file} is not valid JSON (${(err as Error).message}): fix or delete the file`,
      { cause: err },
    );
  }
  const parsed = ManifestSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `snapshot manifest ${file} is malformed at ${issue?.path.join(".") || "top level"}: ${issue?.message}; fix or delete the file`,
    );
  }
  const expected = path.basename(file, ".json");
  if (parsed.data.name !== expected) {
    throw new Error(
      `snapshot manifest ${file} names the set ${JSON.stringify(parsed.data.name)}, not ${JSON.stringify(expected)}: fix or delete the file`,
    );
  }
  return parsed.data;
}

/** The manifest of set `name`, or undefined when there is none. */
export async function readManifest(manifestDir: string, name: string): Promise<SetManifest | undefined> {
  const file = manifestPath(manifestDir, name);
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return parseManifest(file, text);
}

export async function writeManifest(manifestDir: string, manifest: SetManifest): Promise<void> {
  const file = manifestPath(manifestDir, manifest.name);
  await fs.promises.mkdir(manifestDir, { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(ManifestSchema.parse(manifest), null, 2)}\n`);
}

/** Deletes the manifest of set `name`; false when there was none. */
export async function removeManifest(manifestDir: string, name: string): Promise<boolean> {
  const file = manifestPath(manifestDir, name);
  try {
    await fs.promises.unlink(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** All manifests, oldest first (by createdAt, then name). Temporaries of atomic writes are ignored. */
export async function listManifests(manifestDir: string): Promise<SetManifest[]> {
  const { manifests, problems } = await readManifests(manifestDir);
  if (problems.length > 0) throw new Error(problems[0]);
  return manifests;
}

/**
 * The readable manifests, oldest first, and one line per unreadable one (what is wrong and the fix), so
 * one broken file does not stop the commands that keep the other records true. Temporaries left by a
 * killed write (`.<name>.json.partial-<pid>` of a dead process) are removed.
 */
export async function readManifests(
  manifestDir: string,
): Promise<{ manifests: SetManifest[]; problems: string[] }> {
  let names: string[];
  try {
    names = await fs.promises.readdir(manifestDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { manifests: [], problems: [] };
    throw err;
  }
  const manifests: SetManifest[] = [];
  const problems: string[] = [];
  for (const entry of names) {
    if (entry.startsWith(".") || !entry.endsWith(".json")) continue;
    await cleanStalePartials(manifestDir, entry);
    const file = path.join(manifestDir, entry);
    try {
      manifests.push(parseManifest(file, await fs.promises.readFile(file, "utf8")));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  manifests.sort((a, b) =>
    a.createdAt === b.createdAt ? a.name.localeCompare(b.name) : a.createdAt < b.createdAt ? -1 : 1,
  );
  return { manifests, problems };
}

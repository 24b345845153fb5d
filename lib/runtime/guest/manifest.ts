import * as fs from "node:fs";
import * as path from "node:path";
import { type GuestFileEntry, manifestSchema } from "../../model/render/guest-manifest";

/** What the guest's applier reads on stdin. */
export interface GuestBundle {
  readonly vm: string;
  readonly files: readonly (Omit<GuestFileEntry, "source"> & { readonly content: string })[];
}

/** Reads the manifest and the files it names (beside it); throws with the file and the fix. */
export function readGuestBundle(manifestPath: string, expectedVm: string): GuestBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch (err) {
    throw new Error(
      `cannot read the guest-config manifest ${manifestPath} (${(err as Error).message}): run npm run deploy again, which renders it`,
      { cause: err },
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `guest-config manifest ${manifestPath} is malformed at ${issue.path.join(".") || "(top)"}: ${issue.message}; run npm run deploy again, which renders it`,
    );
  }
  if (parsed.data.vm !== expectedVm) {
    throw new Error(
      `guest-config manifest ${manifestPath} is for ${parsed.data.vm}, not ${expectedVm}: the generated folder is mixed up; run npm run deploy again`,
    );
  }
  const dir = path.dirname(manifestPath);
  return {
    vm: parsed.data.vm,
    files: parsed.data.files.map(({ source, ...entry }) => {
      const file = path.join(dir, source);
      let content: string;
      try {
        content = fs.readFileSync(file, "utf8");
      } catch (err) {
        throw new Error(
          `cannot read ${file}, listed in ${manifestPath} (${(err as Error).message}): run npm run deploy again, which renders it`,
          { cause: err },
        );
      }
      return { ...entry, content };
    }),
  };
}

/**
 * The safety net for every path a script writes to or deletes: values arrive from Terraform as
 * project-relative strings, and none of them may lead outside the project, whether by `..`, by an
 * absolute path or through a symlink.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface ResolveInsideOptions {
  /** Name of the value in error messages, e.g. the environment variable it came from. */
  readonly label?: string;
  /** Directory a relative value is resolved against. @default root */
  readonly base?: string;
}

/** True when `child` is below `parent` (both absolute and normalized); equal paths are not inside. */
export function isStrictlyInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** realpath of the longest prefix of `abs` that exists, with the rest appended unchanged. */
function realpathOfExistingPrefix(abs: string): string {
  const missing: string[] = [];
  let current = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...missing.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A dangling symlink also reports ENOENT: realpath refuses it, so its target can never be trusted.
      if (code === "ENOENT" && isSymlink(current)) {
        throw Object.assign(new Error(`dangling symlink ${current}`), { code: "EDANGLING" });
      }
      if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...missing.reverse());
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Resolves `relOrAbs` (relative to `opts.base`, default `root`) to an absolute path strictly inside
 * `root`, and throws when it is `root` itself, leaves `root` lexically, or reaches outside through a
 * symlink in any existing component. Returns the path as spelled under `root` (not the realpath).
 */
export function resolveInside(root: string, relOrAbs: string, opts: ResolveInsideOptions = {}): string {
  const label = opts.label ?? "path";
  const shown = JSON.stringify(relOrAbs);
  const rootAbs = path.resolve(root);
  const fix = `use a path inside ${rootAbs} (relative to the project root)`;
  if (relOrAbs.trim() === "" || relOrAbs.includes("\0")) {
    throw new Error(`${label}=${shown} is not a usable path: ${fix}`);
  }
  let rootReal: string;
  try {
    // The root may not exist yet (the VMs directory before the first apply).
    rootReal = realpathOfExistingPrefix(rootAbs);
  } catch (err) {
    throw new Error(
      `${label}=${shown}: the directory it must stay inside, ${rootAbs}, cannot be resolved (${(err as Error).message}): check the project layout`,
      { cause: err },
    );
  }
  const candidate = path.resolve(opts.base ?? rootAbs, relOrAbs);
  // An absolute value may be spelled through the root's realpath (macOS: /var -> /private/var).
  const lexicallyInside = isStrictlyInside(rootAbs, candidate) || isStrictlyInside(rootReal, candidate);
  if (!lexicallyInside) {
    const what =
      candidate === rootAbs || candidate === rootReal
        ? `is the directory ${rootAbs} itself`
        : `resolves to ${candidate}, outside ${rootAbs}`;
    throw new Error(`${label}=${shown} ${what}: ${fix}`);
  }
  let real: string;
  try {
    real = realpathOfExistingPrefix(candidate);
  } catch (err) {
    throw new Error(
      `${label}=${shown} goes through a symlink that cannot be resolved (${(err as Error).message}): ${fix}, without symlinks that point elsewhere`,
      { cause: err },
    );
  }
  if (!isStrictlyInside(rootReal, real)) {
    throw new Error(
      `${label}=${shown} leads through a symlink to ${real}, outside ${rootReal}: ${fix}, without symlinks that point elsewhere`,
    );
  }
  return candidate;
}

/**
 * Checks that `vmDir` (project-relative or absolute) may be deleted: strictly inside `vmsDir`, which is
 * itself inside `projectRoot`; named `*.vmwarevm`; not a symlink. Returns the absolute VM directory.
 */
export function assertRemovableVmDir(projectRoot: string, vmsDir: string, vmDir: string): string {
  const root = path.resolve(projectRoot);
  const vmsAbs = resolveInside(root, vmsDir, { label: "VMs directory" });
  const vmAbs = resolveInside(vmsAbs, vmDir, { label: "VM directory", base: root });
  if (!vmAbs.endsWith(".vmwarevm") || path.basename(vmAbs) === ".vmwarevm") {
    throw new Error(
      `VM directory ${JSON.stringify(vmDir)} does not end in .vmwarevm: refusing to delete it; only VM bundles under ${vmsAbs} are removed`,
    );
  }
  if (isSymlink(vmAbs)) {
    throw new Error(
      `VM directory ${vmAbs} is a symlink: refusing to delete through it; remove the link by hand if it is not needed`,
    );
  }
  return vmAbs;
}

/** Deletes a VM bundle after `assertRemovableVmDir`; a missing directory is not an error. */
export async function removeVmDir(projectRoot: string, vmsDir: string, vmDir: string): Promise<string> {
  const vmAbs = assertRemovableVmDir(projectRoot, vmsDir, vmDir);
  await fs.promises.rm(vmAbs, { recursive: true, force: true });
  return vmAbs;
}

import * as path from "node:path";

export interface GovcLocation {
  readonly binary: string;
  /** Where it was found, for messages: "GOVC" or "PATH". */
  readonly source: string;
}

export interface LocateGovcOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly isExecutable: (p: string) => boolean;
}

/** govc could not be found; the message says how to install it. */
class GovcLocateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GovcLocateError";
  }
}

/** How to get govc: Homebrew on a Mac, a release binary elsewhere, or point GOVC at one. */
export const GOVC_INSTALL_HINT =
  "install govc: brew install govc on macOS; on Linux govc_Linux_$(uname -m).tar.gz from https://github.com/vmware/govmomi/releases (or set GOVC=/path/to/govc)";

/** Finds govc: $GOVC, then PATH. Pure apart from the injected isExecutable. */
export function locateGovc(opts: LocateGovcOptions): GovcLocation {
  const explicit = opts.env.GOVC;
  if (explicit !== undefined && explicit !== "") {
    if (!opts.isExecutable(explicit))
      throw new GovcLocateError(
        `GOVC=${explicit} is not an executable file: point GOVC at govc or unset it; ${GOVC_INSTALL_HINT}`,
      );
    return { binary: explicit, source: "GOVC" };
  }
  const dirs = (opts.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  for (const dir of dirs) {
    const binary = path.join(dir, "govc");
    if (opts.isExecutable(binary)) return { binary, source: "PATH" };
  }
  throw new GovcLocateError(
    `govc not found: GOVC is not set and govc is in none of the ${dirs.length} folders on PATH; ${GOVC_INSTALL_HINT}`,
  );
}

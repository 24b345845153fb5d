import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir } from "./fixtures";

const APPLIER = path.resolve(__dirname, "..", "templates", "guest-apply.py");

/**
 * A guest filesystem for the guest applier (templates/guest-apply.py): a root folder, a fake
 * `systemctl` that records its calls and fails `is-active` for units listed in `failing-units`, and a
 * fake validator that rejects any file containing the word BROKEN.
 */
export class FakeGuest {
  readonly dir = makeTempDir("fake-guest-");
  readonly root = path.join(this.dir, "root");
  readonly systemctlLog = path.join(this.dir, "systemctl.log");
  private readonly systemctl = path.join(this.dir, "systemctl");
  private readonly validator = path.join(this.dir, "validate");

  constructor() {
    fs.mkdirSync(path.join(this.root, "etc"), { recursive: true });
    fs.writeFileSync(
      this.systemctl,
      `#!/bin/bash\necho "$*" >> "${this.systemctlLog}"\nif [ "$1" = is-active ] && grep -qx "$2" "${this.dir}/failing-units" 2>/dev/null; then echo failed; exit 3; fi\nexit 0\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      this.validator,
      `#!/bin/bash\nfor last; do :; done\nif grep -q BROKEN "$last"; then echo "emerg: BROKEN found in $last"; exit 1; fi\nexit 0\n`,
      { mode: 0o755 },
    );
  }

  /** argv that runs the applier against this guest. */
  get applierArgv(): string[] {
    return [
      "python3",
      APPLIER,
      "--root",
      this.root,
      "--systemctl",
      this.systemctl,
      "--nginx",
      this.validator,
      "--keepalived",
      this.validator,
    ];
  }

  file(target: string): string | undefined {
    const p = path.join(this.root, target);
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
  }

  write(target: string, content: string): void {
    const p = path.join(this.root, target);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }

  failUnit(unit: string): void {
    fs.appendFileSync(path.join(this.dir, "failing-units"), `${unit}\n`);
  }

  systemctlCalls(): string[] {
    return fs.existsSync(this.systemctlLog)
      ? fs.readFileSync(this.systemctlLog, "utf8").trim().split("\n")
      : [];
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

import * as fs from "node:fs";
import * as path from "node:path";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";
import { REPO_ROOT, runLauncher } from "../../test-support/run-entry";
import { requireTools } from "../../test-support/required-tools";

describe("scripts/run launcher", () => {
  it("runs the entry point and turns a missing variable into exit 1 with the input error", async () => {
    const res = await runLauncher(["disk-clone"]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      "disk-clone: environment variable VM_NAME is not set: this script is run by Terraform, which passes it from the resource's triggers",
    );
  });

  it("exits 2 for an unknown entry point, or one that tries to leave scripts/", async () => {
    for (const entry of ["no-such-entry", "../main", ".hidden", ""]) {
      const res = await runLauncher([entry]);
      expect({ entry, code: res.code }).toEqual({ entry, code: 2 });
    }
    expect((await runLauncher(["no-such-entry"])).stderr).toContain(
      "no entry point scripts/no-such-entry.ts",
    );
  });

  it("without node, names the install route of the host it runs on (Homebrew only on a Mac)", async () => {
    const bin = fs.mkdtempSync(path.join(REPO_ROOT, ".test-bin-"));
    try {
      // The tools the launcher itself uses, and no node.
      for (const tool of ["dirname", "uname"]) {
        const found = (process.env.PATH ?? "")
          .split(path.delimiter)
          .map((d) => path.join(d, tool))
          .find((f) => fs.existsSync(f));
        fs.symlinkSync(found!, path.join(bin, tool));
      }
      const res = await runLauncher(["doctor"], { env: { PATH: bin } });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain("install Node.js 20.19 or later");
      if (process.platform === "darwin") expect(res.stderr).toContain("brew install node");
      else expect(res.stderr).not.toContain("brew");
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("works from Terraform's working directory, cdktf.out/stacks/<stack>/, by its relative path", async () => {
    const stackDir = fs.mkdtempSync(path.join(REPO_ROOT, ".test-stackdir-"));
    const nested = path.join(stackDir, "stacks", "k8s-cluster");
    fs.mkdirSync(nested, { recursive: true });
    try {
      const rel = path.relative(nested, path.join(REPO_ROOT, "scripts", "run"));
      expect(rel).toBe("../../../scripts/run");
      const res = await runWithDeadline(rel, ["guest-ip"], {
        cwd: nested,
        timeoutMs: 30_000,
        input: "not json",
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("stdin is not a JSON object");
    } finally {
      fs.rmSync(stackDir, { recursive: true, force: true });
    }
  });
});

// The e2e scripts run on the Linux CI machine only (they build and boot the QEMU guests), but are
// held to the same shellcheck standard.
const SHELL_FILES = [
  "scripts/run",
  ".ci/run",
  "e2e/golden/build.sh",
  "e2e/golden/bios-only.sh",
  "e2e/lib/launcher-in-netns.sh",
  // Runs on the guest (Ubuntu's bash), not the Mac; the same checks hold it to plain, quoted bash.
  "templates/apt-proxy-detect.sh",
];
requireTools("shellcheck").describe("shell scripts", () => {
  it.each(SHELL_FILES)("%s passes shellcheck (bash 3.2 and BSD tools are the target)", async (file) => {
    const res = await runWithDeadline("shellcheck", ["-S", "style", path.join(REPO_ROOT, file)], {
      timeoutMs: 30_000,
    });
    expect({ code: res.code, out: res.stdout }).toEqual({ code: 0, out: "" });
  });

  it("lists every shell script in the repository", () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (
            !["node_modules", ".git", "cdktf.out", "VMs", "base_images", "generated", ".e2e-cache"].includes(
              entry.name,
            )
          )
            walk(rel);
        } else if (
          entry.isFile() &&
          /^#!.*\b(ba)?sh\b/.test(fs.readFileSync(path.join(REPO_ROOT, rel), "utf8").split("\n")[0])
        ) {
          found.push(rel);
        }
      }
    };
    walk(".");
    expect(found.map((f) => path.normalize(f)).sort()).toEqual(
      SHELL_FILES.map((f) => path.normalize(f)).sort(),
    );
  });
});

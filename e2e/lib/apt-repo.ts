/**
 * The test network's package source: a flat apt repository (`deb [trusted=yes] <url> ./`, as the
 * golden image's sources.list says) holding one small probe package. First boot's `apt-get update`
 * (package_update: true) reads its index, and the apt check installs the probe through the lab's proxy
 * settings while the apt cache is absent, which proves the fallback to a direct download.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runWithDeadline } from "../../lib/runtime/process/run-with-deadline";

export const PROBE_PACKAGE = "e2e-apt-probe";
export const PROBE_VERSION = "1.0";

function probeControl(): string {
  return [
    `Package: ${PROBE_PACKAGE}`,
    `Version: ${PROBE_VERSION}`,
    "Architecture: all",
    "Maintainer: fusion-k8s-lab e2e <e2e@invalid>",
    "Installed-Size: 1",
    "Section: misc",
    "Priority: optional",
    "Description: probe package of the fusion-k8s-lab end-to-end test",
    " Installed by the e2e apt check to prove that apt downloads work without the apt cache.",
    "",
  ].join("\n");
}

export interface IndexedFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/** One `Packages` stanza: the control fields plus where the .deb is and its checksum. */
function packagesStanza(control: string, deb: IndexedFile): string {
  const fields = control.trimEnd();
  return `${fields}\nFilename: ./${deb.name}\nSize: ${deb.size}\nSHA256: ${deb.sha256}\n`;
}

/** A `Release` file listing the index files (apt checks their sizes and hashes against it). */
function releaseFile(files: readonly IndexedFile[], date: Date): string {
  const lines = [
    "Origin: fusion-k8s-lab-e2e",
    "Label: fusion-k8s-lab-e2e",
    "Suite: e2e",
    "Codename: e2e",
    `Date: ${date.toUTCString()}`,
    "Architectures: all amd64 arm64",
    "SHA256:",
    ...files.map((f) => ` ${f.sha256} ${String(f.size).padStart(8)} ${f.name}`),
  ];
  return `${lines.join("\n")}\n`;
}

function indexed(file: string): IndexedFile {
  const data = fs.readFileSync(file);
  return {
    name: path.basename(file),
    size: data.length,
    sha256: createHash("sha256").update(data).digest("hex"),
  };
}

/** Builds the probe .deb (dpkg-deb) and the repository index into `repoDir`. */
export async function buildProbeRepo(repoDir: string, workDir: string): Promise<void> {
  const root = path.join(workDir, "probe-pkg");
  fs.mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr/share/doc", PROBE_PACKAGE), { recursive: true });
  fs.writeFileSync(path.join(root, "DEBIAN/control"), probeControl());
  fs.writeFileSync(
    path.join(root, "usr/share/doc", PROBE_PACKAGE, "README"),
    "Installed by the fusion-k8s-lab e2e test.\n",
  );
  fs.mkdirSync(repoDir, { recursive: true });
  const deb = path.join(repoDir, `${PROBE_PACKAGE}_${PROBE_VERSION}_all.deb`);
  const r = await runWithDeadline("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, deb], {
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`dpkg-deb --build failed (exit ${r.code}): ${r.stderr.trim()}`);
  fs.writeFileSync(path.join(repoDir, "Packages"), packagesStanza(probeControl(), indexed(deb)));
  fs.writeFileSync(
    path.join(repoDir, "Release"),
    releaseFile([indexed(path.join(repoDir, "Packages"))], new Date()),
  );
}

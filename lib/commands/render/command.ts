import * as fs from "node:fs";
import * as path from "node:path";
import { isStrictlyInside } from "../../runtime/fs/path-guard";
import { writeFileAtomic } from "../../runtime/fs/atomic";
import { loadClusterConfig } from "../../runtime/load/cluster-config";
import { loadSeedTemplates } from "../../runtime/load/seed-templates";
import { allVms, knownAddresses, vmNamed } from "../common/vm-addresses";
import { renderVmFiles, type RenderedFile } from "./render-vm";

export interface RenderOptions {
  /** Write the files into this folder (as under generated/<vm>/) instead of printing them. */
  readonly out?: string;
}

/** Where the rendered files go and what the notes say; injectable for tests. */
export interface RenderIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const realIo: RenderIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Renders one VM's files: printed (each under a `==> generated/<vm>/<file> <==` line) or written to `out`. */
export async function renderCommand(
  projectRoot: string,
  vmName: string,
  opts: RenderOptions,
  io: RenderIo = realIo,
): Promise<void> {
  const { model } = loadClusterConfig({ projectRoot });
  const vm = vmNamed(model, vmName);
  const addresses = knownAddresses(projectRoot, model);
  const files = renderVmFiles(vm, model, loadSeedTemplates(path.join(projectRoot, "templates")), addresses);
  const unknown = allVms(model)
    .filter((v) => !addresses.has(v.name))
    .map((v) => v.name);
  io.stderr(
    `render: ${vm.name} as a deploy writes it, with the Terraform variables at their defaults from cluster.yaml (--var, TF_VAR_* and terraform.tfvars are not read)${
      vm.role === "apt-cache" || unknown.length === 0
        ? ""
        : `; no address known yet for ${unknown.join(", ")}: shown as placeholders (the deploy fills them in)`
    }\n`,
  );
  if (opts.out === undefined) {
    for (const f of files) io.stdout(`==> ${vm.generatedDir}/${f.name} <==\n${f.content}\n`);
    return;
  }
  const written = await writeRendered(
    projectRoot,
    [model.paths.generatedDir, model.paths.vmsDir],
    opts.out,
    files,
  );
  io.stderr(`render: wrote ${written.join(", ")}\n`);
}

/** Writes the files under `out`, never into the folders the deploy itself writes. */
async function writeRendered(
  projectRoot: string,
  deployDirs: readonly string[],
  out: string,
  files: readonly RenderedFile[],
): Promise<string[]> {
  const dir = path.resolve(out);
  for (const own of deployDirs.map((d) => path.resolve(projectRoot, d))) {
    if (dir === own || isStrictlyInside(own, dir))
      throw new Error(
        `--out ${out} is inside ${path.relative(projectRoot, own)}, which the deploy writes itself; pick a folder of your own (e.g. --out preview)`,
      );
  }
  const written: string[] = [];
  for (const f of files) {
    const file = path.join(dir, f.name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, f.content, { mode: parseInt(f.mode, 8) });
    written.push(path.relative(process.cwd(), file) || file);
  }
  return written;
}

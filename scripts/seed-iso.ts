/**
 * Terraform entry point: builds the VM's cloud-init seed ISO from the rendered seed directory.
 * Env: lib/model/entry/contracts.ts SEED_ISO.
 */
import { EntryInputError } from "../lib/model/entry/contract";
import { SEED_ISO } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { resolveInside } from "../lib/runtime/fs/path-guard";
import { buildSeedIso, ISO_TOOLS, IsoTool, isIsoTool } from "../lib/runtime/iso/seed-iso";

runMain("seed-iso", async () => {
  const input = SEED_ISO.parse(process.env);
  const label = `seed-iso ${input.VM_NAME}`;
  const root = process.cwd();
  const seedDir = resolveInside(root, input.SEED_DIR, { label: "SEED_DIR" });
  const vmsDir = resolveInside(root, input.VMS_DIR, { label: "VMS_DIR" });
  const isoPath = resolveInside(vmsDir, input.ISO_PATH, { label: "ISO_PATH", base: root });
  let tool: IsoTool | undefined;
  if (input.ISO_TOOL !== undefined) {
    if (!isIsoTool(input.ISO_TOOL)) {
      throw new EntryInputError(
        `ISO_TOOL=${JSON.stringify(input.ISO_TOOL)} is not one of ${ISO_TOOLS.join(", ")}: pick one of those or leave it unset`,
      );
    }
    tool = input.ISO_TOOL;
  }

  const result = await buildSeedIso({
    sourceDir: seedDir,
    output: isoPath,
    tool,
    timeoutMs: input.ISO_TIMEOUT_SECONDS * 1000,
  });
  log(label, `wrote ${result.path} with ${result.tool} (${result.files.join(", ")})`);
});

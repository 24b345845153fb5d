/**
 * Terraform entry point: builds the VM's cloud-init seed ISO from the rendered seed directory.
 * Env: VM_NAME, SEED_DIR, ISO_PATH (inside VMS_DIR), VMS_DIR, optional ISO_TOOL, ISO_TIMEOUT_SECONDS.
 */
import { EntryInputError, optionalEnv, optionalIntEnv, requireEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { resolveInside } from "../lib/fs/path-guard";
import { buildSeedIso, ISO_TOOLS, IsoTool, isIsoTool } from "../lib/iso/seed-iso";

runMain("seed-iso", async () => {
  const vmName = requireEnv("VM_NAME");
  const label = `seed-iso ${vmName}`;
  const root = process.cwd();
  const seedDir = resolveInside(root, requireEnv("SEED_DIR"), { label: "SEED_DIR" });
  const vmsDir = resolveInside(root, requireEnv("VMS_DIR"), { label: "VMS_DIR" });
  const isoPath = resolveInside(vmsDir, requireEnv("ISO_PATH"), { label: "ISO_PATH", base: root });
  const toolName = optionalEnv("ISO_TOOL", "");
  let tool: IsoTool | undefined;
  if (toolName !== "") {
    if (!isIsoTool(toolName)) {
      throw new EntryInputError(
        `ISO_TOOL=${JSON.stringify(toolName)} is not one of ${ISO_TOOLS.join(", ")}: pick one of those or leave it unset`,
      );
    }
    tool = toolName;
  }
  const timeoutSeconds = optionalIntEnv("ISO_TIMEOUT_SECONDS", 60);

  const result = await buildSeedIso({
    sourceDir: seedDir,
    output: isoPath,
    tool,
    timeoutMs: timeoutSeconds * 1000,
  });
  log(label, `wrote ${result.path} with ${result.tool} (${result.files.join(", ")})`);
});

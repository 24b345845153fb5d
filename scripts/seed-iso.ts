/**
 * Terraform entry point: builds the VM's cloud-init seed ISO from the rendered seed directory.
 * Env: lib/model/entry/contracts.ts SEED_ISO. Its receipt records the ISO's sha256, so the next plan
 * tells the ISO it built from another one (lib/runtime/steps).
 */
import { EntryInputError } from "../lib/model/entry/contract";
import { SEED_ISO } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { resolveInside } from "../lib/runtime/fs/path-guard";
import { buildSeedIso, ISO_TOOLS, IsoTool, isIsoTool } from "../lib/runtime/iso/seed-iso";
import { sha256File } from "../lib/runtime/image/checksums";
import { resolveStepDir, runStep } from "../lib/runtime/steps/records";

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

  const stepDir = resolveStepDir(root, input.VMS_DIR, input.STEP_DIR);
  const result = await runStep(stepDir, "seed", input.STEP_TOKEN ?? "", async () => {
    const built = await buildSeedIso({
      sourceDir: seedDir,
      output: isoPath,
      tool,
      timeoutMs: input.ISO_TIMEOUT_SECONDS * 1000,
    });
    return { result: built, facts: { sha256: await sha256File(built.path) } };
  });
  log(label, `wrote ${result.path} with ${result.tool} (${result.files.join(", ")})`);
});

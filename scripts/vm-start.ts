// Terraform create-time provisioner of a VM's power resource: install the .vmx, start headless, wait for
// the IP and record it in LAST_IP_FILE (optional) for lookups while the VM is off. A VM already running with
// the same .vmx and seed (an interrupted deploy) is not restarted: only the IP wait is resumed.
// Env: lib/model/entry/contracts.ts VM_START; STEP_DIR/STEP_TOKEN: the step's records (lib/runtime/steps).
import { EntryInputError } from "../lib/model/entry/contract";
import { VM_START } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { resolveInside } from "../lib/runtime/fs/path-guard";
import { resolveStepDir, runStep } from "../lib/runtime/steps/records";
import { driverFor, parseAddresses, parseNetworks, pathInVmsDir } from "../lib/runtime/vm/inputs";
import { recordLastIp } from "../lib/runtime/vm/last-ip";
import { startVm } from "../lib/runtime/vm/power";

runMain("vm-start", async () => {
  const root = process.cwd();
  const input = VM_START.parse(process.env);
  const vmx = pathInVmsDir(root, input.VMS_DIR, input.VMX_PATH);
  const vmxSource = resolveInside(root, input.VMX_SOURCE, { label: "VMX_SOURCE" });
  const networks = parseNetworks("IP_NETWORKS", input.IP_NETWORKS);
  const exclude = parseAddresses("IP_EXCLUDE", input.IP_EXCLUDE ?? "");
  const disk = input.DISK_PATH !== undefined ? diskToGrow(root, input) : undefined;
  const seedIso =
    input.SEED_ISO_PATH !== undefined
      ? pathInVmsDir(root, input.VMS_DIR, input.SEED_ISO_PATH, { vmsDir: "VMS_DIR", vmx: "SEED_ISO_PATH" })
      : undefined;
  const stepDir = resolveStepDir(root, input.VMS_DIR, input.STEP_DIR);
  const lastIpFile =
    input.LAST_IP_FILE !== undefined
      ? resolveInside(root, input.LAST_IP_FILE, { label: "LAST_IP_FILE" })
      : undefined;
  await runStep(stepDir, "power", input.STEP_TOKEN ?? "", async () => {
    const started = await startVm(driverFor(root), {
      name: input.VM_NAME,
      vmx,
      vmxSource,
      ...(seedIso ? { seedIso } : {}),
      ...(stepDir ? { stepDir } : {}),
      ...(disk ? { disk } : {}),
      ip: { networks, exclude, budgetMs: input.IP_WAIT_SECONDS * 1000 },
      log: (m) => log(`vm-start ${input.VM_NAME}`, m),
    });
    if (lastIpFile !== undefined) await recordLastIp(lastIpFile, started.ip);
    return { result: undefined, facts: { ...started.boot } };
  });
});

/** The disk start grows to DISK_SIZE_GB before the first boot. */
function diskToGrow(root: string, input: ReturnType<typeof VM_START.parse>) {
  const path = pathInVmsDir(root, input.VMS_DIR, input.DISK_PATH ?? "", {
    vmsDir: "VMS_DIR",
    vmx: "DISK_PATH",
  });
  if (input.DISK_SIZE_GB === undefined)
    throw new EntryInputError(
      "DISK_SIZE_GB is not set: it is needed with DISK_PATH (the size to grow the disk to)",
    );
  return { path, sizeGb: input.DISK_SIZE_GB };
}

// Terraform create-time provisioner of a VM's power resource: install the .vmx, start headless, wait for
// the IP and record it in LAST_IP_FILE (optional) for lookups while the VM is off.
// Env: lib/model/entry/contracts.ts VM_START.
import { EntryInputError } from "../lib/model/entry/contract";
import { VM_START } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { resolveInside } from "../lib/runtime/fs/path-guard";
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
  const lastIpFile =
    input.LAST_IP_FILE !== undefined
      ? resolveInside(root, input.LAST_IP_FILE, { label: "LAST_IP_FILE" })
      : undefined;
  const ip = await startVm(driverFor(root), {
    name: input.VM_NAME,
    vmx,
    vmxSource,
    ...(disk ? { disk } : {}),
    ip: { networks, exclude, budgetMs: input.IP_WAIT_SECONDS * 1000 },
    log: (m) => log(`vm-start ${input.VM_NAME}`, m),
  });
  if (lastIpFile !== undefined) await recordLastIp(lastIpFile, ip);
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

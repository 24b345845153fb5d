// Terraform create-time provisioner of a VM's power resource: install the .vmx, start headless, wait for
// the IP and record it in LAST_IP_FILE (optional) for lookups while the VM is off.
import { resolveInside } from "../lib/fs/path-guard";
import { requireEnv, requireIntEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { driverFor, parseAddresses, parseNetworks, pathInVmsDir } from "../lib/vm/inputs";
import { recordLastIp } from "../lib/vm/last-ip";
import { startVm } from "../lib/vm/power";

runMain("vm-start", async () => {
  const root = process.cwd();
  const name = requireEnv("VM_NAME");
  const vmx = pathInVmsDir(root, requireEnv("VMS_DIR"), requireEnv("VMX_PATH"));
  const vmxSource = resolveInside(root, requireEnv("VMX_SOURCE"), { label: "VMX_SOURCE" });
  const networks = parseNetworks("IP_NETWORKS", requireEnv("IP_NETWORKS"));
  const exclude = parseAddresses("IP_EXCLUDE", process.env.IP_EXCLUDE ?? "");
  const waitSeconds = requireIntEnv("IP_WAIT_SECONDS");
  const diskPath = process.env.DISK_PATH
    ? pathInVmsDir(root, requireEnv("VMS_DIR"), process.env.DISK_PATH, {
        vmsDir: "VMS_DIR",
        vmx: "DISK_PATH",
      })
    : undefined;
  const disk = diskPath ? { path: diskPath, sizeGb: requireIntEnv("DISK_SIZE_GB") } : undefined;
  const lastIpFile = process.env.LAST_IP_FILE
    ? resolveInside(root, process.env.LAST_IP_FILE, { label: "LAST_IP_FILE" })
    : undefined;
  const ip = await startVm(driverFor(root), {
    name,
    vmx,
    vmxSource,
    ...(disk ? { disk } : {}),
    ip: { networks, exclude, budgetMs: waitSeconds * 1000 },
    log: (m) => log(`vm-start ${name}`, m),
  });
  if (lastIpFile !== undefined) await recordLastIp(lastIpFile, ip);
});

// Terraform destroy-time provisioner of a VM's power resource: stop the VM (clean, then hard); off or gone is fine.
import { requireEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { driverFor, pathInVmsDir } from "../lib/vm/inputs";
import { stopVm } from "../lib/vm/power";

runMain("vm-stop", async () => {
  const root = process.cwd();
  const name = requireEnv("VM_NAME");
  const vmx = pathInVmsDir(root, requireEnv("VMS_DIR"), requireEnv("VMX_PATH"));
  const outcome = await stopVm(driverFor(root), vmx);
  log(
    `vm-stop ${name}`,
    outcome === "not-running" || outcome === "not-present" ? "already off" : `stopped (${outcome})`,
  );
});

// Terraform destroy-time provisioner of a VM's disk: hard stop, deleteVM, remove the VM folder (guarded).
import { requireEnv } from "../lib/entry/env";
import { log, runMain } from "../lib/entry/main";
import { destroyVm } from "../lib/vm/destroy";
import { driverFor } from "../lib/vm/inputs";

runMain("vm-destroy", async () => {
  const root = process.cwd();
  const name = requireEnv("VM_NAME");
  await destroyVm(driverFor(root), {
    projectRoot: root,
    vmsDir: requireEnv("VMS_DIR"),
    vmDir: requireEnv("VM_DIR"),
    vmx: requireEnv("VMX_PATH"),
    log: (m) => log(`vm-destroy ${name}`, m),
  });
});

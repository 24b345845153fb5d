// Terraform destroy-time provisioner of a VM's power resource: stop the VM (clean, then hard); off or gone is fine.
// Env: lib/model/entry/contracts.ts VM_STOP.
import { VM_STOP } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { driverFor, pathInVmsDir } from "../lib/runtime/vm/inputs";
import { stopVm } from "../lib/runtime/vm/power";

runMain("vm-stop", async () => {
  const root = process.cwd();
  const input = VM_STOP.parse(process.env);
  const vmx = pathInVmsDir(root, input.VMS_DIR, input.VMX_PATH);
  const outcome = await stopVm(driverFor(root), vmx);
  log(
    `vm-stop ${input.VM_NAME}`,
    outcome === "not-running" || outcome === "not-present" ? "already off" : `stopped (${outcome})`,
  );
});

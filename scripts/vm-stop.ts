// Terraform destroy-time provisioner of a VM's power resource: stop the VM (clean, then hard); off or gone is
// fine. When the power step's last start was interrupted (a killed deploy), the resource is being replaced
// to resume that start, so the VM is left as it is: stopping it would cut its first boot short. (A real
// destroy stops it anyway: the disk's vm-destroy comes next.)
// Env: lib/model/entry/contracts.ts VM_STOP.
import * as path from "node:path";
import { STEPS_FOLDER } from "../lib/model/config/vm-files";
import { VM_STOP } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { readStepRecords, wasInterrupted } from "../lib/runtime/steps/records";
import { driverFor, pathInVmsDir } from "../lib/runtime/vm/inputs";
import { stopVm } from "../lib/runtime/vm/power";

runMain("vm-stop", async () => {
  const root = process.cwd();
  const input = VM_STOP.parse(process.env);
  const vmx = pathInVmsDir(root, input.VMS_DIR, input.VMX_PATH);
  const label = `vm-stop ${input.VM_NAME}`;
  if (wasInterrupted(readStepRecords(path.join(path.dirname(vmx), STEPS_FOLDER), "power"))) {
    log(label, "its last start was interrupted: left as it is, for the next start to resume");
    return;
  }
  const outcome = await stopVm(driverFor(root), vmx);
  log(label, outcome === "not-running" || outcome === "not-present" ? "already off" : `stopped (${outcome})`);
});

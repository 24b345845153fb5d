// Terraform destroy-time provisioner of a VM's disk: hard stop, deleteVM, remove the VM folder (guarded).
// Env: lib/model/entry/contracts.ts VM_DESTROY.
import { VM_DESTROY } from "../lib/model/entry/contracts";
import { log, runMain } from "../lib/runtime/entry/main";
import { destroyVm } from "../lib/runtime/vm/destroy";
import { driverFor } from "../lib/runtime/vm/inputs";

runMain("vm-destroy", async () => {
  const root = process.cwd();
  const input = VM_DESTROY.parse(process.env);
  await destroyVm(driverFor(root), {
    projectRoot: root,
    vmsDir: input.VMS_DIR,
    vmDir: input.VM_DIR,
    vmx: input.VMX_PATH,
    log: (m) => log(`vm-destroy ${input.VM_NAME}`, m),
  });
});

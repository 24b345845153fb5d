// Terraform `external` data source of a stack: every VM's address in one process, one `vmrun list`.
// JSON query on stdin (lib/model/entry/contracts.ts GUEST_IP), a flat JSON object of strings on stdout:
// `<vm>_ip`, `<vm>_state`, `<vm>_detail` for each VM. The policy lives in lib/runtime/vm/guest-ip-lookup.ts.
import { GUEST_IP } from "../lib/model/entry/contracts";
import { runMain } from "../lib/runtime/entry/main";
import { readQuery } from "../lib/runtime/entry/query";
import { lookupGuestIps, lookupResult, planLookup } from "../lib/runtime/vm/guest-ip-lookup";
import { driverFor } from "../lib/runtime/vm/inputs";

runMain("guest-ip", async () => {
  const root = process.cwd();
  const plan = planLookup(root, GUEST_IP.parse(await readQuery()));
  const answers = await lookupGuestIps(() => driverFor(root), plan);
  process.stdout.write(`${JSON.stringify(lookupResult(answers))}\n`);
});

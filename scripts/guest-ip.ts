// Terraform `external` data source of a stack: every VM's address in one process, one `vmrun list`.
// JSON query on stdin (lib/model/entry/contracts.ts GUEST_IP), a flat JSON object of strings on stdout:
// `<vm>_ip`, `<vm>_state`, `<vm>_detail` for each VM. The policy lives in lib/runtime/vm/guest-ip-lookup.ts.
import { EntryInputError } from "../lib/model/entry/contract";
import { GUEST_IP } from "../lib/model/entry/contracts";
import { runMain } from "../lib/runtime/entry/main";
import { lookupGuestIps, lookupResult, planLookup } from "../lib/runtime/vm/guest-ip-lookup";
import { driverFor } from "../lib/runtime/vm/inputs";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The query object Terraform writes; null, an array or a bare value parse fine but carry no fields. */
async function readQuery(): Promise<Record<string, unknown>> {
  const notAnObject = "stdin is not a JSON object: this program is run by Terraform's external data source";
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readStdin());
  } catch {
    throw new EntryInputError(notAnObject);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new EntryInputError(notAnObject);
  return parsed as Record<string, unknown>;
}

runMain("guest-ip", async () => {
  const root = process.cwd();
  const plan = planLookup(root, GUEST_IP.parse(await readQuery()));
  const answers = await lookupGuestIps(() => driverFor(root), plan);
  process.stdout.write(`${JSON.stringify(lookupResult(answers))}\n`);
});

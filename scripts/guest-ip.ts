// Terraform `external` data source: JSON query on stdin, {"ip", "state", "detail"} on stdout.
// Read at every plan and refresh, so an off or missing VM answers at once and no answer is not an error.
// Optional query.last_ip_file: an off VM answers with the address it last reported (state stays "off").
import { EntryInputError } from "../lib/entry/contract";
import { runMain } from "../lib/entry/main";
import * as fs from "node:fs";
import { resolveInside } from "../lib/fs/path-guard";
import { absentAnswer, lookupGuestIp } from "../lib/vm/guest-ip";
import { readLastIp, recordLastIp } from "../lib/vm/last-ip";
import { driverFor, parseAddresses, parseNetworks, pathInVmsDir } from "../lib/vm/inputs";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function field(query: Record<string, unknown>, key: string): string {
  const value = query[key];
  if (typeof value !== "string" || value === "")
    throw new EntryInputError(`query.${key} is missing: the data source passes it`);
  return value;
}

runMain("guest-ip", async () => {
  const root = process.cwd();
  const notAnObject = "stdin is not a JSON object: this program is run by Terraform's external data source";
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readStdin());
  } catch {
    throw new EntryInputError(notAnObject);
  }
  // null, an array or a bare value parse fine but carry no fields.
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new EntryInputError(notAnObject);
  const query = parsed as Record<string, unknown>;
  const vmx = pathInVmsDir(root, field(query, "vms_dir"), field(query, "vmx_path"), {
    vmsDir: "query.vms_dir",
    vmx: "query.vmx_path",
  });
  const timeout = Number(field(query, "timeout_seconds"));
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600)
    throw new EntryInputError(
      `query.timeout_seconds=${JSON.stringify(query.timeout_seconds)} must be 1..3600`,
    );
  const networks = parseNetworks("query.networks", field(query, "networks"));
  const exclude = parseAddresses("query.exclude", typeof query.exclude === "string" ? query.exclude : "");
  // A VM that does not exist answers without vmrun, so plans work even where Fusion is missing.
  const answer = !fs.existsSync(vmx)
    ? absentAnswer(vmx)
    : await lookupGuestIp(driverFor(root), {
        vmx,
        networks,
        exclude,
        budgetMs: timeout * 1000,
      });
  // An off VM (or one that reports nothing yet) keeps its last known address; a deleted one has none.
  const lastIpFile =
    typeof query.last_ip_file === "string" && query.last_ip_file !== ""
      ? resolveInside(root, query.last_ip_file, { label: "query.last_ip_file" })
      : undefined;
  let { ip, detail } = answer;
  if (lastIpFile !== undefined && answer.state === "running") await recordLastIp(lastIpFile, ip);
  if (lastIpFile !== undefined && (answer.state === "off" || answer.state === "no-ip")) {
    const last = readLastIp(lastIpFile);
    if (last !== undefined) {
      ip = last;
      detail = `${detail}; answering with the last known address`;
    }
  }
  process.stdout.write(`${JSON.stringify({ ip, state: answer.state, detail })}\n`);
});

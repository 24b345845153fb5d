import { EntryInputError } from "../../model/entry/contract";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The query object Terraform's external data source writes on stdin; null, an array or a bare value
 * parse fine but carry no fields, so they are refused.
 */
export async function readQuery(): Promise<Record<string, unknown>> {
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

/**
 * configure's choices written into an existing cluster.yaml: only the values configure computes are
 * replaced; every other setting, and the file's comments, stay as the user left them.
 */
import { type Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap, YAMLSeq } from "yaml";
import type { ConfigureChoices } from "./render";

/** What configure recomputes, in the words it reports them with; everything else is kept. */
export const RECOMPUTED = [
  "network.lan.subnet",
  "network.externalVip",
  "the cluster size: vms (names, roles and per-VM sizes), roleDefaults, aptCache.memoryMb",
] as const;

/** Fields of a vms[] entry that belong to the size configure picks; the others (address, macs) are kept. */
const VM_SIZE_FIELDS = new Set(["cpus", "memoryMb", "diskGb"]);

const CONFIGURE_HEADER = /^ ?Written by npm run configure/;

/**
 * `oldText` with configure's choices in place, or undefined when it cannot be edited (a YAML syntax
 * error, or not a mapping): then configure writes a fresh file and says so.
 */
export function mergeChoices(oldText: string, choices: ConfigureChoices, header: string): string | undefined {
  const doc = parseDocument(oldText, { uniqueKeys: true });
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents))) return undefined;
  if (doc.contents === null || doc.commentBefore == null || CONFIGURE_HEADER.test(doc.commentBefore))
    doc.commentBefore = header;
  setScalar(doc, ["network", "lan", "subnet"], choices.subnet);
  setScalar(doc, ["network", "externalVip"], choices.externalVip);
  setVms(doc, choices.size.vms ?? []);
  const roles = Object.entries(choices.size.roleDefaults ?? {});
  if (roles.length === 0) doc.deleteIn(["roleDefaults"]);
  else doc.setIn(["roleDefaults"], flowEntries(doc, Object.fromEntries(roles)));
  const aptMemory = choices.size.aptCache?.memoryMb;
  if (aptMemory !== undefined) setScalar(doc, ["aptCache", "memoryMb"], aptMemory);
  else {
    const aptCache = doc.getIn(["aptCache"], true);
    if (isMap(aptCache)) {
      aptCache.delete("memoryMb");
      if (aptCache.items.length === 0) doc.deleteIn(["aptCache"]);
    }
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Replaces a scalar's value in place, so its comment on the same line stays. */
function setScalar(doc: Document, path: readonly string[], value: string | number): void {
  const node = doc.getIn(path, true);
  if (isScalar(node)) node.value = value;
  else doc.setIn(path, value);
}

/** The profile's VMs, each a flow mapping; a VM kept by name and role keeps its own entry but for its size. */
function setVms(doc: Document, vms: NonNullable<ConfigureChoices["size"]["vms"]>): void {
  const old = doc.getIn(["vms"], true);
  const previous = isSeq(old) ? old.items.filter(isMap) : [];
  const items = vms.map((vm) => {
    const before = previous.find((p) => p.get("name") === vm.name && p.get("role") === vm.role);
    if (before === undefined) return doc.createNode(vm) as YAMLMap;
    // The user's own node, so its quoting and comments stay; only the size is the profile's.
    const kept = before.clone() as YAMLMap;
    for (const field of VM_SIZE_FIELDS) kept.delete(field);
    return kept;
  });
  for (const item of items) item.flow = true;
  const seq = new YAMLSeq<YAMLMap>(doc.schema);
  seq.items = items;
  doc.setIn(["vms"], seq);
}

/** A mapping whose values are flow mappings (`worker: {cpus: 2, memoryMb: 2048, diskGb: 40}`). */
function flowEntries(doc: Document, entries: Record<string, unknown>) {
  const map = doc.createNode(entries) as YAMLMap;
  for (const pair of map.items) if (isMap(pair.value)) pair.value.flow = true;
  return map;
}

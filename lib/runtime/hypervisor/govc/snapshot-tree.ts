/**
 * `govc snapshot.tree -vm <vm> -json -D`: the VM's snapshot tree with each snapshot's creation time. govc
 * prints nothing at all (exit 0) for a VM without snapshots.
 */
interface SnapshotNode {
  readonly name: string;
  readonly createTime: string;
  readonly childSnapshotList: readonly SnapshotNode[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function node(v: unknown): SnapshotNode {
  if (!isRecord(v) || typeof v.name !== "string" || typeof v.createTime !== "string")
    throw new Error("expected snapshots with a name and a createTime");
  const children = v.childSnapshotList ?? [];
  if (!Array.isArray(children)) throw new Error("expected childSnapshotList to be a list");
  return { name: v.name, createTime: v.createTime, childSnapshotList: children.map(node) };
}

/**
 * Snapshot names oldest first (as vmrun lists them): the tree walked depth first, then ordered by creation
 * time, since a snapshot taken after a revert to an older one sits on a branch of its own. Throws a plain
 * Error naming what is wrong.
 */
export function parseSnapshotTree(out: string): string[] {
  if (out.trim() === "") return [];
  let doc: unknown;
  try {
    doc = JSON.parse(out);
  } catch {
    throw new Error("expected JSON");
  }
  if (doc === null) return [];
  if (!Array.isArray(doc)) throw new Error("expected a list of snapshots");
  const flat: SnapshotNode[] = [];
  const walk = (nodes: readonly SnapshotNode[]) => {
    for (const n of nodes) {
      flat.push(n);
      walk(n.childSnapshotList);
    }
  };
  walk(doc.map(node));
  const time = (n: SnapshotNode) => {
    const t = Date.parse(n.createTime);
    if (Number.isNaN(t)) throw new Error(`unreadable createTime ${JSON.stringify(n.createTime)}`);
    return t;
  };
  // Date.parse keeps milliseconds only; equal times keep the tree's order (sort is stable).
  return flat
    .map((n, i) => ({ n, i, t: time(n) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.n.name);
}

/**
 * `govc object.collect -json <vm> snapshot`: the power state vSphere recorded with each snapshot, by name
 * (`val` is null for a VM without snapshots). Throws a plain Error naming what is wrong.
 */
export function snapshotPowerStates(out: string): Map<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(out);
  } catch {
    throw new Error("expected JSON");
  }
  const prop = Array.isArray(doc) ? doc.find((p) => isRecord(p) && p.name === "snapshot") : undefined;
  const val = isRecord(prop) ? prop.val : undefined;
  const roots = isRecord(val) ? val.rootSnapshotList : [];
  const states = new Map<string, string>();
  const walk = (nodes: unknown): void => {
    if (!Array.isArray(nodes)) return;
    for (const n of nodes) {
      if (isRecord(n) && typeof n.name === "string" && typeof n.state === "string")
        states.set(n.name, n.state);
      if (isRecord(n)) walk(n.childSnapshotList);
    }
  };
  walk(roots);
  return states;
}

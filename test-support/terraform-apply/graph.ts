/**
 * The dependency graph walk Terraform does (internal/dag's Walker): a node starts once every node it
 * depends on has succeeded, up to `parallelism` nodes at a time (`terraform apply -parallelism`, default
 * 10). A failed node's dependents never start ("skipped") while unrelated branches go on.
 */

export interface GraphNode {
  readonly id: string;
  /** Ids this node waits for; ids that are not in the graph are ignored (nothing to wait for). */
  readonly deps: readonly string[];
  readonly run: () => Promise<void>;
}

export interface WalkResult {
  readonly completed: readonly string[];
  readonly failed: ReadonlyMap<string, Error>;
  /** Never started: a dependency failed or was skipped, or the walk was aborted first. */
  readonly skipped: readonly string[];
}

export interface WalkOptions {
  /** @default 10 */
  readonly parallelism?: number;
  /** Aborting starts no further node; running ones finish (their own commands watch the signal). */
  readonly signal?: AbortSignal;
}

/** Throws `Cycle: a -> b -> a` (Terraform's wording) when the dependencies loop. */
function assertAcyclic(deps: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === "done") return;
    if (s === "visiting") {
      const loop = [...stack.slice(stack.indexOf(id)), id];
      throw new Error(`Cycle: ${loop.join(" -> ")}`);
    }
    state.set(id, "visiting");
    stack.push(id);
    for (const d of deps.get(id) ?? []) if (deps.has(d)) visit(d);
    stack.pop();
    state.set(id, "done");
  };
  for (const id of [...deps.keys()].sort()) visit(id);
}

/** Every node `id` depends on, directly or through others. */
export function ancestorsOf(id: string, deps: ReadonlyMap<string, readonly string[]>): Set<string> {
  const out = new Set<string>();
  const todo = [...(deps.get(id) ?? [])];
  while (todo.length > 0) {
    const d = todo.pop()!;
    if (out.has(d)) continue;
    out.add(d);
    todo.push(...(deps.get(d) ?? []));
  }
  return out;
}

export async function walkGraph(nodes: readonly GraphNode[], opts: WalkOptions = {}): Promise<WalkResult> {
  const parallelism = Math.max(1, opts.parallelism ?? 10);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  if (byId.size !== nodes.length) throw new Error("walkGraph: duplicate node ids");
  const depMap = new Map(nodes.map((n) => [n.id, n.deps.filter((d) => byId.has(d))]));
  assertAcyclic(depMap);

  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, deps] of depMap) {
    waitingOn.set(id, new Set(deps).size);
    for (const d of new Set(deps)) dependents.set(d, [...(dependents.get(d) ?? []), id]);
  }
  // Sorted so runs are reproducible; Terraform's own order among ready nodes is unspecified.
  const ready = [...depMap.keys()].filter((id) => waitingOn.get(id) === 0).sort();
  const completed: string[] = [];
  const failed = new Map<string, Error>();
  let running = 0;

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (running < parallelism && ready.length > 0 && !opts.signal?.aborted) {
        const id = ready.shift()!;
        running++;
        byId
          .get(id)!
          .run()
          .then(
            () => {
              completed.push(id);
              for (const dep of dependents.get(id) ?? []) {
                const left = waitingOn.get(dep)! - 1;
                waitingOn.set(dep, left);
                if (left === 0) insertSorted(ready, dep);
              }
            },
            (err: unknown) => failed.set(id, err instanceof Error ? err : new Error(String(err))),
          )
          .finally(() => {
            running--;
            pump();
          });
      }
      if (running === 0) resolve();
    };
    pump();
  });

  const done = new Set([...completed, ...failed.keys()]);
  return { completed, failed, skipped: [...depMap.keys()].filter((id) => !done.has(id)).sort() };
}

function insertSorted(list: string[], item: string): void {
  const i = list.findIndex((x) => x > item);
  if (i < 0) list.push(item);
  else list.splice(i, 0, item);
}

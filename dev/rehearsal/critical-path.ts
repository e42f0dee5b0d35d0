// Which steps of a deploy wait for which, and the longest chain through them: the deploy's critical
// path. Stand-ins start in milliseconds where Docker takes seconds, so the chain is read from the
// dependency graph the program declared (steps in sequence), not from a stopwatch.

export interface GraphNode {
  urn: string;
  name: string;
  type: string;
  /** URNs this node waits for (already expanded past components by the SDK). */
  dependencies: string[];
}

/** Each node's direct waits with the transitive ones removed: "metadata waits for hasura, migrations". */
export function directWaits(nodes: GraphNode[]): Map<string, string[]> {
  const byUrn = new Map(nodes.map((n) => [n.urn, n]));
  const deps = (urn: string) => (byUrn.get(urn)?.dependencies ?? []).filter((d) => byUrn.has(d) && d !== urn);
  const reachable = new Map<string, Set<string>>();
  const reach = (urn: string, seen = new Set<string>()): Set<string> => {
    const cached = reachable.get(urn);
    if (cached) return cached;
    const out = new Set<string>();
    for (const d of deps(urn)) {
      if (seen.has(d)) continue;
      out.add(d);
      for (const x of reach(d, new Set([...seen, urn]))) out.add(x);
    }
    reachable.set(urn, out);
    return out;
  };
  const result = new Map<string, string[]>();
  for (const n of nodes) {
    const direct = deps(n.urn);
    const implied = new Set(direct.flatMap((d) => [...reach(d)]));
    result.set(
      n.urn,
      direct.filter((d) => !implied.has(d)),
    );
  }
  return result;
}

/**
 * The longest chain of waits, in steps. Of equally long chains the one ending first in `nodes` wins,
 * and of equally long ways into a node, its first listed dependency.
 */
export function criticalPath(nodes: GraphNode[]): GraphNode[] {
  const byUrn = new Map(nodes.map((n) => [n.urn, n]));
  const best = new Map<string, { length: number; prev?: string }>();
  const visit = (urn: string, stack: Set<string>): number => {
    const known = best.get(urn);
    if (known) return known.length;
    const node = byUrn.get(urn) as GraphNode;
    let top: { length: number; prev?: string } = { length: 0 };
    for (const d of node.dependencies) {
      if (!byUrn.has(d) || stack.has(d)) continue;
      const length = visit(d, new Set([...stack, urn]));
      if (length > top.length) top = { length, prev: d };
    }
    const entry = { length: top.length + 1, ...(top.prev ? { prev: top.prev } : {}) };
    best.set(urn, entry);
    return entry.length;
  };
  let end: string | undefined;
  let endLength = 0;
  for (const n of nodes) {
    const length = visit(n.urn, new Set());
    if (length > endLength) {
      end = n.urn;
      endLength = length;
    }
  }
  const chain: GraphNode[] = [];
  for (let at = end; at; at = best.get(at)?.prev) chain.unshift(byUrn.get(at) as GraphNode);
  return chain;
}

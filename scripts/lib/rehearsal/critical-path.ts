// Which steps of a deploy wait for which, and the longest chain through them: the deploy's critical
// path. Stand-ins start in milliseconds where Docker takes seconds, so the chain is read from the
// dependency graph the program declared, not from a stopwatch; measured times are shown beside it.

export interface GraphNode {
  urn: string;
  name: string;
  type: string;
  /** URNs this node waits for (already expanded past components by the SDK). */
  dependencies: string[];
  /** Measured time of its operation in this rehearsal. */
  ms: number;
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
    result.set(n.urn, direct.filter((d) => !implied.has(d)));
  }
  return result;
}

/**
 * The longest chain of waits, counting `weight(node)` per node (default 1: steps in sequence, which is
 * what the graph alone can say). Ties go to the chain registered first.
 */
export function criticalPath(nodes: GraphNode[], weight: (n: GraphNode) => number = () => 1): GraphNode[] {
  const byUrn = new Map(nodes.map((n) => [n.urn, n]));
  const best = new Map<string, { total: number; prev?: string }>();
  const visit = (urn: string, stack: Set<string>): number => {
    const known = best.get(urn);
    if (known) return known.total;
    const node = byUrn.get(urn) as GraphNode;
    let top: { total: number; prev?: string } = { total: 0 };
    for (const d of node.dependencies) {
      if (!byUrn.has(d) || stack.has(d)) continue;
      const t = visit(d, new Set([...stack, urn]));
      if (t > top.total) top = { total: t, prev: d };
    }
    const entry = { total: top.total + weight(node), ...(top.prev ? { prev: top.prev } : {}) };
    best.set(urn, entry);
    return entry.total;
  };
  let end: string | undefined;
  for (const n of nodes) if (end === undefined || visit(n.urn, new Set()) > (best.get(end)?.total ?? 0)) end = n.urn;
  const chain: GraphNode[] = [];
  for (let at = end; at; at = best.get(at)?.prev) chain.unshift(byUrn.get(at) as GraphNode);
  return chain;
}

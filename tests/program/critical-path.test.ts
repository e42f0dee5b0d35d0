// The rehearsal's reading of the dependency graph: who waits for whom, and the longest chain.
import { describe, expect, it } from "vitest";
import { criticalPath, directWaits, type GraphNode } from "../../dev/rehearsal/critical-path.js";

const node = (name: string, ...dependencies: string[]): GraphNode => ({ urn: name, name, type: "t", dependencies });

describe("the deploy's critical path", () => {
  it("is the longest chain of waits, whichever node comes first", () => {
    expect(criticalPath([node("a"), node("b")]).map((n) => n.name)).toEqual(["a"]);
    const graph = [
      node("pg"),
      node("role", "pg"),
      node("migrate", "role"),
      node("hasura", "role"),
      node("metadata", "hasura", "migrate"),
      node("smoke", "metadata"),
      node("image"),
    ];
    // Equally long ways in: the first dependency listed wins.
    expect(criticalPath(graph).map((n) => n.name)).toEqual(["pg", "role", "hasura", "metadata", "smoke"]);
    expect(criticalPath([node("x", "y"), node("y", "z"), node("z")]).map((n) => n.name)).toEqual(["z", "y", "x"]);
  });

  it("ignores waits on nodes outside the graph and survives a cycle", () => {
    expect(criticalPath([node("a", "component"), node("b", "a")]).map((n) => n.name)).toEqual(["a", "b"]);
    expect(criticalPath([node("a", "b"), node("b", "a")]).length).toBe(2);
  });

  it("lists each node's direct waits without those implied through another", () => {
    const waits = directWaits([node("pg"), node("role", "pg"), node("migrate", "role", "pg"), node("metadata", "migrate", "role", "pg")]);
    expect(waits.get("migrate")).toEqual(["role"]);
    expect(waits.get("metadata")).toEqual(["migrate"]);
    expect(waits.get("pg")).toEqual([]);
  });
});

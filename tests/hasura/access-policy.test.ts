// metadata/access.yaml: its shape, what it must cover, and `metadata apply` refusing before it sends
// anything when a tracked table or a role permission has no rule.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadAccessPolicy, policyProblems } from "../../scripts/lib/hasura/access-policy.js";
import { loadMetadata } from "../../scripts/lib/hasura/metadata.js";
import { accessFixtureTree } from "../support/access-fixture.js";

function metadataWithPolicy(policy: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kh-policy-"));
  cpSync("metadata", dir, { recursive: true });
  writeFileSync(join(dir, "access.yaml"), policy);
  return dir;
}

describe("the access policy", () => {
  it("covers the project's metadata and the fixture's as shipped", () => {
    expect(policyProblems(loadMetadata("metadata"), loadAccessPolicy("metadata"))).toEqual([]);
    const tree = accessFixtureTree();
    expect(policyProblems(loadMetadata(tree.metadata), loadAccessPolicy(tree.metadata))).toEqual([]);
  });

  it.each([
    ["version: 2\ntables: {}\n", "must say version: 1; got 2"],
    ["version: 1\n", "must have tables: a mapping of <schema>.<table> to {<role>: <rule>}"],
    ["version: 1\ntables:\n  users:\n    user: { owner: id }\n", '"users" is not <schema>.<table> (e.g. public.users)'],
    [
      "version: 1\ntables:\n  public.users:\n    user: owner\n",
      'public.users: role user: the rule must be {owner: <column>}, {owner_via: <relationship>[.<relationship>…]}, public-read or none; got "owner"',
    ],
    ["version: 1\ntables:\n  public.users:\n    user: { owner: id, owner_via: x }\n", "public.users: role user: the rule must be"],
    ["version: 1\ntables:\n  public.users:\n    user: { owner: 'id\\u0000; DROP' }\n", "public.users: role user: the rule must be"],
    ["version: 1\ntables: [\n", "is not valid YAML"],
  ])("refuses %j", (text, message) => {
    expect(() => loadAccessPolicy(metadataWithPolicy(text))).toThrow(message);
  });

  it("names a missing file and what to write", () => {
    const dir = mkdtempSync(join(tmpdir(), "kh-policy-"));
    cpSync("metadata", dir, { recursive: true, filter: (src) => !src.endsWith("access.yaml") });
    expect(() => loadAccessPolicy(dir)).toThrow(
      "access.yaml is missing: every tracked table needs a rule for each role (e.g. public.users: {user: {owner: id}})",
    );
  });

  it("lists every gap between the metadata and the policy", () => {
    const tree = accessFixtureTree();
    const metadata = loadMetadata(tree.metadata);
    const policy = loadAccessPolicy(tree.metadata);
    policy.tables.delete("public.categories");
    policy.tables.get("public.todos")?.set("user", { kind: "ownerVia", path: ["owner"] });
    policy.tables.get("public.notes")?.set("editor", { kind: "owner", column: "author_id" });
    policy.tables.set("public.ghosts", new Map([["user", { kind: "public-read" }]]));
    expect(policyProblems(metadata, policy)).toEqual([
      "public.notes: its roles name different owners (owner: owner_id; owner: author_id); a table has one owner",
      "public.categories is tracked but has no entry in metadata/access.yaml; add public.categories: {user: <rule>} with a rule of " +
        "{owner: <column>}, {owner_via: <relationship>[.<relationship>…]}, public-read or none",
      "public.todos: role user: owner_via owner: public.todos has no object relationship owner in the metadata",
      "metadata/access.yaml has a rule for public.ghosts, which is not a tracked table; remove it or track the table",
    ]);
  });

  it("refuses an owner_via path through an array relationship, or to a table without an owner", () => {
    const tree = accessFixtureTree();
    const metadata = loadMetadata(tree.metadata);
    const policy = loadAccessPolicy(tree.metadata);
    policy.tables.get("public.lists")?.set("user", { kind: "ownerVia", path: ["todos"] });
    expect(policyProblems(metadata, policy)).toContain(
      "public.lists: role user: owner_via todos: todos is an array relationship of public.lists; a row has one owner, so the path takes object relationships only",
    );
    const toPublic = loadAccessPolicy(tree.metadata);
    toPublic.tables.get("public.notes")?.set("user", { kind: "ownerVia", path: ["category"] });
    // notes.category names its target only by column; the metadata check cannot follow it, the proof does.
    expect(policyProblems(metadata, toPublic)).toEqual([]);
  });
});

describe("npm run metadata -- apply", () => {
  it("refuses metadata with a table that has no rule, before it contacts Hasura", { timeout: 30_000 }, async () => {
    const dir = metadataWithPolicy("version: 1\ntables: {}\n");
    // Port 9 on loopback: nothing listens; a request would fail with a connection error instead.
    const result = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/metadata.ts", "apply", "--dir", dir], {
      env: { ...process.env, HASURA_GRAPHQL_ENDPOINT: "http://127.0.0.1:9", HASURA_GRAPHQL_ADMIN_SECRET: "not-used-secret" },
    }).then(
      () => ({ code: 0, err: "" }),
      (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain("Not applied: the access policy does not cover the metadata (docs/access-policy.md):");
    expect(result.err).toContain("public.users is tracked but has no entry in metadata/access.yaml");
    expect(result.err).not.toMatch(/ECONNREFUSED|not-used-secret|\n\s+at /);
  });
});

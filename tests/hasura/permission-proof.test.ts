// The permission proof on a real PostgreSQL: the project's users table, and a team's schema (the fixture
// of tests/fixtures/access-schema: notes owned by a column, todos owned through their list, categories
// everyone reads). Each broken permission must be reported with its table, role, operation and a row the
// wrong session reached; a table or permission without a rule must stop the proof by name.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readMigrations } from "../../scripts/lib/db/migration-files.js";
import { migrateUp } from "../../scripts/lib/db/migrations.js";
import { type AccessPolicy, loadAccessPolicy } from "../../scripts/lib/hasura/access-policy.js";
import { loadMetadata, type Metadata, type TableMetadata } from "../../scripts/lib/hasura/metadata.js";
import { formatProof, provePermissions } from "../../scripts/lib/hasura/permission-proof.js";
import { accessFixtureTree } from "../support/access-fixture.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";

const OWN_ROW = { id: { _eq: "X-Hasura-User-Id" } };
let usersDb: TestDatabase;
let teamDb: TestDatabase;
let tree: { migrations: string; metadata: string };

beforeAll(async () => {
  tree = accessFixtureTree();
  usersDb = await freshDatabase("proof");
  await migrateUp(usersDb.client, readMigrations("migrations/default"), { source: "default" });
  teamDb = await freshDatabase("proofteam");
  await migrateUp(teamDb.client, readMigrations(join(tree.migrations, "default")), { source: "default" });
});
afterAll(async () => {
  await usersDb.drop();
  await teamDb.drop();
});

function tableOf(metadata: Metadata, name: string): TableMetadata {
  const table = metadata.sources[0]?.tables.find((t) => t.table.name === name);
  if (!table) throw new Error(`no table ${name}`);
  return table;
}

/** The project's metadata (or the fixture's) with one table's permissions changed by `edit`. */
function edited(dir: string, name: string, edit: (table: TableMetadata) => void): Metadata {
  const metadata = structuredClone(loadMetadata(dir));
  edit(tableOf(metadata, name));
  return metadata;
}

const projectPolicy = () => loadAccessPolicy("metadata");
const provedUsers = (metadata: Metadata, policy: AccessPolicy = projectPolicy()) => provePermissions(usersDb.client, metadata, policy);
const provedTeam = (metadata: Metadata) => provePermissions(teamDb.client, metadata, loadAccessPolicy(tree.metadata));

describe("the permission proof on the project's users table", () => {
  it("shows each user reading and updating exactly its own row, and a new user inserting its own", async () => {
    const result = await provedUsers(loadMetadata("metadata"));
    const session = (userId: string, own: string[]) => ({
      table: "public.users",
      role: "user",
      userId,
      canRead: own,
      canUpdate: own,
      canDelete: [],
      canGiveAway: false,
      canInsertOwn: true,
      canInsertForOthers: [],
    });
    expect(result.sessions).toEqual([
      session("proof-user-alice", ["proof-user-alice"]),
      session("proof-user-bob", ["proof-user-bob"]),
      session("proof-user-carol", []),
    ]);
    expect(result.violations).toEqual([]);
    expect(formatProof(result).at(-1)).toBe("OK: every session reaches exactly the rows its rule gives it.");
  });

  it("leaves the database as it found it", async () => {
    await provedUsers(loadMetadata("metadata"));
    expect((await usersDb.client.query("SELECT count(*)::int AS n FROM public.users")).rows).toEqual([{ n: 0 }]);
  });

  it("catches an empty filter: everyone reads and updates everyone", async () => {
    const metadata = edited("metadata", "users", (u) => {
      (u.select_permissions ?? [])[0]!.permission.filter = {};
      (u.update_permissions ?? [])[0]!.permission.filter = {};
      (u.update_permissions ?? [])[0]!.permission.check = {};
    });
    expect((await provedUsers(metadata)).violations).toEqual([
      "public.users: role user as proof-user-alice can read proof-user-bob's row",
      "public.users: role user as proof-user-alice can update proof-user-bob's row",
      "public.users: role user as proof-user-bob can read proof-user-alice's row",
      "public.users: role user as proof-user-bob can update proof-user-alice's row",
      "public.users: role user as proof-user-carol can read proof-user-alice's row",
      "public.users: role user as proof-user-carol can read proof-user-bob's row",
      "public.users: role user as proof-user-carol can update proof-user-alice's row",
      "public.users: role user as proof-user-carol can update proof-user-bob's row",
    ]);
  });

  it("catches a filter on the wrong column: nobody reaches their own row, and anyone reaches a row named after them", async () => {
    const metadata = edited("metadata", "users", (u) => {
      (u.select_permissions ?? [])[0]!.permission.filter = { name: { _eq: "X-Hasura-User-Id" } };
      (u.update_permissions ?? [])[0]!.permission.filter = { name: { _eq: "X-Hasura-User-Id" } };
    });
    // The probe rows hold name NULL (proof-probe-1), then each user's id in turn (2, 3, 4). Updating them
    // is stopped by the unchanged check (id = the user's id), so only reads leak.
    expect((await provedUsers(metadata)).violations).toEqual([
      'public.users: role user as proof-user-alice can read the row proof-probe-2 (name = "proof-user-alice")',
      "public.users: role user as proof-user-alice cannot read its own row proof-user-alice",
      "public.users: role user as proof-user-alice cannot update its own row proof-user-alice",
      'public.users: role user as proof-user-bob can read the row proof-probe-3 (name = "proof-user-bob")',
      "public.users: role user as proof-user-bob cannot read its own row proof-user-bob",
      "public.users: role user as proof-user-bob cannot update its own row proof-user-bob",
      'public.users: role user as proof-user-carol can read the row proof-probe-4 (name = "proof-user-carol")',
    ]);
  });

  it("catches a branch on another column that leaks rows with a matching value", async () => {
    const metadata = edited("metadata", "users", (u) => {
      (u.select_permissions ?? [])[0]!.permission.filter = { _or: [OWN_ROW, { name: { _eq: "public" } }] };
    });
    // The probe rows: name NULL, then name "public" (the filter's own literal); the second leaks to everyone.
    expect((await provedUsers(metadata)).violations).toEqual([
      'public.users: role user as proof-user-alice can read the row proof-probe-2 (name = "public")',
      'public.users: role user as proof-user-bob can read the row proof-probe-2 (name = "public")',
      'public.users: role user as proof-user-carol can read the row proof-probe-2 (name = "public")',
    ]);
  });

  it("accepts an updatable id that a preset pins to the session: the row cannot move", async () => {
    const metadata = edited("metadata", "users", (u) => {
      const update = (u.update_permissions ?? [])[0]!.permission;
      update.columns = ["id", "name", "last_seen"];
      update.set = { id: "X-Hasura-User-Id" };
      delete update.check;
    });
    expect((await provedUsers(metadata)).violations).toEqual([]);
  });

  it("catches an updatable id, and without a check a user can hand its row to another owner", async () => {
    const metadata = edited("metadata", "users", (u) => {
      const update = (u.update_permissions ?? [])[0]!.permission;
      update.columns = ["id", "name", "last_seen"];
      delete update.check;
    });
    expect((await provedUsers(metadata)).violations).toEqual([
      "public.users: role user may change id, the column that says whose row it is; remove it from the update columns",
      "public.users: role user as proof-user-alice can move its own row to another owner (id is updatable and no check stops it)",
      "public.users: role user as proof-user-bob can move its own row to another owner (id is updatable and no check stops it)",
    ]);
  });

  it("catches an insert that lets the client pick the id", async () => {
    const metadata = edited("metadata", "users", (u) => {
      u.insert_permissions = [{ role: "user", permission: { columns: ["id", "name"], check: { name: { _is_null: true } } } }];
    });
    const { violations } = await provedUsers(metadata);
    expect(violations).toContain(
      "public.users: role user may set id, the column that says whose row it is; remove it from the insert columns and preset it (set: {id: X-Hasura-User-Id})",
    );
    expect(violations).toContain("public.users: role user as proof-user-alice can insert a row for proof-user-alice-impostor");
    expect(violations).toContain("public.users: role user as proof-user-carol can insert a row for proof-user-bob");
  });

  it("accepts a delete of one's own row, and catches one that reaches others'", async () => {
    const own = edited("metadata", "users", (u) => {
      u.delete_permissions = [{ role: "user", permission: { filter: OWN_ROW } }];
    });
    expect((await provedUsers(own)).violations).toEqual([]);
    const anyone = edited("metadata", "users", (u) => {
      u.delete_permissions = [{ role: "user", permission: { filter: { name: { _is_null: true } } } }];
    });
    expect((await provedUsers(anyone)).violations).toContain("public.users: role user as proof-user-alice can delete proof-user-bob's row");
  });

  it("refuses an operator it does not know instead of passing it", async () => {
    const metadata = edited("metadata", "users", (u) => {
      (u.select_permissions ?? [])[0]!.permission.filter = { id: { _ilike: "X-Hasura-User-Id" } };
    });
    await expect(provedUsers(metadata)).rejects.toThrow("$.id._ilike: unknown operator _ilike");
  });

  it("refuses a role permission that the policy has no rule for, naming table and role", async () => {
    const metadata = edited("metadata", "users", (u) => {
      u.select_permissions = [...(u.select_permissions ?? []), { role: "editor", permission: { columns: ["id"], filter: {} } }];
    });
    await expect(provedUsers(metadata)).rejects.toThrow(
      "public.users: role editor has select permission(s) but no rule in metadata/access.yaml; add editor: <rule>",
    );
  });
});

describe("the permission proof on a team's schema (owned, owned through a relationship, public-read)", () => {
  it("passes the fixture as written: every session reaches exactly its own notes, lists and todos, and every category", async () => {
    const result = await provedTeam(loadMetadata(tree.metadata));
    expect(result.violations).toEqual([]);
    expect(result.tables).toEqual(["public.users", "public.notes", "public.categories", "public.lists", "public.todos"]);
    const alice = (table: string) => result.sessions.find((s) => s.table === table && s.userId === "proof-user-alice");
    expect(alice("public.todos")?.canRead).toEqual([expect.stringMatching(/^proof-user-alice\//)]);
    expect(alice("public.todos")?.canDelete).toEqual(alice("public.todos")?.canRead);
    expect(alice("public.categories")?.canRead).toEqual([expect.stringMatching(/^shared\//)]);
    expect(result.sessions.find((s) => s.table === "public.notes" && s.userId === "proof-user-carol")?.canInsertOwn).toBe(true);
  });

  it("catches notes any user can read, through the list, the aggregate and the category's notes", async () => {
    const metadata = edited(tree.metadata, "notes", (n) => {
      (n.select_permissions ?? [])[0]!.permission.filter = {};
    });
    const { violations } = await provedTeam(metadata);
    expect(violations).toContainEqual(
      expect.stringMatching(/^public\.notes: role user as proof-user-alice can read proof-user-bob's row proof-user-bob\/\d+$/),
    );
    expect(violations).toContainEqual(
      expect.stringMatching(
        /^public\.notes: role user as proof-user-alice can count through notes_aggregate proof-user-bob's row proof-user-bob\/\d+$/,
      ),
    );
    expect(violations).toContainEqual(
      expect.stringMatching(
        /^public\.categories: role user as proof-user-alice can reach proof-user-bob's row proof-user-bob\/\d+ through categories\.notes$/,
      ),
    );
    // users.notes and lists.todos start from the caller's own row, so they reach only its own notes and
    // todos; a public-read parent (a category) is the path that meets other users' rows.
  });

  it("catches todos whose filter forgets the list: another user's todos leak", async () => {
    const metadata = edited(tree.metadata, "todos", (t) => {
      (t.select_permissions ?? [])[0]!.permission.filter = { done: { _eq: false } };
    });
    const { violations } = await provedTeam(metadata);
    expect(violations).toContainEqual(
      expect.stringMatching(/^public\.todos: role user as proof-user-alice can read proof-user-bob's row proof-user-bob\/\d+$/),
    );
    // A probe todo owned by nobody with done = false: the filter's own literal leaks it to everyone.
    expect(violations).toContainEqual(
      expect.stringMatching(/^public\.todos: role user as proof-user-alice can read the row proof-probe-\d+\/\d+ \(done = false\)$/),
    );
  });

  it("catches a todo insert without a check: a user can add todos to another user's list", async () => {
    const metadata = edited(tree.metadata, "todos", (t) => {
      (t.insert_permissions ?? [])[0]!.permission.check = {};
    });
    const { violations } = await provedTeam(metadata);
    expect(violations).toContain("public.todos: role user as proof-user-alice can insert a row for proof-user-bob");
    expect(violations).not.toContainEqual(expect.stringMatching(/can read/));
  });

  it("catches a todo whose list can be changed to another user's", async () => {
    const metadata = edited(tree.metadata, "todos", (t) => {
      const update = (t.update_permissions ?? [])[0]!.permission;
      update.columns = ["list_id", "text", "done"];
      update.check = {};
    });
    expect((await provedTeam(metadata)).violations).toContain(
      "public.todos: role user as proof-user-alice can move its own row to another owner (list_id can point at proof-user-bob's row and no check stops it)",
    );
  });

  it("catches a note owner the client may set, and a write permission on a public-read table", async () => {
    const metadata = edited(tree.metadata, "notes", (n) => {
      (n.insert_permissions ?? [])[0]!.permission.columns = ["owner_id", "body"];
      delete (n.insert_permissions ?? [])[0]!.permission.set;
      // Without a check as well: the client's owner_id is then the row's owner.
      (n.insert_permissions ?? [])[0]!.permission.check = {};
    });
    tableOf(metadata, "categories").insert_permissions = [{ role: "user", permission: { columns: ["title"], check: {} } }];
    const { violations } = await provedTeam(metadata);
    expect(violations).toContain(
      "public.notes: role user may set owner_id, the column that says whose row it is; remove it from the insert columns and preset it (set: {owner_id: X-Hasura-User-Id})",
    );
    expect(violations).toContain("public.notes: role user as proof-user-alice can insert a row for proof-user-bob");
    expect(violations).toContain(
      "public.categories: role user has a insert permission, but its rule is public-read (read-only); remove the permission or change the rule",
    );
  });

  it("refuses a tracked table without a rule, naming it and what to add", async () => {
    const metadata = loadMetadata(tree.metadata);
    const policy = loadAccessPolicy(tree.metadata);
    policy.tables.delete("public.lists");
    await expect(provePermissions(teamDb.client, metadata, policy)).rejects.toThrow(
      "public.lists is tracked but has no entry in metadata/access.yaml; add public.lists: {user: <rule>}",
    );
  });
});

describe("npm run permissions", () => {
  const run = (dir: string, url: string) =>
    promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/permissions.ts", "--dir", dir], {
      env: { ...process.env, DATABASE_URL: url },
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stderr: string }) => ({ code: e.code, out: e.stderr }),
    );

  it("prints the proof, and exits 1 naming the table when a team's table leaks or has no rule", { timeout: 60_000 }, async () => {
    const ok = await run(tree.metadata, teamDb.url);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("public.users role user as proof-user-alice: reads proof-user-alice; updates proof-user-alice;");

    const leaking = mkdtempSync(join(tmpdir(), "kh-meta-"));
    cpSync(tree.metadata, leaking, { recursive: true });
    const notes = edited(tree.metadata, "notes", (n) => {
      (n.select_permissions ?? [])[0]!.permission.filter = {};
    });
    writeFileSync(join(leaking, "databases", "default", "tables", "public_notes.yaml"), stringify(tableOf(notes, "notes")));
    const bad = await run(leaking, teamDb.url);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/public\.notes: role user as proof-user-alice can read proof-user-bob's row/);

    writeFileSync(join(leaking, "access.yaml"), "version: 1\ntables:\n  public.users:\n    user: { owner: id }\n");
    const unruled = await run(leaking, teamDb.url);
    expect(unruled.code).toBe(1);
    expect(unruled.out).toContain("public.notes is tracked but has no entry in metadata/access.yaml");
    expect(unruled.out).not.toContain("    at ");
  });
});

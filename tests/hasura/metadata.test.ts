// metadata/: the request body it builds, its offline check and the permission proof, on a real
// PostgreSQL after the project's migrations.
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMigrations } from "../../scripts/lib/db/migration-files.js";
import { migrateUp } from "../../scripts/lib/db/migrations.js";
import { loadMetadata, type Metadata, replaceMetadataBody, type TableMetadata } from "../../scripts/lib/hasura/metadata.js";
import { checkMetadata } from "../../scripts/lib/hasura/metadata-check.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";

const OWN_ROW = { id: { _eq: "X-Hasura-User-Id" } };
let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase("meta");
  await migrateUp(db.client, readMigrations("migrations/default"), { source: "default" });
});
afterAll(async () => {
  await db.drop();
});

/** The project's metadata with the users table's permissions changed by `edit`. */
function withUsers(edit: (users: TableMetadata) => void): Metadata {
  const metadata = structuredClone(loadMetadata("metadata"));
  edit(metadata.sources[0]?.tables[0] as TableMetadata);
  return metadata;
}

describe("npm run metadata -- build", () => {
  it("builds one replace_metadata body with the users permissions exactly as agreed", () => {
    expect(replaceMetadataBody(loadMetadata("metadata"))).toEqual({
      type: "replace_metadata",
      version: 2,
      args: {
        allow_inconsistent_metadata: false,
        metadata: {
          version: 3,
          sources: [
            {
              name: "default",
              kind: "postgres",
              configuration: {
                connection_info: {
                  database_url: { from_env: "PG_DATABASE_URL" },
                  isolation_level: "read-committed",
                  use_prepared_statements: false,
                },
              },
              tables: [
                {
                  table: { name: "users", schema: "public" },
                  insert_permissions: [{ role: "user", permission: { columns: ["name"], set: { id: "X-Hasura-User-Id" }, check: OWN_ROW } }],
                  select_permissions: [
                    { role: "user", permission: { columns: ["id", "name", "last_seen"], filter: OWN_ROW, allow_aggregations: false } },
                  ],
                  update_permissions: [{ role: "user", permission: { columns: ["name", "last_seen"], filter: OWN_ROW, check: OWN_ROW } }],
                },
              ],
            },
          ],
        },
      },
    });
  });

  it("names the including file and the missing target when an !include does not resolve", () => {
    const dir = mkdtempSync(join(tmpdir(), "kh-meta-"));
    cpSync("metadata", dir, { recursive: true });
    writeFileSync(join(dir, "databases", "default", "tables", "tables.yaml"), '- "!include public_people.yaml"\n');
    expect(() => loadMetadata(dir)).toThrow(/tables\.yaml includes public_people\.yaml, which does not exist \(.*public_people\.yaml\)$/);
  });

  it("refuses an include cycle", () => {
    const dir = mkdtempSync(join(tmpdir(), "kh-meta-"));
    cpSync("metadata", dir, { recursive: true });
    writeFileSync(join(dir, "databases", "default", "tables", "tables.yaml"), '- "!include tables.yaml"\n');
    expect(() => loadMetadata(dir)).toThrow(/includes tables\.yaml in a cycle: .*databases\.yaml -> .*tables\.yaml -> .*tables\.yaml$/);
  });

  it("refuses an include that leaves the metadata directory, by path or through a symlink, without reading it", () => {
    const outside = join(mkdtempSync(join(tmpdir(), "kh-outside-")), "secret.yaml");
    writeFileSync(outside, "- admin-secret-value-that-must-not-print\n");
    const byPath = mkdtempSync(join(tmpdir(), "kh-meta-"));
    cpSync("metadata", byPath, { recursive: true });
    writeFileSync(
      join(byPath, "databases", "default", "tables", "tables.yaml"),
      `- "!include ${relative(join(byPath, "databases", "default", "tables"), outside)}"\n`,
    );
    const bySymlink = mkdtempSync(join(tmpdir(), "kh-meta-"));
    cpSync("metadata", bySymlink, { recursive: true });
    symlinkSync(outside, join(bySymlink, "databases", "default", "tables", "linked.yaml"));
    writeFileSync(join(bySymlink, "databases", "default", "tables", "tables.yaml"), '- "!include linked.yaml"\n');
    for (const dir of [byPath, bySymlink]) {
      expect(() => loadMetadata(dir)).toThrow(/which is outside .*; includes must stay inside the metadata directory$/);
      expect(() => loadMetadata(dir)).not.toThrow(/admin-secret-value/);
    }
  });
});

describe("npm run metadata -- check", () => {
  it("finds nothing wrong with the project's metadata after the project's migrations", async () => {
    expect(await checkMetadata(loadMetadata("metadata"), db.client)).toEqual([]);
  });

  it("reports a table the database does not have", async () => {
    const metadata = withUsers((u) => {
      u.table.name = "people";
    });
    expect(await checkMetadata(metadata, db.client)).toEqual(["public.people: table does not exist in the database (run the migrations first)"]);
  });

  it("reports unknown columns, malformed session variables, empty filters and a writable ownership column", async () => {
    const metadata = withUsers((u) => {
      u.select_permissions = [{ role: "user", permission: { columns: ["id", "email"], filter: {} } }];
      u.update_permissions = [
        {
          role: "user",
          permission: { columns: ["id", "name"], filter: { id: { _eq: "X-Hasura-User Id" } }, check: { owner: { _eq: "X-Hasura-User-Id" } } },
        },
      ];
      u.insert_permissions = [{ role: "user", permission: { columns: ["id", "name"], check: {} } }];
      u.delete_permissions = [{ role: "user", permission: { filter: { id: { _like: "%" } } } }];
    });
    expect(await checkMetadata(metadata, db.client)).toEqual([
      "public.users: select permission for role user names column email, which public.users does not have",
      "public.users: select permission for role user has an empty filter: it reaches every row",
      "public.users: insert permission for role user has an empty check: it may insert any row",
      "public.users: insert permission for role user lets the client choose id; preset it from the session instead (set: {id: X-Hasura-User-Id})",
      'public.users: update permission for role user uses session variable "X-Hasura-User Id", which is not well-formed (x-hasura-<name>)',
      "public.users: update permission for role user has a check on column owner, which public.users does not have",
      'public.users: update permission for role user: check cannot be evaluated: "owner" is not a column or relationship of the table (computed fields are not supported)',
      "public.users: update permission for role user lets it change id, the primary key that marks whose row it is; remove it from columns",
      "public.users: delete permission for role user: filter cannot be evaluated: $.id._like: unknown operator _like (supported: " +
        "_eq _neq _gt _gte _lt _lte _in _nin _is_null _and _or _not)",
    ]);
  });
});

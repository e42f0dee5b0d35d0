// The restore drill on a real PostgreSQL (Debian's 15, with its pg_dump and pg_restore): migrate,
// give the `hasura` role its grants and Hasura's catalog, seed rows, back up, drop the database and
// create it empty, restore, and find everything back. The stack's backup container uses the Postgres
// image's own pg_dump instead; this proves the procedure, not that image.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupDatabase, BackupError, pgTools, restoreDatabase, rolesFileOf } from "../scripts/lib/backup.js";
import { migrateUp, readMigrations, syncHasuraCliState } from "../scripts/lib/migrations.js";
import { applySeeds, readSeeds } from "../scripts/lib/seeds.js";
import { DEBIAN_PG_BIN, startDebianPostgres, type DebianPostgres } from "../scripts/lib/debian-postgres.js";

let server: DebianPostgres;
beforeAll(async () => {
  server = await startDebianPostgres();
}, 60_000);
afterAll(() => server?.stop());

async function withClient<T>(database: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${server.url}/${database}` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe("the restore drill (Debian's PostgreSQL 15 and its pg_dump)", () => {
  it("brings back rows, the hasura role's grants, the migration bookkeeping and cli_state", { timeout: 60_000 }, async () => {
    const tools = pgTools(DEBIAN_PG_BIN);
    await withClient("postgres", (c) => c.query("CREATE DATABASE app").then(() => c.query("CREATE ROLE hasura LOGIN PASSWORD 'hasura-drill-password'")));
    await withClient("app", async (c) => {
      // As the stack sets it up: the role's catalog schema and grants, then migrations, Hasura's row, seeds.
      await c.query("CREATE SCHEMA hdb_catalog AUTHORIZATION hasura; GRANT CONNECT ON DATABASE app TO hasura; GRANT USAGE ON SCHEMA public TO hasura");
      await migrateUp(c, readMigrations("migrations/default"), { source: "default" });
      await c.query("CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid DEFAULT gen_random_uuid(), version text, upgraded_on timestamptz, cli_state jsonb NOT NULL DEFAULT '{}', console_state jsonb NOT NULL DEFAULT '{}')");
      await c.query("ALTER TABLE hdb_catalog.hdb_version OWNER TO hasura; INSERT INTO hdb_catalog.hdb_version (version, upgraded_on) VALUES ('48', now())");
      await syncHasuraCliState(c, "default", () => {});
      await applySeeds(c, readSeeds("seeds/default"));
      await c.query("INSERT INTO public.users (id, name) SELECT 'drill-' || i, 'user ' || i FROM generate_series(1, 1000) AS i");
    });
    const file = join(mkdtempSync(join(tmpdir(), "kh-backup-")), "app.dump");
    const started = performance.now();
    await backupDatabase(`${server.url}/app`, file, tools);
    const backupMs = performance.now() - started;

    // Disaster: the database is gone; an empty one is created in its place.
    await withClient("postgres", (c) => c.query("DROP DATABASE app WITH (FORCE)").then(() => c.query("CREATE DATABASE app")));
    const restoreStarted = performance.now();
    await restoreDatabase(`${server.url}/app`, file, tools);
    const restoreMs = performance.now() - restoreStarted;
    console.log(`restore drill: 1003 users rows, backup ${Math.round(backupMs)} ms, restore ${Math.round(restoreMs)} ms (the restore time objective at this size)`);

    await withClient("app", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM public.users")).rows[0].n).toBe(1003);
      expect((await c.query("SELECT name FROM public.users WHERE id = 'kp_seed_ada'")).rows[0].name).toBe("Ada Lovelace");
      const grants = await c.query(
        "SELECT has_table_privilege('hasura', 'public.users', 'SELECT,INSERT,UPDATE,DELETE') AS rows, has_schema_privilege('hasura', 'public', 'USAGE') AS usage, (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'hdb_catalog') AS catalog_owner",
      );
      // Table and schema grants travel in the dump; database-level ones (CONNECT) are the stack's
      // postgresql Grant resources, applied again by the next pulumi up.
      expect(grants.rows[0]).toEqual({ rows: true, usage: true, catalog_owner: "hasura" });
      expect((await c.query("SELECT version::text, name FROM app_migrations.applied")).rows).toEqual([{ version: "1764115200000", name: "create_users" }]);
      expect((await c.query("SELECT cli_state FROM hdb_catalog.hdb_version")).rows[0].cli_state).toMatchObject({ migrations: { default: { "1764115200000": false } } });
    });
    // The target's passwords were not touched: the hasura role still logs in with its own.
    const asHasura = new URL(`${server.url}/app`);
    asHasura.username = "hasura";
    asHasura.password = "hasura-drill-password";
    const hasura = new pg.Client({ connectionString: asHasura.toString() });
    await hasura.connect();
    try {
      expect((await hasura.query("SELECT current_user AS u")).rows[0].u).toBe("hasura");
    } finally {
      await hasura.end();
    }
  });

  it("refuses a missing dump or roles file, naming the file, before touching the database", async () => {
    await expect(restoreDatabase(`${server.url}/app`, "/nonexistent/app.dump")).rejects.toThrow("/nonexistent/app.dump does not exist; pass --from <a file npm run backup wrote>");
    const file = join(mkdtempSync(join(tmpdir(), "kh-backup-")), "lonely.dump");
    (await import("node:fs")).writeFileSync(file, "not a dump");
    await expect(restoreDatabase(`${server.url}/app`, file)).rejects.toThrow(`${rolesFileOf(file)} is missing`);
    await expect(restoreDatabase(`${server.url}/app`, file)).rejects.toBeInstanceOf(BackupError);
  });
});

describe("the scheduled backup script (run with /bin/sh against Debian's PostgreSQL 15)", () => {
  const sh = async (script: string, env: Record<string, string>) => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    return (await promisify(execFile)("/bin/sh", ["-c", script], { env: { ...process.env, PATH: `${DEBIAN_PG_BIN}:${process.env.PATH}`, ...env }, timeout: 30_000 })).stdout;
  };
  const pgEnv = () => {
    const u = new URL(server.url);
    return { PGHOST: u.hostname, PGPORT: u.port, PGUSER: "postgres", PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: "postgres" };
  };

  it("writes a timestamped dump and its roles, keeps the newest N, and logs one line", { timeout: 30_000 }, async () => {
    const { readdirSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    for (const day of ["01", "02", "03", "04", "05"]) {
      writeFileSync(join(dir, `2026-01-${day}T030000Z.dump`), "old");
      writeFileSync(join(dir, `2026-01-${day}T030000Z.dump.roles.sql`), "old");
    }
    const out = await sh((await import("../scripts/lib/backup-schedule.js")).backupScript({ dailyAt: "03:00", retention: 3 }), { ...pgEnv(), BACKUP_DIR: dir, BACKUP_ONCE: "1" });
    expect(out).toMatch(/^backup \d{4}-\d\d-\d\dT\d{6}Z\.dump \d+ bytes in \d+ s, keeping 3\n$/);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith(".dump"))).toHaveLength(3);
    expect(files).toContain("2026-01-05T030000Z.dump");
    expect(files).not.toContain("2026-01-03T030000Z.dump");
    expect(files).not.toContain("2026-01-03T030000Z.dump.roles.sql");
    expect(files).toContain("2026-01-05T030000Z.dump.roles.sql");
    expect(files.filter((f) => f.endsWith(".dump.roles.sql"))).toHaveLength(3);
  });

  it("writes files `npm run restore` takes as they are: the scheduled dump restores into an empty database", { timeout: 30_000 }, async () => {
    const { readdirSync } = await import("node:fs");
    await withClient("postgres", (c) => c.query("CREATE DATABASE scheduled").then(() => c.query("CREATE DATABASE scheduled_restored")));
    await withClient("scheduled", (c) => c.query("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT i, 'note ' || i FROM generate_series(1, 50) AS i"));
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    const { backupScript } = await import("../scripts/lib/backup-schedule.js");
    await sh(backupScript({ dailyAt: "03:00", retention: 2 }), { ...pgEnv(), PGDATABASE: "scheduled", BACKUP_DIR: dir, BACKUP_ONCE: "1" });
    const dump = readdirSync(dir).find((f) => f.endsWith(".dump"));
    expect(dump).toBeDefined();
    await restoreDatabase(`${server.url}/scheduled_restored`, join(dir, dump as string), pgTools(DEBIAN_PG_BIN));
    await withClient("scheduled_restored", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n, max(body) AS last FROM notes")).rows[0]).toEqual({ n: 50, last: "note 9" });
    });
  });

  it("a failed dump exits non-zero, keeps every old backup and leaves no partial file", { timeout: 30_000 }, async () => {
    const { readdirSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    writeFileSync(join(dir, "2026-01-01T030000Z.dump"), "old");
    const { backupScript } = await import("../scripts/lib/backup-schedule.js");
    // A database that does not exist: pg_dump fails after the script has started the backup.
    const failed = sh(backupScript({ everyHours: 1, retention: 1 }), { ...pgEnv(), PGDATABASE: "no_such_db", BACKUP_DIR: dir, BACKUP_ONCE: "1" });
    await expect(failed).rejects.toMatchObject({ code: 1 });
    await failed.catch((err: { stdout: string }) => expect(err.stdout).not.toMatch(/^backup /m));
    expect(readdirSync(dir)).toEqual(["2026-01-01T030000Z.dump"]);
  });

  it("waits until the sooner of the next daily UTC time and the next interval", async () => {
    const { backupScript } = await import("../scripts/lib/backup-schedule.js");
    const wait = async (s: Parameters<typeof backupScript>[0]) => Number(await sh(backupScript(s), { BACKUP_PRINT_WAIT: "1" }));
    const daily = await wait({ dailyAt: "03:00", retention: 7 });
    expect(daily).toBeGreaterThan(0);
    expect(daily).toBeLessThanOrEqual(24 * 3600);
    expect(await wait({ everyHours: 6, retention: 7 })).toBe(6 * 3600);
    expect(await wait({ dailyAt: "03:00", everyHours: 48, retention: 7 })).toBe(daily);
  });
});

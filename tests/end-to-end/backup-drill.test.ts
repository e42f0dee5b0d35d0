// The restore drill on a real PostgreSQL (Debian's 15, with its pg_dump and pg_restore): migrate,
// give the `hasura` role its grants and Hasura's catalog, seed rows, back up, drop the database and
// create it empty, restore, and find everything back. The stack's backup container uses the Postgres
// image's own pg_dump instead; this proves the procedure, not that image.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEBIAN_PG_BIN, type DebianPostgres, startDebianPostgres } from "../../dev/postgres/debian-postgres.js";
import { BackupError, backupDatabase, pgTools, restoreDatabase, rolesFileOf } from "../../scripts/lib/db/backup.js";
import { readMigrations } from "../../scripts/lib/db/migration-files.js";
import { migrateUp, syncCliState } from "../../scripts/lib/db/migrations.js";
import { applySeeds, readSeeds } from "../../scripts/lib/db/seeds.js";

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
    await withClient("postgres", (c) =>
      c.query("CREATE DATABASE app").then(() => c.query("CREATE ROLE hasura LOGIN PASSWORD 'hasura-drill-password'")),
    );
    await withClient("app", async (c) => {
      // As the stack sets it up: the role's catalog schema and grants, then migrations, Hasura's row, seeds.
      await c.query(
        "CREATE SCHEMA hdb_catalog AUTHORIZATION hasura; GRANT CONNECT ON DATABASE app TO hasura; GRANT USAGE ON SCHEMA public TO hasura",
      );
      await migrateUp(c, readMigrations("migrations/default"), { source: "default" });
      await c.query(
        "CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid DEFAULT gen_random_uuid(), version text, upgraded_on timestamptz, " +
          "cli_state jsonb NOT NULL DEFAULT '{}', console_state jsonb NOT NULL DEFAULT '{}')",
      );
      await c.query(
        "ALTER TABLE hdb_catalog.hdb_version OWNER TO hasura; INSERT INTO hdb_catalog.hdb_version (version, upgraded_on) VALUES ('48', now())",
      );
      await syncCliState(c, "default", () => {});
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
    console.log(
      `restore drill: 1003 users rows, backup ${Math.round(backupMs)} ms, restore ${Math.round(restoreMs)} ms (the restore time objective at this size)`,
    );

    await withClient("app", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM public.users")).rows[0].n).toBe(1003);
      expect((await c.query("SELECT name FROM public.users WHERE id = 'kp_seed_ada'")).rows[0].name).toBe("Ada Lovelace");
      const grants = await c.query(
        "SELECT has_table_privilege('hasura', 'public.users', 'SELECT,INSERT,UPDATE,DELETE') AS rows, has_schema_privilege('hasura', " +
          "'public', 'USAGE') AS usage, (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'hdb_catalog') AS catalog_owner",
      );
      // Table and schema grants travel in the dump; database-level ones (CONNECT) are the stack's
      // postgresql Grant resources, applied again by the next pulumi up.
      expect(grants.rows[0]).toEqual({ rows: true, usage: true, catalog_owner: "hasura" });
      expect((await c.query("SELECT version::text, name FROM app_migrations.applied")).rows).toEqual([
        { version: "1764115200000", name: "create_users" },
      ]);
      expect((await c.query("SELECT cli_state FROM hdb_catalog.hdb_version")).rows[0].cli_state).toMatchObject({
        migrations: { default: { "1764115200000": false } },
      });
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

  it("rolls back a bad release: an older backup restored over a newer database leaves nothing of the newer migrations", {
    timeout: 60_000,
  }, async () => {
    // pg_restore --clean drops only what the dump holds (PostgreSQL 15 doc/src/sgml/ref/pg_restore.sgml,
    // --clean: "Before restoring database objects, issue commands to DROP all the objects that will be
    // restored"): a table made by a later migration would survive while its migration record rolled back,
    // and the next `pulumi up` would fail with "relation already exists".
    const tools = pgTools(DEBIAN_PG_BIN);
    const dir = mkdtempSync(join(tmpdir(), "kh-release-"));
    cpSync("migrations/default", join(dir, "v1"), { recursive: true });
    cpSync("migrations/default", join(dir, "v2"), { recursive: true });
    mkdirSync(join(dir, "v2", "1764201600000_create_notes"));
    writeFileSync(
      join(dir, "v2", "1764201600000_create_notes", "up.sql"),
      "CREATE SCHEMA notes_app; CREATE TABLE public.notes (id serial PRIMARY KEY, owner_id text NOT NULL REFERENCES public.users (id)); " +
        "CREATE VIEW notes_app.latest AS SELECT * FROM public.notes;",
    );
    writeFileSync(join(dir, "v2", "1764201600000_create_notes", "down.sql"), "DROP SCHEMA notes_app CASCADE; DROP TABLE public.notes;");
    await withClient("postgres", (c) =>
      c
        .query("CREATE DATABASE release_drill")
        .then(() =>
          c.query("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hasura') THEN CREATE ROLE hasura LOGIN; END IF; END $$"),
        ),
    );
    await withClient("release_drill", (c) => migrateUp(c, readMigrations(join(dir, "v1")), { source: "default" }));
    const publicBefore = await withClient("release_drill", (c) =>
      c.query("SELECT nspowner::regrole::text AS owner, nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'"),
    );
    const file = join(dir, "before-release.dump");
    await backupDatabase(`${server.url}/release_drill`, file, tools);
    // The bad release: its migration ran and wrote a row.
    await withClient("release_drill", async (c) => {
      await migrateUp(c, readMigrations(join(dir, "v2")), { source: "default" });
      await c.query(
        "INSERT INTO public.users (id, name) VALUES ('after-backup', 'new'); INSERT INTO public.notes (owner_id) VALUES ('after-backup')",
      );
    });

    // A dump that breaks halfway (cut short: its table of contents reads, a data block does not): the
    // restore fails, and nothing is cleared, since psql's transaction is never told to commit.
    const cut = join(dir, "cut.dump");
    const whole = readFileSync(file);
    writeFileSync(cut, whole.subarray(0, whole.length - 40));
    copyFileSync(rolesFileOf(file), rolesFileOf(cut));
    await expect(restoreDatabase(`${server.url}/release_drill`, cut, tools)).rejects.toThrow(
      /pg_restore exited 1\): pg_restore: error: could not read/,
    );
    await withClient("release_drill", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM public.notes")).rows[0].n).toBe(1);
      expect((await c.query("SELECT count(*)::int AS n FROM app_migrations.applied")).rows[0].n).toBe(2);
    });

    await restoreDatabase(`${server.url}/release_drill`, file, tools);

    await withClient("release_drill", async (c) => {
      const tables = await c.query(
        "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
          "WHERE c.relkind IN ('r', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
      );
      expect(tables.rows.map((r) => r.name)).toEqual(["app_migrations.applied", "public.users"]);
      expect((await c.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'notes_app'")).rows[0].n).toBe(0);
      expect((await c.query("SELECT version::text FROM app_migrations.applied")).rows.map((r) => r.version)).toEqual(["1764115200000"]);
      expect((await c.query("SELECT count(*)::int AS n FROM public.users WHERE id = 'after-backup'")).rows[0].n).toBe(0);
      // The public schema's owner and grants are the backup's (PostgreSQL 15: pg_database_owner, USAGE for PUBLIC).
      const publicSchema = await c.query("SELECT nspowner::regrole::text AS owner, nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'");
      expect(publicSchema.rows).toEqual(publicBefore.rows);
      expect(publicSchema.rows[0].owner).toBe("pg_database_owner");
      // The release can be deployed again: its migration applies cleanly.
      const again = await migrateUp(c, readMigrations(join(dir, "v2")), { source: "default" });
      expect(again.applied).toEqual(["1764201600000_create_notes"]);
    });
  });

  it("commits nothing when the restoring process is killed halfway: psql's input then ends without our COMMIT", { timeout: 60_000 }, async () => {
    // psql --single-transaction would send COMMIT at the end of its input, whatever ended it (psql's
    // doc/src/sgml/ref/psql-ref.sgml, -1): the cleared database and half a dump. The restore writes its own
    // BEGIN and sends COMMIT only once pg_restore exited 0.
    const tools = pgTools(DEBIAN_PG_BIN);
    const dir = mkdtempSync(join(tmpdir(), "kh-killed-"));
    await withClient("postgres", (c) =>
      c
        .query("CREATE DATABASE killed_drill")
        .then(() =>
          c.query("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hasura') THEN CREATE ROLE hasura LOGIN; END IF; END $$"),
        ),
    );
    await withClient("killed_drill", (c) => migrateUp(c, readMigrations("migrations/default"), { source: "default" }));
    const file = join(dir, "app.dump");
    await backupDatabase(`${server.url}/killed_drill`, file, tools);
    await withClient("killed_drill", (c) => c.query("CREATE TABLE public.after_backup (id int); INSERT INTO public.after_backup VALUES (1)"));
    // A pg_restore that writes the first part of the real script, then hangs; `marker` says the part is out.
    const marker = join(dir, "part-written");
    const fake = join(dir, "pg_restore");
    writeFileSync(
      fake,
      `#!/bin/sh\ncase "$1" in --list|--version) exec ${DEBIAN_PG_BIN}/pg_restore "$@";; esac\n` +
        `${DEBIAN_PG_BIN}/pg_restore "$@" | head -c 4000\ntouch ${marker}\nexec sleep 30\n`,
      { mode: 0o755 },
    );
    const script = join(dir, "restore.mjs");
    writeFileSync(
      script,
      `import { pgTools, restoreDatabase } from ${JSON.stringify(join(process.cwd(), "scripts/lib/db/backup.ts"))};\n` +
        `await restoreDatabase(process.argv[2], process.argv[3], { ...pgTools(${JSON.stringify(DEBIAN_PG_BIN)}), pgRestore: ${JSON.stringify(fake)} });\n`,
    );
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      ["--import", join(process.cwd(), "node_modules/tsx/dist/esm/index.mjs"), script, `${server.url}/killed_drill`, file],
      {
        stdio: "ignore",
        detached: true,
      },
    );
    try {
      const deadline = Date.now() + 30_000;
      while (!existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(marker)).toBe(true);
      // psql has the BEGIN, the clearing and the first statements by now; then this process dies.
      await new Promise((r) => setTimeout(r, 500));
      process.kill(child.pid as number, "SIGKILL");
      // psql reads the end of its input and leaves; the server rolls its transaction back.
      const connected = () =>
        withClient("postgres", (c) =>
          c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'killed_drill'").then((r) => r.rows[0].n as number),
        );
      while ((await connected()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await connected()).toBe(0);
    } finally {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // the group is gone already
      }
    }
    await withClient("killed_drill", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM public.after_backup")).rows[0].n).toBe(1);
      expect((await c.query("SELECT count(*)::int AS n FROM app_migrations.applied")).rows[0].n).toBe(1);
    });
  });

  it("refuses a pg_restore from before the \\restrict fix (CVE-2025-8714), before touching the database", async () => {
    // Its script goes to psql, which would run a meta-command a crafted dump held; pg_restore writes
    // \restrict only from 13.22, 14.19, 15.14, 16.10 and 17.6 on (PostgreSQL 17.6 release notes).
    const dir = mkdtempSync(join(tmpdir(), "kh-old-tools-"));
    for (const [version, refused] of [
      ["15.13", true],
      ["17.5 (Debian 17.5-1)", true],
      ["12.22", true],
      ["15.14", false],
      ["18.0", false],
    ] as const) {
      const fake = join(dir, "pg_restore");
      const marker = join(dir, "restored");
      writeFileSync(fake, `#!/bin/sh\n[ "$1" = --version ] && { echo "pg_restore (PostgreSQL) ${version}"; exit 0; }\ntouch ${marker}; exit 1\n`, {
        mode: 0o755,
      });
      const file = join(dir, "app.dump");
      writeFileSync(file, "x");
      writeFileSync(rolesFileOf(file), "");
      const tools = { ...pgTools(DEBIAN_PG_BIN), pgRestore: fake };
      const attempt = restoreDatabase(`${server.url}/postgres`, file, tools);
      if (refused) {
        await expect(attempt, version).rejects.toThrow(
          `${fake} is ${version.split(" ")[0]}: restoring needs a pg_restore that writes \\restrict (13.22, 14.19, 15.14, 16.10, 17.6 or later`,
        );
        expect(existsSync(marker), version).toBe(false);
      } else {
        // Accepted: it went on to restore (and this fake fails there).
        await expect(attempt, version).rejects.toThrow(/exited 1/);
        expect(existsSync(marker), version).toBe(true);
        rmSync(marker);
      }
    }
  });

  it("refuses a missing dump or roles file, naming the file, before touching the database", async () => {
    await expect(restoreDatabase(`${server.url}/app`, "/nonexistent/app.dump")).rejects.toThrow(
      "/nonexistent/app.dump does not exist or is not a file; pass --from <a file npm run backup wrote>",
    );
    const file = join(mkdtempSync(join(tmpdir(), "kh-backup-")), "lonely.dump");
    (await import("node:fs")).writeFileSync(file, "not a dump");
    await expect(restoreDatabase(`${server.url}/app`, file)).rejects.toThrow(`${rolesFileOf(file)} is missing`);
    await expect(restoreDatabase(`${server.url}/app`, file)).rejects.toBeInstanceOf(BackupError);
  });

  it("refuses a roles file with a psql meta-command pg_dumpall does not write, before running anything", async () => {
    const { writeFileSync, existsSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "kh-backup-"));
    const file = join(dir, "hostile.dump");
    const marker = join(dir, "ran");
    writeFileSync(file, "x");
    writeFileSync(rolesFileOf(file), `\\restrict abc\nCREATE ROLE x;\n\\! touch ${marker}\n\\unrestrict abc\n`);
    await expect(restoreDatabase(`${server.url}/app`, file, pgTools(DEBIAN_PG_BIN))).rejects.toThrow(
      `${rolesFileOf(file)} line 3 is a psql meta-command pg_dumpall does not write`,
    );
    expect(existsSync(marker)).toBe(false);
  });
});

describe("the scheduled backup script (run with /bin/sh against Debian's PostgreSQL 15)", () => {
  const sh = async (script: string, env: Record<string, string>) => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    return (
      await promisify(execFile)("/bin/sh", ["-c", script], {
        env: { ...process.env, PATH: `${DEBIAN_PG_BIN}:${process.env.PATH}`, ...env },
        timeout: 30_000,
      })
    ).stdout;
  };
  const pgEnv = () => {
    const u = new URL(server.url);
    return { PGHOST: u.hostname, PGPORT: u.port, PGUSER: "postgres", PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: "postgres" };
  };

  it("writes a timestamped dump and its roles, owner-only, keeps the newest N of its own, and logs one line", { timeout: 30_000 }, async () => {
    const { readdirSync, statSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    for (const day of ["01", "02", "03", "04", "05"]) {
      writeFileSync(join(dir, `2026-01-${day}T030000Z.dump`), "old");
      writeFileSync(join(dir, `2026-01-${day}T030000Z.dump.roles.sql`), "old");
    }
    // Not one of the script's backups: it neither counts towards retention nor gets deleted.
    writeFileSync(join(dir, "zz-hand-copied.dump"), "mine");
    const out = await sh((await import("../../core/backup-schedule.js")).backupScript({ dailyAt: "03:00", retention: 3 }), {
      ...pgEnv(),
      BACKUP_DIR: dir,
      BACKUP_ONCE: "1",
    });
    expect(out).toMatch(/^backup \d{4}-\d\d-\d\dT\d{6}Z\.dump \d+ bytes in \d+ s, keeping 3\n$/);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => /^\d{4}.*Z\.dump$/.test(f))).toHaveLength(3);
    expect(files).toContain("zz-hand-copied.dump");
    expect(files).toContain("2026-01-05T030000Z.dump");
    expect(files).toContain("2026-01-04T030000Z.dump");
    expect(files).not.toContain("2026-01-03T030000Z.dump");
    expect(files).not.toContain("2026-01-03T030000Z.dump.roles.sql");
    expect(files).toContain("2026-01-05T030000Z.dump.roles.sql");
    expect(files.filter((f) => f.endsWith(".dump.roles.sql"))).toHaveLength(3);
    const fresh = files.filter((f) => f.startsWith("20") && !f.startsWith("2026-01-"));
    expect(fresh).toHaveLength(2);
    for (const f of fresh) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
  });

  it("writes files `npm run restore` takes as they are: the scheduled dump restores into an empty database", { timeout: 30_000 }, async () => {
    const { readdirSync } = await import("node:fs");
    await withClient("postgres", (c) => c.query("CREATE DATABASE scheduled").then(() => c.query("CREATE DATABASE scheduled_restored")));
    await withClient("scheduled", (c) =>
      c.query("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT i, 'note ' || i FROM generate_series(1, 50) AS i"),
    );
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    const { backupScript } = await import("../../core/backup-schedule.js");
    await sh(backupScript({ dailyAt: "03:00", retention: 2 }), { ...pgEnv(), PGDATABASE: "scheduled", BACKUP_DIR: dir, BACKUP_ONCE: "1" });
    const dump = readdirSync(dir).find((f) => f.endsWith(".dump"));
    expect(dump).toBeDefined();
    await restoreDatabase(`${server.url}/scheduled_restored`, join(dir, dump as string), pgTools(DEBIAN_PG_BIN));
    await withClient("scheduled_restored", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n, max(body) AS last FROM notes")).rows[0]).toEqual({ n: 50, last: "note 9" });
    });
  });

  it("a failed dump exits non-zero, deletes no old backup and leaves no partial file", { timeout: 30_000 }, async () => {
    const { readdirSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    // Two old backups and retention 1: a prune that ran after the failure would delete one.
    writeFileSync(join(dir, "2026-01-01T030000Z.dump"), "old");
    writeFileSync(join(dir, "2026-01-02T030000Z.dump"), "old");
    const { backupScript } = await import("../../core/backup-schedule.js");
    // A database that does not exist: pg_dump fails after the script has started the backup.
    const failed = sh(backupScript({ everyHours: 1, retention: 1 }), { ...pgEnv(), PGDATABASE: "no_such_db", BACKUP_DIR: dir, BACKUP_ONCE: "1" });
    await expect(failed).rejects.toMatchObject({ code: 1 });
    await failed.catch((err: { stdout: string }) => expect(err.stdout).not.toMatch(/^backup /m));
    expect(readdirSync(dir).sort()).toEqual(["2026-01-01T030000Z.dump", "2026-01-02T030000Z.dump"]);
  });

  it("a failed host copy still prunes the volume, says so in its own line, and leaves no half file for the shipper", {
    timeout: 30_000,
  }, async () => {
    const { chmodSync, mkdirSync, readdirSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    const hostCopy = mkdtempSync(join(tmpdir(), "kh-host-copy-"));
    for (const day of ["01", "02"]) writeFileSync(join(dir, `2026-01-${day}T030000Z.dump`), "old");
    // A cp that copies the roles file, then fails on the dump as a full disk would.
    const fakeBin = mkdtempSync(join(tmpdir(), "kh-fakebin-"));
    mkdirSync(fakeBin, { recursive: true });
    writeFileSync(
      join(fakeBin, "cp"),
      '#!/bin/sh\ncase "$1" in *.roles.sql) exec /bin/cp "$@";; esac\necho "cp: No space left on device" >&2; exit 1\n',
    );
    chmodSync(join(fakeBin, "cp"), 0o755);
    const { backupScript } = await import("../../core/backup-schedule.js");
    const out = await sh(backupScript({ everyHours: 1, retention: 1 }), {
      ...pgEnv(),
      PATH: `${fakeBin}:${DEBIAN_PG_BIN}:/usr/bin:/bin`,
      BACKUP_DIR: dir,
      HOST_COPY_DIR: hostCopy,
      BACKUP_ONCE: "1",
    });
    expect(out).toMatch(
      /^backup \S+\.dump \d+ bytes in \d+ s, keeping 1\nhost copy FAILED for \S+\.dump \(see above\); the backup itself is on the volume\n$/,
    );
    expect(readdirSync(dir).filter((f) => f.endsWith(".dump"))).toHaveLength(1);
    expect(readdirSync(dir)).not.toContain("2026-01-02T030000Z.dump");
    expect(readdirSync(hostCopy)).toEqual([]);
  });

  it("waits until the sooner of the next daily UTC time and the interval since the newest backup or attempt", async () => {
    const { utimesSync, writeFileSync } = await import("node:fs");
    const { backupScript } = await import("../../core/backup-schedule.js");
    const at = (iso: string) => String(Date.parse(iso) / 1000);
    const emptyDir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    const wait = async (s: Parameters<typeof backupScript>[0], now: string, dir = emptyDir) =>
      Number(await sh(backupScript(s), { BACKUP_PRINT_WAIT: "1", BACKUP_NOW: at(now), BACKUP_DIR: dir }));
    // Expected values worked out by hand from the clock times, in UTC.
    expect(await wait({ dailyAt: "03:00", retention: 7 }, "2026-11-27T02:00:00Z")).toBe(3600);
    expect(await wait({ dailyAt: "03:00", retention: 7 }, "2026-11-27T03:00:00Z")).toBe(86_400);
    expect(await wait({ dailyAt: "00:00", retention: 7 }, "2026-11-27T23:59:30Z")).toBe(30);
    expect(await wait({ dailyAt: "23:45", retention: 7 }, "2026-11-28T00:15:00Z")).toBe(23.5 * 3600);
    // An interval with no backup yet: at once.
    expect(await wait({ everyHours: 6, retention: 7 }, "2026-11-27T12:00:00Z")).toBe(0);
    // The newest backup was made an hour ago: five hours to go, whenever the container started.
    const withBackup = mkdtempSync(join(tmpdir(), "kh-backups-"));
    writeFileSync(join(withBackup, "2026-11-27T110000Z.dump"), "x");
    utimesSync(join(withBackup, "2026-11-27T110000Z.dump"), Number(at("2026-11-27T11:00:00Z")), Number(at("2026-11-27T11:00:00Z")));
    expect(await wait({ everyHours: 6, retention: 7 }, "2026-11-27T12:00:00Z", withBackup)).toBe(5 * 3600);
    expect(await wait({ dailyAt: "13:00", everyHours: 6, retention: 7 }, "2026-11-27T12:00:00Z", withBackup)).toBe(3600);
    expect(await wait({ everyHours: 6, retention: 7 }, "2026-11-28T12:00:00Z", withBackup)).toBe(0);
  });

  it("in its loop: a failed backup is logged and retried an interval later, and TERM ends it with no orphan sleep", { timeout: 60_000 }, async () => {
    const { spawn, execFileSync } = await import("node:child_process");
    const dir = mkdtempSync(join(tmpdir(), "kh-backups-"));
    const { backupScript } = await import("../../core/backup-schedule.js");
    // 7 h = 25200 s. The wait counts from the attempt's start, so a failed dump that took a few seconds
    // on a loaded machine leaves a sleep of 25200 minus those seconds (CI once saw no "sleep 25200").
    const child = spawn("/bin/sh", ["-c", backupScript({ everyHours: 7, retention: 2 })], {
      env: { ...process.env, PATH: `${DEBIAN_PG_BIN}:${process.env.PATH}`, ...pgEnv(), PGDATABASE: "no_such_db", BACKUP_DIR: dir },
    });
    let log = "";
    child.stdout.on("data", (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Each wait bounded on its own: on a machine busy with the browser tests one attempt took most of 15 s.
    const failedBy = Date.now() + 25_000;
    while (!log.includes("backup FAILED") && Date.now() < failedBy) await new Promise((r) => setTimeout(r, 50));
    // This script's sleeps: the children of its shell running `sleep N`, as pid and N.
    const processes = () =>
      execFileSync("ps", ["-eo", "pid=,ppid=,args="])
        .toString()
        .split("\n")
        .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args: String(args).trim() }));
    const sleepsOf = (shellPid: number) =>
      processes()
        .filter((p) => p.ppid === shellPid && /^sleep \d+$/.test(p.args))
        .map((p) => ({ pid: p.pid, seconds: Number(p.args.slice("sleep ".length)) }));
    // Until the script has started its sleep (bounded: a loaded machine may take a moment).
    const sleepingBy = Date.now() + 25_000;
    while (sleepsOf(child.pid!).length === 0 && Date.now() < sleepingBy) await new Promise((r) => setTimeout(r, 50));
    expect(log).toBe("backups: no daily time, every 7 h, keeping 2\nbackup FAILED (see above); next attempt at the next scheduled time\n");
    // Retried an interval after the attempt, not at once: one sleep of about 7 h (less the attempt's
    // own seconds, bounded by the two 25 s waits above), and no second attempt.
    const sleeps = sleepsOf(child.pid!);
    expect(sleeps).toHaveLength(1);
    const [sleep] = sleeps as [{ pid: number; seconds: number }];
    expect(sleep.seconds).toBeLessThanOrEqual(25_200);
    expect(sleep.seconds).toBeGreaterThan(25_200 - 60);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    // No orphan: the sleep itself is gone, not only reparented away from the shell.
    expect(processes().filter((p) => p.pid === sleep.pid && p.args.startsWith("sleep"))).toEqual([]);
  });
});

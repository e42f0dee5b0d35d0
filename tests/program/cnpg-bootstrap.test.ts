// The CloudNativePG Cluster's bootstrap SQL (infra/kubernetes/cnpg-bootstrap.ts) on a real PostgreSQL,
// set up as CloudNativePG's initdb leaves it (database `app` owned by `app`), then the project's
// migration runner as `app`, as the Kubernetes migrations Job runs it, before and after Hasura has
// written its catalog row. This stands in for neither the operator nor Hasura: it checks the grants.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresUrl } from "../../core/postgres-url.js";
import { inProject } from "../../core/project-root.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../dev/postgres/throwaway-postgres.js";
import { CNPG_BOOTSTRAP_SQL } from "../../infra/kubernetes/cnpg-bootstrap.js";
import { readMigrations } from "../../scripts/lib/db/migration-files.js";
import { migrateSync, migrateUp } from "../../scripts/lib/db/migrations.js";

let server: ThrowawayPostgres;
const url = (user: string, password: string, database: string) => {
  const base = new URL(server.url);
  return postgresUrl({ user, password, host: base.hostname, port: Number(base.port), database });
};
async function as<T>(user: string, password: string, database: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url(user, password, database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
const superuser = <T>(database: string, work: (c: pg.Client) => Promise<T>) => as("postgres", "postgres", database, work);
/** What Hasura does on its first start: its catalog row, as `hasura`. */
const hasuraStarts = (database: string) =>
  as("hasura", "hasura-pw", database, async (c) => {
    await c.query(`CREATE TABLE hdb_catalog.hdb_version (
      hasura_uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(), version text NOT NULL, upgraded_on timestamptz NOT NULL DEFAULT now(),
      cli_state jsonb NOT NULL DEFAULT '{}', console_state jsonb NOT NULL DEFAULT '{}')`);
    await c.query("INSERT INTO hdb_catalog.hdb_version (version) VALUES ('48')");
  });

beforeAll(async () => {
  server = await startThrowawayPostgres("cnpg-bootstrap");
  // CloudNativePG's initdb: the owner role and its database; the managed role's password comes later.
  await superuser("postgres", async (c) => {
    await c.query("CREATE ROLE app LOGIN PASSWORD 'app-pw'");
    await c.query("CREATE DATABASE app OWNER app");
    await c.query("CREATE DATABASE control OWNER app");
  });
}, 60_000);
afterAll(() => server?.stop());

describe("the CloudNativePG bootstrap", () => {
  const migrations = readMigrations(inProject("migrations", "default"));
  const options = { source: "default", log: () => {} };

  it("lets the migrations run as the owner `app`, before and after Hasura's catalog row, and Hasura read the tables", async () => {
    await superuser("app", async (c) => {
      for (const sql of CNPG_BOOTSTRAP_SQL) await c.query(sql);
      await c.query("ALTER ROLE hasura PASSWORD 'hasura-pw'");
    });
    const first = await as("app", "app-pw", "app", (c) => migrateUp(c, migrations, options));
    expect(first.applied).toEqual(migrations.map((m) => m.id));
    await hasuraStarts("app");
    await as("app", "app-pw", "app", (c) => migrateSync(c, options));
    const again = await as("app", "app-pw", "app", (c) => migrateUp(c, migrations, options));
    expect(again.applied).toEqual([]);
    const cliState = await superuser("app", (c) => c.query("SELECT cli_state FROM hdb_catalog.hdb_version"));
    expect(Object.keys(cliState.rows[0].cli_state.migrations.default).sort()).toEqual(migrations.map((m) => m.version));
    const owner = await superuser("app", (c) => c.query("SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'hdb_catalog'"));
    expect(owner.rows[0].owner).toBe("hasura");
    const rows = await as("hasura", "hasura-pw", "app", (c) => c.query("SELECT count(*)::int AS n FROM public.users"));
    expect(rows.rows[0].n).toBeGreaterThanOrEqual(0);
  });

  it("needs its last two grants: without them `migrate sync` as `app` is refused by PostgreSQL", async () => {
    await superuser("control", async (c) => {
      for (const sql of CNPG_BOOTSTRAP_SQL.slice(0, -2).filter((s) => !s.startsWith("CREATE ROLE"))) await c.query(sql);
    });
    await as("app", "app-pw", "control", (c) => migrateUp(c, migrations, options)).catch(() => undefined);
    await hasuraStarts("control");
    await expect(as("app", "app-pw", "control", (c) => migrateSync(c, options))).rejects.toThrow(/permission denied/);
  });
});

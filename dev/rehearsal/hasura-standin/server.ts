// The rehearsal's STAND-IN for the Hasura container: a 127.0.0.1 server configured only from the
// container's recorded environment, keeping its catalog where Hasura keeps it (hdb_catalog in the
// metadata database, created on start as Hasura does, hdb_version included), and answering
// /healthz, /v1/version, /v1/metadata and /v1/graphql. GraphQL answers come from the real PostgreSQL
// under the permissions the metadata step applied (graphql.ts). It is a test double: it proves the
// glue between the program, its steps and this contract, nothing about Hasura itself.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import pg from "pg";
import { BoolExpError, boolExpToSql, sessionVariablesIn } from "../../../scripts/lib/hasura/bool-exp.js";
import type { Metadata } from "../../../scripts/lib/hasura/metadata.js";
import { boolExpTableOf, SchemaModelError } from "../../../scripts/lib/hasura/schema-model.js";
import { envMap } from "../values.js";
import { corsAllows, corsHeaders } from "./cors.js";
import { executeGraphql, type TableInfo, tableInfos } from "./graphql.js";
import { AuthError, fetchTrusting, JwtConfigError, JwtVerifier, parseJwtSecret, type Session } from "./jwt.js";
import { serveSubscriptions } from "./websocket.js";

export class StandInStartError extends Error {}

export interface HasuraStandInOptions {
  /** The container's environment, KEY=VALUE. */
  env: string[];
  /** Docker's DNS on the stack network: `host:port` inside the network → `127.0.0.1:<port>` here. */
  resolve: (host: string, port: number) => { host: string; port: number } | undefined;
  /** Listen here (the port the rehearsal reports as published). */
  port: number;
  /** A CA to trust, besides Node's, when fetching jwk_url: the Kinde stand-in's own certificate. */
  trustedCa?: string;
}

interface InconsistentObject {
  type: string;
  name: string;
  reason: string;
  definition: unknown;
}

const EMPTY_METADATA: Metadata = { version: 3, sources: [] };

export class HasuraStandIn {
  private server: Server | undefined;
  private closeSockets: (() => void) | undefined;
  private catalog!: pg.Pool;
  private sources = new Map<string, pg.Pool>();
  private metadata: Metadata = EMPTY_METADATA;
  private resourceVersion = 1;
  private tables: TableInfo[] = [];
  private inconsistent: InconsistentObject[] = [];
  readonly jwt: JwtVerifier | undefined;
  private readonly env: Record<string, string>;
  readonly url: string;

  constructor(private readonly options: HasuraStandInOptions) {
    this.env = envMap(options.env);
    this.url = `http://127.0.0.1:${options.port}`;
    const jwtSecret = this.env.HASURA_GRAPHQL_JWT_SECRET;
    try {
      this.jwt = jwtSecret ? new JwtVerifier(parseJwtSecret(jwtSecret), options.trustedCa ? fetchTrusting(options.trustedCa) : undefined) : undefined;
    } catch (err) {
      throw new StandInStartError(`Fatal Error: HASURA_GRAPHQL_JWT_SECRET: ${(err as Error).message}`);
    }
    if (this.jwt && !this.env.HASURA_GRAPHQL_ADMIN_SECRET) {
      throw new StandInStartError("Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET)");
    }
  }

  /** Starts as Hasura does: JWKS first (fatal on failure), then the catalog; resolves once /healthz would answer OK. */
  async start(): Promise<void> {
    try {
      await this.jwt?.start();
    } catch (err) {
      if (err instanceof JwtConfigError) throw new StandInStartError(err.message);
      throw err;
    }
    const metadataUrl = this.env.HASURA_GRAPHQL_METADATA_DATABASE_URL ?? this.env.HASURA_GRAPHQL_DATABASE_URL;
    if (!metadataUrl) throw new StandInStartError("Fatal Error: neither HASURA_GRAPHQL_METADATA_DATABASE_URL nor HASURA_GRAPHQL_DATABASE_URL is set");
    this.catalog = this.pool(metadataUrl);
    try {
      await this.initCatalog();
    } catch (err) {
      await this.catalog.end().catch(() => undefined);
      throw new StandInStartError(`Fatal Error: cannot initialise the metadata catalog: ${(err as Error).message}`);
    }
    await this.load();
    this.server = createServer((req, res) => void this.handle(req, res));
    this.closeSockets = serveSubscriptions(this.server, {
      authenticate: async (headers) => {
        const access = await this.access(headers);
        return { access, ...(access.kind === "role" && access.session.expiresAt !== undefined ? { expiresAt: access.session.expiresAt } : {}) };
      },
      execute: (access, request) =>
        executeGraphql(
          this.sources.get("default") ?? this.catalog,
          this.tables,
          access as Awaited<ReturnType<HasuraStandIn["access"]>>,
          request,
          "websocket",
        ),
      originRefused: (origin) =>
        corsAllows(this.env.HASURA_GRAPHQL_CORS_DOMAIN, origin) ? undefined : "received origin header does not match configured CORS domains",
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(this.options.port, "127.0.0.1", () => resolve());
    });
  }

  async stop(): Promise<void> {
    this.closeSockets?.();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await Promise.all([...this.sources.values()].map((p) => p.end().catch(() => undefined)));
    await this.catalog?.end().catch(() => undefined);
  }

  /** A pool for a URL as the container would reach it, through the stack network's names. */
  private pool(url: string): pg.Pool {
    const parsed = new URL(url);
    const target = this.options.resolve(parsed.hostname, Number(parsed.port || 5432));
    if (!target) throw new StandInStartError(`could not translate host name "${parsed.hostname}" to address: Name or service not known`);
    const pool = new pg.Pool({
      host: target.host,
      port: target.port,
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: decodeURIComponent(parsed.pathname.slice(1)),
      max: 4,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server (the Postgres stand-in stopping first) is not an error of
    // the request in flight; unhandled it would crash the process and print the client, password included.
    pool.on("error", () => {});
    return pool;
  }

  private async initCatalog(): Promise<void> {
    // Hasura creates hdb_catalog only when it is missing (so a role that owns the schema needs no
    // CREATE on the database; PostgreSQL checks that right even for CREATE SCHEMA IF NOT EXISTS),
    // then the catalog tables: hdb_version with its one-row index, hdb_metadata.
    const exists = await this.catalog.query("SELECT 1 FROM pg_namespace WHERE nspname = 'hdb_catalog'");
    if (exists.rowCount === 0) await this.catalog.query("CREATE SCHEMA hdb_catalog");
    await this.catalog.query(`
      CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_version (
        hasura_uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        version text NOT NULL,
        upgraded_on timestamptz NOT NULL,
        cli_state jsonb NOT NULL DEFAULT '{}'::jsonb,
        console_state jsonb NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE UNIQUE INDEX IF NOT EXISTS hdb_version_one_row ON hdb_catalog.hdb_version((version IS NOT NULL));
      INSERT INTO hdb_catalog.hdb_version (version, upgraded_on) VALUES ('48', now()) ON CONFLICT DO NOTHING;
      CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_metadata (
        id integer PRIMARY KEY,
        metadata json NOT NULL,
        resource_version integer NOT NULL DEFAULT 1 UNIQUE
      );`);
  }

  /** Reads the stored metadata and builds the schema from it (inconsistent objects are left out, reported). */
  private async load(): Promise<void> {
    const { rows } = await this.catalog.query<{ metadata: Metadata; resource_version: number }>(
      "SELECT metadata, resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1",
    );
    this.metadata = rows[0]?.metadata ?? EMPTY_METADATA;
    this.resourceVersion = rows[0]?.resource_version ?? 1;
    const built = await this.build(this.metadata);
    this.tables = built.tables;
    this.inconsistent = built.inconsistent;
  }

  /** What Hasura's schema cache build reports for `metadata` against the databases it names. */
  private async build(metadata: Metadata): Promise<{ tables: TableInfo[]; inconsistent: InconsistentObject[] }> {
    const inconsistent: InconsistentObject[] = [];
    const tables: TableInfo[] = [];
    for (const source of metadata.sources ?? []) {
      const info = source.configuration as { connection_info?: { database_url?: string | { from_env?: string } } } | undefined;
      const urlSpec = info?.connection_info?.database_url;
      const url = typeof urlSpec === "string" ? urlSpec : urlSpec?.from_env ? this.env[urlSpec.from_env] : undefined;
      const sourceObject = (reason: string) =>
        inconsistent.push({ type: "source", name: `source ${source.name}`, reason: `Inconsistent object: ${reason}`, definition: source.name });
      if (source.kind !== "postgres") {
        sourceObject(`the rehearsal's stand-in serves postgres sources only, not ${source.kind}`);
        continue;
      }
      if (!url) {
        sourceObject(typeof urlSpec === "object" ? `environment variable '${urlSpec.from_env}' not set` : "no database_url");
        continue;
      }
      let pool = this.sources.get(source.name);
      try {
        pool ??= this.pool(url);
        this.sources.set(source.name, pool);
        const client = await pool.connect();
        try {
          const infos = await tableInfos(client, { version: 3, sources: [source] });
          for (const t of infos) {
            const name = `table ${t.metadata.table.name} in source ${source.name}`;
            if (t.columnNames.length === 0) {
              inconsistent.push({
                type: "table",
                name,
                reason: `Inconsistent object: no such table/view exists in source: "${t.metadata.table.name}"`,
                definition: t.metadata.table,
              });
              continue;
            }
            const problems = permissionProblems(t, infos);
            for (const p of problems)
              inconsistent.push({
                type: `${p.kind}_permission`,
                name: `${p.kind}_permission ${p.role} on ${name}`,
                reason: `Inconsistent object: ${p.reason}`,
                definition: t.metadata.table,
              });
            if (problems.length === 0) tables.push(t);
          }
        } finally {
          client.release();
        }
      } catch (err) {
        if (err instanceof StandInStartError || err instanceof SchemaModelError) sourceObject(err.message);
        else sourceObject(`connection error: ${(err as Error).message}`);
      }
    }
    return { tables, inconsistent };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = corsHeaders(this.env.HASURA_GRAPHQL_CORS_DOMAIN, req.method, req.headers);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { ...cors?.headers, "content-type": typeof body === "string" ? "text/plain" : "application/json" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (cors?.preflight) {
      res.writeHead(204, { ...cors.headers, "content-length": "0" });
      return void res.end();
    }
    try {
      const path = new URL(req.url ?? "/", this.url).pathname;
      if (req.method === "GET" && path === "/healthz") {
        await this.catalog.query("SELECT 1");
        return send(200, this.inconsistent.length > 0 ? "WARN: inconsistent objects in schema" : "OK");
      }
      if (req.method === "GET" && path === "/v1/version") return send(200, { version: "rehearsal stand-in" });
      const apis = (this.env.HASURA_GRAPHQL_ENABLED_APIS ?? "metadata,graphql,pgdump,config").split(",").map((a) => a.trim());
      const body = req.method === "POST" ? await readJson(req) : undefined;
      if (path === "/v1/graphql" && apis.includes("graphql")) return send(200, await this.graphql(req, body));
      // /v2/query (run_sql) is served with the metadata API (App.hs: `v2/query` under onlyWhenApiEnabled isMetadataEnabled).
      if (path === "/v2/query" && apis.includes("metadata")) {
        const answer = await this.runSql(req, body);
        return send(answer.status, answer.body);
      }
      if (path === "/v1/metadata" && apis.includes("metadata")) {
        const answer = await this.metadataApi(req, body);
        return send(answer.status, answer.body);
      }
      return send(404, { path: "$", error: "resource does not exist", code: "not-found" });
    } catch (err) {
      send(500, { path: "$", error: `rehearsal stand-in: ${(err as Error).message}`, code: "unexpected" });
    }
  }

  /** The request's session, by Hasura's rules: the admin secret wins; without it, a token in JWT mode. */
  private async access(headers: IncomingMessage["headers"]): Promise<{ kind: "admin" } | { kind: "role"; session: Session }> {
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const adminSecret = header("x-hasura-admin-secret");
    if (adminSecret !== undefined) {
      if (adminSecret !== this.env.HASURA_GRAPHQL_ADMIN_SECRET)
        throw new AuthError("access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key");
      const role = header("x-hasura-role") ?? "admin";
      if (role === "admin") return { kind: "admin" };
      // With the admin secret, session variables come from the request headers (admin-secret-access.mdx).
      const variables = Object.fromEntries(
        Object.entries(headers)
          .filter(([k]) => k.startsWith("x-hasura-") && k !== "x-hasura-admin-secret")
          .map(([k, v]) => [k, String(v)]),
      );
      return { kind: "role", session: { role, variables } };
    }
    if (!this.jwt) throw new AuthError("access-denied", "x-hasura-admin-secret/x-hasura-access-key required, but not found");
    const authorization = header("authorization");
    if (authorization === undefined) throw new AuthError("invalid-headers", "Missing 'Authorization' or 'Cookie' header in JWT authentication mode");
    const session = await this.jwt.session(authorization, header("x-hasura-role"));
    return session.role === "admin" ? { kind: "admin" } : { kind: "role", session };
  }

  private async graphql(req: IncomingMessage, body: unknown): Promise<unknown> {
    let access: Awaited<ReturnType<HasuraStandIn["access"]>>;
    try {
      access = await this.access(req.headers);
    } catch (err) {
      if (err instanceof AuthError) return { errors: [{ message: err.message, extensions: { path: "$", code: err.code } }] };
      throw err;
    }
    // Without a consistent `default` source there are no tables: every field is "not found".
    const pool = this.sources.get("default") ?? this.catalog;
    return executeGraphql(pool, this.tables, access, (body ?? {}) as Record<string, unknown>);
  }

  /**
   * run_sql as Hasura answers it (docs/docs/api-reference/schema-api/run-sql.mdx): admin only, one
   * transaction (read only with read_only: true), TuplesOk with a header row and every value as text,
   * or CommandOk. Only what the smoke uses: no cascade, no metadata consistency check.
   */
  private async runSql(req: IncomingMessage, body: unknown): Promise<{ status: number; body: unknown }> {
    try {
      if ((await this.access(req.headers)).kind !== "admin")
        return { status: 400, body: { path: "$", error: "restricted access : admin only", code: "access-denied" } };
    } catch (err) {
      if (err instanceof AuthError) return { status: 401, body: { path: "$", error: err.message, code: err.code } };
      throw err;
    }
    const request = (body ?? {}) as { type?: string; args?: { source?: string; sql?: unknown; read_only?: boolean } };
    if (request.type !== "run_sql" || typeof request.args?.sql !== "string") {
      return {
        status: 400,
        body: { path: "$.type", error: `the rehearsal's Hasura stand-in serves run_sql only on /v2/query`, code: "not-supported" },
      };
    }
    const pool = this.sources.get(request.args.source ?? "default");
    if (!pool)
      return { status: 400, body: { path: "$.args.source", error: `source with name "${request.args.source}" does not exist`, code: "not-exists" } };
    const client = await pool.connect();
    try {
      await client.query(request.args.read_only ? "BEGIN READ ONLY" : "BEGIN");
      const result = await client.query({ text: request.args.sql, rowMode: "array", types: { getTypeParser: () => (value: string) => value } });
      await client.query("COMMIT");
      if (!result.fields || result.fields.length === 0) return { status: 200, body: { result_type: "CommandOk", result: null } };
      return { status: 200, body: { result_type: "TuplesOk", result: [result.fields.map((f) => f.name), ...(result.rows as unknown[][])] } };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      return {
        status: 400,
        body: { path: "$", error: "query execution failed", code: "postgres-error", internal: { error: { message: (err as Error).message } } },
      };
    } finally {
      client.release();
    }
  }

  private async metadataApi(req: IncomingMessage, body: unknown): Promise<{ status: number; body: unknown }> {
    try {
      const access = await this.access(req.headers);
      if (access.kind !== "admin") return { status: 400, body: { path: "$", error: "restricted access : admin only", code: "access-denied" } };
    } catch (err) {
      if (err instanceof AuthError)
        return { status: err.code === "invalid-headers" ? 400 : 401, body: { path: "$", error: err.message, code: err.code } };
      throw err;
    }
    const request = (body ?? {}) as { type?: string; version?: number; args?: Record<string, unknown> };
    switch (request.type) {
      case "replace_metadata": {
        const args = request.args ?? {};
        const v2 = request.version === 2 || "metadata" in args;
        const metadata = (v2 ? args.metadata : args) as Metadata;
        if (!metadata || typeof metadata !== "object" || !Array.isArray(metadata.sources)) {
          return { status: 400, body: { path: "$.args", error: "expected metadata with version and sources", code: "parse-failed" } };
        }
        const built = await this.build(metadata);
        if (built.inconsistent.length > 0 && args.allow_inconsistent_metadata !== true) {
          return {
            status: 400,
            body: { internal: built.inconsistent, path: "$.args", error: "cannot continue due to inconsistent metadata", code: "unexpected" },
          };
        }
        const { rows } = await this.catalog.query<{ resource_version: number }>(
          `INSERT INTO hdb_catalog.hdb_metadata (id, metadata) VALUES (1, $1::json)
           ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, resource_version = hdb_catalog.hdb_metadata.resource_version + 1
           RETURNING resource_version`,
          [JSON.stringify(metadata)],
        );
        this.metadata = metadata;
        this.resourceVersion = rows[0]?.resource_version ?? this.resourceVersion + 1;
        this.tables = built.tables;
        this.inconsistent = built.inconsistent;
        return {
          status: 200,
          body: v2 ? { is_consistent: built.inconsistent.length === 0, inconsistent_objects: built.inconsistent } : { message: "success" },
        };
      }
      case "reload_metadata":
        await this.load();
        return {
          status: 200,
          body: {
            is_consistent: this.inconsistent.length === 0,
            message: "success",
            ...(this.inconsistent.length > 0 ? { inconsistent_objects: this.inconsistent } : {}),
          },
        };
      case "get_inconsistent_metadata":
        return { status: 200, body: { is_consistent: this.inconsistent.length === 0, inconsistent_objects: this.inconsistent } };
      case "export_metadata":
        return { status: 200, body: request.version === 2 ? { resource_version: this.resourceVersion, metadata: this.metadata } : this.metadata };
      case "get_catalog_state": {
        const { rows } = await this.catalog.query("SELECT hasura_uuid AS id, cli_state, console_state FROM hdb_catalog.hdb_version LIMIT 1");
        return { status: 200, body: rows[0] ?? {} };
      }
      case "set_catalog_state": {
        const args = request.args as { type?: string; state?: unknown } | undefined;
        if (args?.type !== "cli" && args?.type !== "console")
          return { status: 400, body: { path: "$.args.type", error: "expected cli or console", code: "parse-failed" } };
        await this.catalog.query(`UPDATE hdb_catalog.hdb_version SET ${args.type}_state = $1::jsonb`, [JSON.stringify(args.state ?? {})]);
        return { status: 200, body: { message: "success" } };
      }
      default:
        return {
          status: 400,
          body: {
            path: "$.type",
            error: `the rehearsal's Hasura stand-in does not implement ${JSON.stringify(request.type)}`,
            code: "not-supported",
          },
        };
    }
  }
}

/** Permission expressions that Hasura would refuse: unknown columns or operators. */
function permissionProblems(t: TableInfo, all: TableInfo[]): Array<{ kind: string; role: string; reason: string }> {
  const problems: Array<{ kind: string; role: string; reason: string }> = [];
  for (const kind of ["select", "insert", "update", "delete"] as const) {
    for (const p of (t.metadata[`${kind}_permissions`] ?? []) as Array<{ role: string; permission: Record<string, unknown> }>) {
      const columns = p.permission.columns;
      const unknown = Array.isArray(columns) ? columns.filter((c) => !t.columnNames.includes(String(c))) : [];
      if (unknown.length > 0) problems.push({ kind, role: p.role, reason: `column ${unknown.join(", ")} does not exist` });
      for (const key of ["filter", "check"]) {
        const exp = p.permission[key];
        if (exp === undefined || exp === null) continue;
        const session = Object.fromEntries(sessionVariablesIn(exp).map((v) => [v.toLowerCase(), "x"]));
        try {
          boolExpToSql(exp, { alias: "t", ...boolExpTableOf(all, t), session });
        } catch (err) {
          if (!(err instanceof BoolExpError)) throw err;
          problems.push({ kind, role: p.role, reason: `${key}: ${err.message}` });
        }
      }
    }
  }
  return problems;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 10 * 1024 * 1024) throw new Error("request body over 10 MiB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

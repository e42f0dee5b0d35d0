// A migration runner for the Hasura CLI directory layout (`<13-digit ms version>_<name>/up.sql|down.sql`).
// No well-known runner reads that layout (node-pg-migrate, dbmate and postgres-migrations each want
// their own), and none keeps Hasura's `cli_state` in step, hence this file.
//
// Guarantees: one migration = one transaction (a failure leaves no trace and stops the run); a
// session advisory lock so concurrent runners apply each migration once; refusal, before any change,
// when an applied migration was edited or a pending one is older than the newest applied.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import pg from "pg";

/** Where applied migrations are recorded: a schema of its own, invisible to Hasura's `public`. */
export const TRACKING_SCHEMA = "app_migrations";
export const TRACKING_TABLE = `${TRACKING_SCHEMA}.applied`;
/** Any fixed 64-bit key; every runner on this database takes the same one. */
const ADVISORY_LOCK_KEY = 7_482_119_201;

export interface Migration {
  version: string;
  name: string;
  /** `<version>_<name>` */
  id: string;
  upPath: string;
  downPath: string | undefined;
  upSql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

const MIGRATION_DIR = /^(\d{13})_([A-Za-z0-9_-]+)$/;

/** The migrations in `dir`, oldest first. Anything that looks wrong is an error, not skipped. */
export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new MigrationError(`Migrations directory ${dir} does not exist; pass --dir <path>`);
  const migrations: Migration[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const match = MIGRATION_DIR.exec(entry.name);
    if (!match) {
      throw new MigrationError(
        `${join(dir, entry.name)} is not named <13-digit millisecond version>_<name>, e.g. 1732600000000_create_users`,
      );
    }
    const upPath = join(dir, entry.name, "up.sql");
    if (!existsSync(upPath)) throw new MigrationError(`${join(dir, entry.name)} has no up.sql`);
    const downPath = join(dir, entry.name, "down.sql");
    const upSql = readFileSync(upPath, "utf8");
    migrations.push({
      version: match[1] as string,
      name: match[2] as string,
      id: entry.name,
      upPath,
      downPath: existsSync(downPath) ? downPath : undefined,
      upSql,
      checksum: sha256(upSql),
    });
  }
  const versions = new Set<string>();
  for (const m of migrations) {
    if (versions.has(m.version)) throw new MigrationError(`Two migrations in ${dir} share version ${m.version}`);
    versions.add(m.version);
  }
  return migrations.sort((a, b) => a.version.localeCompare(b.version));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number | null;
}

export interface RunOptions {
  /** The Hasura source name the directory belongs to (`migrations/<source>/`), for `cli_state`. */
  source: string;
  /** Accept applied migrations whose up.sql changed since. */
  allowChanged?: boolean;
  /** Apply pending migrations older than the newest applied one. */
  allowOutOfOrder?: boolean;
  log?: (line: string) => void;
}

export interface UpResult {
  applied: string[];
  adopted: string[];
}

/** Applies every pending migration in order. Holds the advisory lock for the whole run. */
export async function migrateUp(client: pg.Client, migrations: Migration[], options: RunOptions): Promise<UpResult> {
  const log = options.log ?? (() => {});
  return withLock(client, async () => {
    await ensureTrackingTable(client);
    const hasura = await readHasuraCliState(client, options.source);
    let applied = await readApplied(client);

    // Migrations Hasura's CLI applied (e.g. from `hasura console`) are adopted, not run again.
    const adopted: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      const state = hasura?.versions[m.version];
      if (state === true) {
        throw new MigrationError(
          `Hasura's cli_state marks ${m.id} dirty (a failed hasura migrate apply); repair it with the Hasura CLI before running migrations here`,
        );
      }
      if (state === false) {
        await client.query(
          `INSERT INTO ${TRACKING_TABLE} (version, name, checksum, duration_ms) VALUES ($1, $2, $3, NULL)`,
          [m.version, m.name, m.checksum],
        );
        adopted.push(m.id);
        log(`adopted ${m.id} (already applied by the Hasura CLI)`);
      }
    }
    if (adopted.length > 0) applied = await readApplied(client);

    checkHistory(migrations, applied, options);
    const pending = migrations.filter((m) => !applied.has(m.version));
    if (pending.length === 0) {
      log(`Nothing to apply: ${applied.size} migration(s) already applied.`);
      return { applied: [], adopted };
    }
    const done: string[] = [];
    for (const [i, m] of pending.entries()) {
      const started = performance.now();
      // Only the run's last commit waits for the WAL flush: it flushes every earlier commit with it,
      // so all are durable when the run reports success, without one disk sync per migration. An
      // OS crash mid-run can lose the newest unflushed migrations whole (never half of one); the
      // next run applies them again.
      await inTransaction(client, m.upPath, m.upSql, {
        durable: i === pending.length - 1,
        ...(hasura ? { between: () => writeHasuraCliState(client, options.source, m.version, "applied") } : {}),
        record: () =>
          `INSERT INTO ${TRACKING_TABLE} (version, name, checksum, duration_ms) VALUES ` +
          `(${m.version}, ${literal(m.name)}, ${literal(m.checksum)}, ${Math.round(performance.now() - started)})`,
      });
      done.push(m.id);
      log(`applied ${m.id} (${Math.round(performance.now() - started)} ms)`);
    }
    return { applied: done, adopted };
  });
}

/** Reverts the newest `steps` applied migrations with their down.sql, newest first. */
export async function migrateDown(
  client: pg.Client,
  migrations: Migration[],
  options: RunOptions & { steps: number },
): Promise<string[]> {
  const log = options.log ?? (() => {});
  return withLock(client, async () => {
    await ensureTrackingTable(client);
    const hasura = await readHasuraCliState(client, options.source);
    const applied = [...(await readApplied(client)).values()].sort((a, b) => b.version.localeCompare(a.version));
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    const targets = applied.slice(0, options.steps);
    // Check every target before reverting any, so a missing down.sql changes nothing.
    for (const t of targets) {
      const m = byVersion.get(t.version);
      if (!m) throw new MigrationError(`Applied migration ${t.version}_${t.name} is not in the migrations directory; cannot revert it`);
      if (!m.downPath) throw new MigrationError(`${m.id} has no down.sql; cannot revert it`);
    }
    const reverted: string[] = [];
    for (const t of targets) {
      const m = byVersion.get(t.version) as Migration;
      const downPath = m.downPath as string;
      await inTransaction(client, downPath, readFileSync(downPath, "utf8"), {
        durable: true,
        ...(hasura ? { between: () => writeHasuraCliState(client, options.source, m.version, "reverted") } : {}),
        record: () => `DELETE FROM ${TRACKING_TABLE} WHERE version = ${m.version}`,
      });
      reverted.push(m.id);
      log(`reverted ${m.id}`);
    }
    if (reverted.length === 0) log("Nothing to revert.");
    return reverted;
  });
}

export interface StatusLine {
  id: string;
  state: "applied" | "pending" | "changed" | "missing";
  appliedAt?: Date;
}

/** Applied, pending, changed (applied but edited since) and missing (applied, file gone) migrations. */
export async function migrationStatus(client: pg.Client, migrations: Migration[]): Promise<StatusLine[]> {
  await ensureTrackingTable(client);
  const applied = await readApplied(client);
  const lines: StatusLine[] = migrations.map((m) => {
    const a = applied.get(m.version);
    if (!a) return { id: m.id, state: "pending" };
    return { id: m.id, state: a.checksum === m.checksum ? "applied" : "changed", appliedAt: a.appliedAt };
  });
  const known = new Set(migrations.map((m) => m.version));
  for (const a of applied.values()) {
    if (!known.has(a.version)) lines.push({ id: `${a.version}_${a.name}`, state: "missing", appliedAt: a.appliedAt });
  }
  return lines.sort((x, y) => x.id.localeCompare(y.id));
}

function checkHistory(migrations: Migration[], applied: Map<string, AppliedMigration>, options: RunOptions): void {
  if (!options.allowChanged) {
    const changed = migrations.filter((m) => {
      const a = applied.get(m.version);
      return a !== undefined && a.checksum !== m.checksum;
    });
    if (changed.length > 0) {
      throw new MigrationError(
        `Applied migration(s) changed since they were applied: ${changed.map((m) => m.upPath).join(", ")}. ` +
          "Restore the applied version and add a new migration for the change, or pass --allow-changed to accept the edit.",
      );
    }
  }
  if (!options.allowOutOfOrder) {
    const newest = [...applied.keys()].sort().at(-1);
    const older = migrations.filter((m) => !applied.has(m.version) && newest !== undefined && m.version < newest);
    if (older.length > 0) {
      throw new MigrationError(
        `Pending migration(s) older than the newest applied (${newest}): ${older.map((m) => m.id).join(", ")}. ` +
          "Give them a newer version (rename the directory), or pass --allow-out-of-order to apply them anyway.",
      );
    }
  }
}

async function withLock<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query("SELECT pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
  try {
    return await work();
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [ADVISORY_LOCK_KEY]);
  }
}

async function ensureTrackingTable(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS ${TRACKING_SCHEMA};
    CREATE TABLE IF NOT EXISTS ${TRACKING_TABLE} (
      version     bigint PRIMARY KEY,
      name        text NOT NULL,
      checksum    text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now(),
      duration_ms integer
    );`);
}

async function readApplied(client: pg.Client): Promise<Map<string, AppliedMigration>> {
  const { rows } = await client.query<{ version: string; name: string; checksum: string; applied_at: Date; duration_ms: number | null }>(
    `SELECT version::text, name, checksum, applied_at, duration_ms FROM ${TRACKING_TABLE} ORDER BY version`,
  );
  return new Map(
    rows.map((r) => [r.version, { version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at, durationMs: r.duration_ms }]),
  );
}

interface TransactionSteps {
  /** Wait for the WAL flush at COMMIT (see migrateUp). */
  durable: boolean;
  /** Work between the migration and its bookkeeping (Hasura's cli_state). */
  between?: () => Promise<void>;
  /** The bookkeeping statement, built at commit time from trusted values (digits, names, hex). */
  record: () => string;
}

/**
 * Runs a migration's SQL and its bookkeeping in one transaction; on failure rolls back and names file,
 * line and message. BEGIN travels with the SQL and the bookkeeping with COMMIT (simple-protocol
 * multi-statement queries), so a migration costs two round trips.
 */
async function inTransaction(client: pg.Client, path: string, sql: string, steps: TransactionSteps): Promise<void> {
  const begin = steps.durable ? "BEGIN;\n" : "BEGIN; SET LOCAL synchronous_commit = off;\n";
  let ranMigration = false;
  try {
    await client.query(begin + sql);
    ranMigration = true;
    await steps.between?.();
    await client.query(`${steps.record()};\nCOMMIT`);
  } catch (err) {
    await client.query("ROLLBACK");
    // PostgreSQL's error position counts from the start of the query we sent, BEGIN included.
    throw new MigrationError(ranMigration ? `${path}: recording it failed: ${(err as Error).message}` : describeSqlError(path, sql, err, begin.length));
  }
}

/** A SQL string literal (standard_conforming_strings: only quotes need doubling). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `file:line: message (SQLSTATE)`; the line comes from PostgreSQL's character position when it gives one. */
export function describeSqlError(path: string, sql: string, err: unknown, offset = 0): string {
  const e = err as { message?: string; position?: string; code?: string };
  const position = Number(e.position) - offset;
  const line = Number.isInteger(position) && position > 0 ? sql.slice(0, position - 1).split("\n").length : undefined;
  return `${path}${line === undefined ? "" : `:${line}`}: ${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ""}`;
}

// Hasura CLI interop. Config v3 keeps applied migrations in hdb_catalog.hdb_version.cli_state:
// {"migrations":{"<source>":{"<version>":<dirty>}},"settings":{"migration_mode":"true"},"isStateCopyCompleted":true}
// (hasura/graphql-engine cli/internal/statestore/migrations/catalogstate.go).

interface HasuraCliState {
  versions: Record<string, boolean>;
}

async function readHasuraCliState(client: pg.Client, source: string): Promise<HasuraCliState | undefined> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('hdb_catalog.hdb_version') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return undefined;
  const state = await client.query<{ cli_state: { migrations?: Record<string, Record<string, boolean>> } | null }>(
    "SELECT cli_state FROM hdb_catalog.hdb_version LIMIT 1",
  );
  return { versions: state.rows[0]?.cli_state?.migrations?.[source] ?? {} };
}

/** Records an applied or reverted version in cli_state so `hasura migrate status` agrees. */
async function writeHasuraCliState(client: pg.Client, source: string, version: string, change: "applied" | "reverted"): Promise<void> {
  const { rows } = await client.query<{ cli_state: Record<string, unknown> | null }>("SELECT cli_state FROM hdb_catalog.hdb_version LIMIT 1");
  const state = (rows[0]?.cli_state ?? {}) as { migrations?: Record<string, Record<string, boolean>>; settings?: unknown };
  const migrations = { ...(state.migrations ?? {}) };
  const versions = { ...(migrations[source] ?? {}) };
  if (change === "applied") versions[version] = false;
  else delete versions[version];
  migrations[source] = versions;
  const next = { ...state, migrations, settings: state.settings ?? { migration_mode: "true" }, isStateCopyCompleted: true };
  await client.query("UPDATE hdb_catalog.hdb_version SET cli_state = $1::jsonb", [JSON.stringify(next)]);
}

/** The Hasura source a migrations directory belongs to: `migrations/default` → `default`. */
export function sourceOf(dir: string): string {
  return basename(resolve(dir));
}

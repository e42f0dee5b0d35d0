// A migration runner for the Hasura CLI directory layout (`<13-digit ms version>_<name>/up.sql|down.sql`).
// No well-known runner reads that layout (node-pg-migrate, dbmate and postgres-migrations each want
// their own), and none keeps Hasura's `cli_state` in step, hence this file.
//
// Guarantees: one migration = one transaction (a failure leaves no trace and stops the run); a
// session advisory lock so concurrent runners apply each migration once; refusal, before any change,
// when an applied migration was edited or a pending one is older than the newest applied.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type pg from "pg";

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
  if (!statSync(dir).isDirectory()) throw new MigrationError(`${dir} is not a directory; pass --dir <the directory holding <version>_<name>/up.sql>`);
  const migrations: Migration[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // Dot files (.gitkeep) are not migrations; anything else that is not a real directory is a mistake.
    if (entry.name.startsWith(".")) continue;
    if (entry.isSymbolicLink()) throw new MigrationError(`${path} is a symbolic link; a migration must be a directory of its own (copy it in)`);
    if (!entry.isDirectory()) throw new MigrationError(`${path} is not a migration directory; migrations live in <13-digit version>_<name>/up.sql`);
    const match = MIGRATION_DIR.exec(entry.name);
    if (!match) {
      throw new MigrationError(`${path} is not named <13-digit millisecond version>_<name>, e.g. 1732600000000_create_users`);
    }
    const files = readdirSync(path).filter((f) => !f.startsWith("."));
    const stray = files.filter((f) => f !== "up.sql" && f !== "down.sql");
    if (stray.length > 0)
      throw new MigrationError(`${path} has ${stray.join(", ")}; only up.sql and down.sql are read (SQL migrations, Hasura CLI layout)`);
    const upPath = join(path, "up.sql");
    if (!existsSync(upPath)) throw new MigrationError(`${path} has no up.sql`);
    if (!lstatSync(upPath).isFile()) throw new MigrationError(`${upPath} is not a regular file`);
    const downPath = join(path, "down.sql");
    const upSql = readFileSync(upPath, "utf8");
    migrations.push({
      version: match[1] as string,
      name: match[2] as string,
      id: entry.name,
      upPath,
      downPath: existsSync(downPath) ? downPath : undefined,
      upSql,
      checksum: checksumOf(upSql),
    });
  }
  const versions = new Set<string>();
  for (const m of migrations) {
    if (versions.has(m.version)) throw new MigrationError(`Two migrations in ${dir} share version ${m.version}`);
    versions.add(m.version);
  }
  return migrations.sort((a, b) => a.version.localeCompare(b.version));
}

/**
 * The checksum of a migration's SQL, line endings normalised first: a checkout with CRLF endings
 * (git's autocrlf on Windows) is the same migration, not an edit.
 */
export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Whether the recorded checksum is this migration's. Before line endings were normalised the raw
 * bytes were hashed: a migration applied from a CRLF checkout then carries that older checksum.
 */
function recordedFor(a: AppliedMigration, m: Migration): "same" | "older-form" | "changed" {
  if (a.checksum === m.checksum) return "same";
  return a.checksum === createHash("sha256").update(m.upSql).digest("hex") ? "older-form" : "changed";
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
        await client.query(`INSERT INTO ${TRACKING_TABLE} (version, name, checksum, duration_ms) VALUES ($1, $2, $3, NULL)`, [
          m.version,
          m.name,
          m.checksum,
        ]);
        adopted.push(m.id);
        log(`adopted ${m.id} (already applied by the Hasura CLI)`);
      }
    }
    if (adopted.length > 0) applied = await readApplied(client);

    checkHistory(migrations, applied, options);
    // An accepted edit is recorded, so the next plain `up` (and every `pulumi up`) accepts it too.
    for (const m of migrations) {
      const a = applied.get(m.version);
      const recorded = a ? recordedFor(a, m) : "same";
      if (recorded === "older-form" || (options.allowChanged && recorded === "changed")) {
        await client.query(`UPDATE ${TRACKING_TABLE} SET checksum = $1 WHERE version = $2`, [m.checksum, m.version]);
        if (recorded === "changed") log(`accepted the edit of ${m.id} (its new checksum is recorded)`);
      }
    }
    const pending = migrations.filter((m) => !applied.has(m.version));
    if (pending.length === 0) {
      await syncHasuraCliState(client, options.source, log);
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
        version: m.version,
        durable: i === pending.length - 1,
        ...(hasura ? { between: () => writeHasuraCliState(client, options.source, m.version, "applied") } : {}),
        record: () =>
          `INSERT INTO ${TRACKING_TABLE} (version, name, checksum, duration_ms) VALUES ` +
          `(${m.version}, ${literal(m.name)}, ${literal(m.checksum)}, ${Math.round(performance.now() - started)})`,
      });
      done.push(m.id);
      log(`applied ${m.id} (${Math.round(performance.now() - started)} ms)`);
    }
    await syncHasuraCliState(client, options.source, log);
    return { applied: done, adopted };
  });
}

/** Reverts the newest `steps` applied migrations with their down.sql, newest first. */
export async function migrateDown(client: pg.Client, migrations: Migration[], options: RunOptions & { steps: number }): Promise<string[]> {
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
        version: m.version,
        durable: true,
        ...(hasura ? { between: () => writeHasuraCliState(client, options.source, m.version, "reverted") } : {}),
        record: () => `DELETE FROM ${TRACKING_TABLE} WHERE version = ${m.version}`,
      });
      reverted.push(m.id);
      log(`reverted ${m.id}`);
    }
    if (reverted.length === 0) log("Nothing to revert.");
    await syncHasuraCliState(client, options.source, log);
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
  // Under the lock: a status racing a first `up` would otherwise collide creating the tracking table.
  const applied = await withLock(client, async () => {
    await ensureTrackingTable(client);
    return readApplied(client);
  });
  const lines: StatusLine[] = migrations.map((m) => {
    const a = applied.get(m.version);
    if (!a) return { id: m.id, state: "pending" };
    return { id: m.id, state: recordedFor(a, m) === "changed" ? "changed" : "applied", appliedAt: a.appliedAt };
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
      return a !== undefined && recordedFor(a, m) === "changed";
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
  /** The migration's version, set as a transaction-local marker to see whether the SQL ended the transaction. */
  version: string;
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
  // The marker lives only as long as our transaction: a COMMIT, ROLLBACK or END inside the migration
  // ends it, and what follows would run outside it (and a failure could no longer be rolled back).
  const marker = `SET LOCAL ${MARKER} = '${steps.version}';\n`;
  const begin = (steps.durable ? "BEGIN;\n" : "BEGIN; SET LOCAL synchronous_commit = off;\n") + marker;
  let ranMigration = false;
  try {
    await client.query(begin + sql);
    ranMigration = true;
    if (!(await stillOurs(client, steps.version))) {
      throw new MigrationError(
        `${path} ends the runner's transaction (a COMMIT, ROLLBACK or END in the file); it was not recorded. ` +
          "Remove the transaction control (each migration already runs in one transaction), check what of it was committed, then run again.",
      );
    }
    await steps.between?.();
    await client.query(`${steps.record()};\nCOMMIT`);
  } catch (err) {
    if (err instanceof MigrationError) {
      await client.query("ROLLBACK");
      throw err;
    }
    // A failure after the migration ended our transaction: what ran before its COMMIT stays committed.
    const ours = ranMigration || (await stillOurs(client, steps.version).catch(() => true));
    await client.query("ROLLBACK");
    if (!ours) {
      throw new MigrationError(
        `${path} ends the runner's transaction (a COMMIT, ROLLBACK or END in the file) and then failed: ${(err as Error).message}. ` +
          "What ran before that COMMIT stayed committed and is not recorded: repair the database by hand, remove the transaction control, then run again.",
      );
    }
    // PostgreSQL's error position counts from the start of the query we sent, BEGIN included.
    throw new MigrationError(
      ranMigration ? `${path}: recording it failed: ${(err as Error).message}` : describeSqlError(path, sql, err, begin.length),
    );
  }
}

const MARKER = "kinde_hasura.migration";

/**
 * Whether our transaction is still open: the marker reads back. In a transaction aborted by an error
 * the query itself fails, which also means the transaction is still ours.
 */
async function stillOurs(client: pg.Client, version: string): Promise<boolean> {
  try {
    const { rows } = await client.query<{ marker: string | null }>(`SELECT current_setting('${MARKER}', true) AS marker`);
    return rows[0]?.marker === version;
  } catch (err) {
    if ((err as { code?: string }).code === "25P02") return true;
    throw err;
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

/**
 * Brings Hasura's cli_state for `source` in step with the runner's bookkeeping: every applied version
 * listed (not dirty). A version the runner reverts is removed by that revert (in its transaction); a
 * listed version the runner does not know is kept, since it may be one the Hasura CLI applied that a
 * later `up` adopts. On a first deploy Hasura has not made its catalog yet; it is synced again once
 * Hasura runs (`migrate sync`). A catalog table without its row is reported, never skipped silently.
 */
export async function syncHasuraCliState(
  client: pg.Client,
  source: string,
  log: (line: string) => void,
): Promise<"synced" | "no-catalog" | "no-row"> {
  const { rows: exists } = await client.query<{ exists: boolean }>("SELECT to_regclass('hdb_catalog.hdb_version') IS NOT NULL AS exists");
  if (!exists[0]?.exists) return "no-catalog";
  const { rows } = await client.query<{ cli_state: Record<string, unknown> | null }>("SELECT cli_state FROM hdb_catalog.hdb_version LIMIT 1");
  if (rows.length === 0) {
    log(
      "WARNING: hdb_catalog.hdb_version has no row, so Hasura's cli_state cannot be kept in step; start Hasura against this database (it writes the row)",
    );
    return "no-row";
  }
  const state = (rows[0]?.cli_state ?? {}) as { migrations?: Record<string, Record<string, boolean>>; settings?: unknown };
  const current = state.migrations?.[source] ?? {};
  const applied = await readApplied(client);
  const versions: Record<string, boolean> = { ...current };
  for (const version of applied.keys()) versions[version] ??= false;
  if (JSON.stringify(sortedEntries(versions)) === JSON.stringify(sortedEntries(current))) return "synced";
  const next = {
    ...state,
    migrations: { ...(state.migrations ?? {}), [source]: versions },
    settings: state.settings ?? { migration_mode: "true" },
    isStateCopyCompleted: true,
  };
  await client.query("UPDATE hdb_catalog.hdb_version SET cli_state = $1::jsonb", [JSON.stringify(next)]);
  log(`Hasura's cli_state for ${source} now lists ${Object.keys(versions).length} migration(s)`);
  return "synced";
}

/** `migrate sync`: the catalog must exist by now (Hasura runs); returns its outcome for the CLI. */
export async function migrateSync(client: pg.Client, options: RunOptions): Promise<void> {
  const log = options.log ?? (() => {});
  await withLock(client, async () => {
    await ensureTrackingTable(client);
    const outcome = await syncHasuraCliState(client, options.source, log);
    if (outcome === "no-catalog")
      throw new MigrationError(
        "hdb_catalog.hdb_version does not exist: is Hasura running against this database? (migrate sync runs after Hasura is healthy)",
      );
    if (outcome === "no-row")
      throw new MigrationError("hdb_catalog.hdb_version has no row: Hasura writes it on start; is Hasura running against this database?");
    log(`Hasura's cli_state is in step with the applied migrations of ${options.source}.`);
  });
}

function sortedEntries(o: Record<string, boolean>): Array<[string, boolean]> {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

/** The Hasura source a migrations directory belongs to: `migrations/default` → `default`. */
export function sourceOf(dir: string): string {
  return basename(resolve(dir));
}

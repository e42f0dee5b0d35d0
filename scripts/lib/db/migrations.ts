// The migration runner for the Hasura CLI directory layout. No well-known runner reads that layout
// (node-pg-migrate, dbmate and postgres-migrations each want their own), and none keeps Hasura's
// `cli_state` in step, hence this file. The plan (migration-plan.ts) decides what to do before any
// change; this file carries it out.
//
// Guarantees: one migration = one transaction (a failure leaves no trace and stops the run); a
// session advisory lock so concurrent runners apply each migration once; refusal, before any change,
// when an applied migration was edited or a pending one is older than the newest applied.
import { readFileSync } from "node:fs";
import type pg from "pg";
import { readHasuraCliState, syncHasuraCliState, writeHasuraCliState } from "./hasura-cli-state.js";
import { type Migration, MigrationError } from "./migration-files.js";
import { type AppliedMigration, type PlanOptions, planDown, planUp, type StatusLine, statusOf } from "./migration-plan.js";

/** Where applied migrations are recorded: a schema of its own, invisible to Hasura's `public`. */
export const TRACKING_SCHEMA = "app_migrations";
export const TRACKING_TABLE = `${TRACKING_SCHEMA}.applied`;
/** Any fixed 64-bit key; every runner on this database takes the same one. */
const ADVISORY_LOCK_KEY = 7_482_119_201;

export interface RunOptions extends PlanOptions {
  /** The Hasura source name the directory belongs to (`migrations/<source>/`), for `cli_state`. */
  source: string;
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
    const plan = planUp(migrations, await readApplied(client), hasura?.versions, options);
    for (const m of plan.adopt) {
      await client.query(`INSERT INTO ${TRACKING_TABLE} (version, name, checksum, duration_ms) VALUES ($1, $2, $3, NULL)`, [
        m.version,
        m.name,
        m.checksum,
      ]);
      log(`adopted ${m.id} (already applied by the Hasura CLI)`);
    }
    // An accepted edit is recorded, so the next plain `up` (and every `pulumi up`) accepts it too.
    for (const { migration: m, why } of plan.recordChecksum) {
      await client.query(`UPDATE ${TRACKING_TABLE} SET checksum = $1 WHERE version = $2`, [m.checksum, m.version]);
      if (why === "changed") log(`accepted the edit of ${m.id} (its new checksum is recorded)`);
    }
    const adopted = plan.adopt.map((m) => m.id);
    if (plan.apply.length === 0) {
      await syncCliState(client, options.source, log);
      log(`Nothing to apply: ${plan.alreadyApplied} migration(s) already applied.`);
      return { applied: [], adopted };
    }
    const done: string[] = [];
    for (const [i, m] of plan.apply.entries()) {
      const started = performance.now();
      // Only the run's last commit waits for the WAL flush: it flushes every earlier commit with it,
      // so all are durable when the run reports success, without one disk sync per migration. An
      // OS crash mid-run can lose the newest unflushed migrations whole (never half of one); the
      // next run applies them again.
      await inTransaction(client, m.upPath, m.upSql, {
        version: m.version,
        durable: i === plan.apply.length - 1,
        ...(hasura ? { between: () => writeHasuraCliState(client, options.source, m.version, "applied") } : {}),
        record: () =>
          `INSERT INTO ${TRACKING_TABLE} (version, name, checksum, duration_ms) VALUES ` +
          `(${m.version}, ${literal(m.name)}, ${literal(m.checksum)}, ${Math.round(performance.now() - started)})`,
      });
      done.push(m.id);
      log(`applied ${m.id} (${Math.round(performance.now() - started)} ms)`);
    }
    await syncCliState(client, options.source, log);
    return { applied: done, adopted };
  });
}

/** Reverts the newest `steps` applied migrations with their down.sql, newest first. */
export async function migrateDown(client: pg.Client, migrations: Migration[], options: RunOptions & { steps: number }): Promise<string[]> {
  const log = options.log ?? (() => {});
  return withLock(client, async () => {
    await ensureTrackingTable(client);
    const hasura = await readHasuraCliState(client, options.source);
    const targets = planDown(migrations, await readApplied(client), options.steps);
    const reverted: string[] = [];
    for (const m of targets) {
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
    await syncCliState(client, options.source, log);
    return reverted;
  });
}

/** Applied, pending, changed (applied but edited since) and missing (applied, file gone) migrations. */
export async function migrationStatus(client: pg.Client, migrations: Migration[]): Promise<StatusLine[]> {
  // Under the lock: a status racing a first `up` would otherwise collide creating the tracking table.
  const applied = await withLock(client, async () => {
    await ensureTrackingTable(client);
    return readApplied(client);
  });
  return statusOf(migrations, applied);
}

/** `migrate sync`: the catalog must exist by now (Hasura runs); returns its outcome for the CLI. */
export async function migrateSync(client: pg.Client, options: RunOptions): Promise<void> {
  const log = options.log ?? (() => {});
  await withLock(client, async () => {
    await ensureTrackingTable(client);
    const outcome = await syncCliState(client, options.source, log);
    if (outcome === "no-catalog")
      throw new MigrationError(
        "hdb_catalog.hdb_version does not exist: is Hasura running against this database? (migrate sync runs after Hasura is healthy)",
      );
    if (outcome === "no-row")
      throw new MigrationError("hdb_catalog.hdb_version has no row: Hasura writes it on start; is Hasura running against this database?");
    log(`Hasura's cli_state is in step with the applied migrations of ${options.source}.`);
  });
}

/** Hasura's cli_state brought in step with the tracking table (hasura-cli-state.ts). */
export async function syncCliState(client: pg.Client, source: string, log: (line: string) => void): Promise<"synced" | "no-catalog" | "no-row"> {
  return syncHasuraCliState(client, source, (await readApplied(client)).keys(), log);
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

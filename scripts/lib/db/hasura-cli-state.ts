// Hasura CLI interop: config v3 keeps applied migrations in hdb_catalog.hdb_version.cli_state,
// {"migrations":{"<source>":{"<version>":<dirty>}},"settings":{"migration_mode":"true"},"isStateCopyCompleted":true}
// (hasura/graphql-engine cli/internal/statestore/migrations/catalogstate.go). The runner keeps it in
// step so `hasura migrate status` and the console agree with what is applied.
import type pg from "pg";

interface HasuraCliState {
  versions: Record<string, boolean>;
}

export async function readHasuraCliState(client: pg.Client, source: string): Promise<HasuraCliState | undefined> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('hdb_catalog.hdb_version') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return undefined;
  const state = await client.query<{ cli_state: { migrations?: Record<string, Record<string, boolean>> } | null }>(
    "SELECT cli_state FROM hdb_catalog.hdb_version LIMIT 1",
  );
  return { versions: state.rows[0]?.cli_state?.migrations?.[source] ?? {} };
}

/** Records an applied or reverted version in cli_state so `hasura migrate status` agrees. */
export async function writeHasuraCliState(client: pg.Client, source: string, version: string, change: "applied" | "reverted"): Promise<void> {
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
  appliedVersions: Iterable<string>,
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
  const versions: Record<string, boolean> = { ...current };
  for (const version of appliedVersions) versions[version] ??= false;
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

function sortedEntries(o: Record<string, boolean>): Array<[string, boolean]> {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

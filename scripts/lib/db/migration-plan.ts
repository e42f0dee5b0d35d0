// What a migration run will do, decided before it touches the database (as Supabase's
// FindPendingMigrations): which migrations to adopt from the Hasura CLI's bookkeeping, which recorded
// checksums to update, which to apply or revert, and what to refuse. Pure: no database, no files.
import { createHash } from "node:crypto";
import { type Migration, MigrationError } from "./migration-files.js";

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number | null;
}

export interface PlanOptions {
  /** Accept applied migrations whose up.sql changed since. */
  allowChanged?: boolean;
  /** Apply pending migrations older than the newest applied one. */
  allowOutOfOrder?: boolean;
}

export interface UpPlan {
  /** Applied by the Hasura CLI (e.g. from `hasura console`): recorded here, not run again. */
  adopt: Migration[];
  /** Applied migrations whose recorded checksum is updated: an older line-ending form, or an accepted edit. */
  recordChecksum: Array<{ migration: Migration; why: "older-form" | "changed" }>;
  /** Pending, oldest first. */
  apply: Migration[];
  /** How many are applied once the plan has run its adoptions. */
  alreadyApplied: number;
}

/**
 * Whether the recorded checksum is this migration's. Before line endings were normalised the raw
 * bytes were hashed: a migration applied from a CRLF checkout then carries that older checksum.
 */
export function recordedFor(a: AppliedMigration, m: Migration): "same" | "older-form" | "changed" {
  if (a.checksum === m.checksum) return "same";
  return a.checksum === createHash("sha256").update(m.upSql).digest("hex") ? "older-form" : "changed";
}

/**
 * The `up` plan. `hasuraVersions` is Hasura's cli_state for the source (version → dirty), when Hasura
 * has a catalog. Refuses, naming what to do: a version Hasura marks dirty, an applied migration edited
 * since (unless allowChanged), a pending one older than the newest applied (unless allowOutOfOrder).
 */
export function planUp(
  migrations: Migration[],
  applied: ReadonlyMap<string, AppliedMigration>,
  hasuraVersions: Record<string, boolean> | undefined,
  options: PlanOptions,
): UpPlan {
  const adopt: Migration[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    const dirty = hasuraVersions?.[m.version];
    if (dirty === true) {
      throw new MigrationError(
        `Hasura's cli_state marks ${m.id} dirty (a failed hasura migrate apply); repair it with the Hasura CLI before running migrations here`,
      );
    }
    if (dirty === false) adopt.push(m);
  }
  // Adopted migrations count as applied from here on, with the checksum they are recorded with.
  const after = new Map(applied);
  for (const m of adopt) after.set(m.version, { version: m.version, name: m.name, checksum: m.checksum, appliedAt: new Date(0), durationMs: null });

  const recordChecksum: UpPlan["recordChecksum"] = [];
  const changed: Migration[] = [];
  for (const m of migrations) {
    const a = after.get(m.version);
    const recorded = a ? recordedFor(a, m) : "same";
    if (recorded === "older-form") recordChecksum.push({ migration: m, why: "older-form" });
    if (recorded === "changed") {
      if (options.allowChanged) recordChecksum.push({ migration: m, why: "changed" });
      else changed.push(m);
    }
  }
  if (changed.length > 0) {
    throw new MigrationError(
      `Applied migration(s) changed since they were applied: ${changed.map((m) => m.upPath).join(", ")}. ` +
        "Restore the applied version and add a new migration for the change, or pass --allow-changed to accept the edit.",
    );
  }
  const apply = migrations.filter((m) => !after.has(m.version));
  const newest = [...after.keys()].sort().at(-1);
  const older = options.allowOutOfOrder || newest === undefined ? [] : apply.filter((m) => m.version < newest);
  if (older.length > 0) {
    throw new MigrationError(
      `Pending migration(s) older than the newest applied (${newest}): ${older.map((m) => m.id).join(", ")}. ` +
        "Give them a newer version (rename the directory), or pass --allow-out-of-order to apply them anyway.",
    );
  }
  return { adopt, recordChecksum, apply, alreadyApplied: after.size };
}

/** The `down` plan: the newest `steps` applied migrations, newest first, each in the directory with a down.sql. */
export function planDown(migrations: Migration[], applied: ReadonlyMap<string, AppliedMigration>, steps: number): Migration[] {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const newestFirst = [...applied.values()].sort((a, b) => b.version.localeCompare(a.version)).slice(0, steps);
  // Every target is checked before any is reverted, so a missing down.sql changes nothing.
  return newestFirst.map((a) => {
    const m = byVersion.get(a.version);
    if (!m) throw new MigrationError(`Applied migration ${a.version}_${a.name} is not in the migrations directory; cannot revert it`);
    if (!m.downPath) throw new MigrationError(`${m.id} has no down.sql; cannot revert it`);
    return m;
  });
}

export interface StatusLine {
  id: string;
  state: "applied" | "pending" | "changed" | "missing";
  appliedAt?: Date;
}

/** Applied, pending, changed (applied but edited since) and missing (applied, file gone) migrations, by id. */
export function statusOf(migrations: Migration[], applied: ReadonlyMap<string, AppliedMigration>): StatusLine[] {
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

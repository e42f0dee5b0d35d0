// The migrations directory in the Hasura CLI layout (`<13-digit ms version>_<name>/up.sql|down.sql`),
// read strictly: anything that looks wrong is an error, never skipped.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ExpectedFailure } from "../../../core/expected-failure.js";

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

export class MigrationError extends ExpectedFailure {}

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

/** The Hasura source a migrations directory belongs to: `migrations/default` → `default`. */
export function sourceOf(dir: string): string {
  return basename(resolve(dir));
}

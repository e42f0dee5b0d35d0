// Seed data in the Hasura CLI layout (`seeds/<database>/<13-digit version>_<name>.sql`, what
// `hasura seed apply` reads), applied after the migrations on non-production stacks. All files run in
// one transaction: a failing seed leaves nothing behind. Seeds are not recorded, so each must be
// idempotent (INSERT … ON CONFLICT DO NOTHING): they run again whenever a file under seeds/ changes.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { describeSqlError } from "./migrations.js";

export class SeedError extends ExpectedFailure {}

export interface Seed {
  id: string;
  path: string;
  sql: string;
}

const SEED_FILE = /^\d{13}_[A-Za-z0-9_-]+\.sql$/;

/** The seed files of `dir`, oldest first; anything else in it is an error, never skipped. */
export function readSeeds(dir: string): Seed[] {
  if (!existsSync(dir)) throw new SeedError(`Seeds directory ${dir} does not exist; pass --dir <path>`);
  if (!statSync(dir).isDirectory()) throw new SeedError(`${dir} is not a directory; pass --dir <the directory holding <version>_<name>.sql>`);
  return readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .map((name) => {
      const path = join(dir, name);
      if (!SEED_FILE.test(name) || !lstatSync(path).isFile()) {
        throw new SeedError(`${path} is not a seed file; seeds are <13-digit version>_<name>.sql files (Hasura CLI layout)`);
      }
      return { id: name.slice(0, -4), path, sql: readFileSync(path, "utf8") };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Runs every seed in one transaction; a failure rolls all back and names file, line and message. */
export async function applySeeds(client: pg.Client, seeds: Seed[], log: (line: string) => void = () => {}): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const seed of seeds) {
      try {
        await client.query(seed.sql);
      } catch (err) {
        throw new SeedError(describeSqlError(seed.path, seed.sql, err));
      }
      log(`seeded ${seed.id}`);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
}

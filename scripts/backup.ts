// npm run backup -- [--stack <name>] --out <file>        (without --stack: DATABASE_URL, the database)
// Writes a pg_dump custom-format dump of the database to <file> and the roles it needs, without
// passwords, to <file>.roles.sql. Uses pg_dump/pg_dumpall from PATH (PG_BIN_DIR picks a bin folder):
// they must not be older than the server. --stack reads the stack's port and superuser password
// through the Pulumi CLI.
import { parseArgs } from "node:util";
import { fromCaller, PROJECT_ROOT } from "../core/project-root.js";
import { UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { backupDatabase, pgTools } from "./lib/db/backup.js";
import { databaseTarget } from "./lib/db/database-target.js";
import { readDeployedStack, stackSuperuserUrl } from "./lib/stacks/stack-reader.js";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: "string" }, stack: { type: "string" } } });
  if (!values.out) throw new UsageError("--out <file> is required: where the dump goes (its roles file goes beside it)");
  const target = databaseTarget(values.stack, process.env, "the database to back up");
  const url =
    target.kind === "url" ? target.url : stackSuperuserUrl(readDeployedStack(runCommand, target.stack, process.env, PROJECT_ROOT, "DATABASE_URL"));
  const started = performance.now();
  const { dump, roles } = await backupDatabase(url, fromCaller(values.out), pgTools(process.env.PG_BIN_DIR));
  console.log(`Backed up to ${dump} and ${roles} in ${Math.round(performance.now() - started)} ms.`);
  return 0;
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run backup -- [--stack <name>] --out <file>   (without --stack: DATABASE_URL set)",
});

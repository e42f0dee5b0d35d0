// npm run restore -- --from <file> --yes   (DATABASE_URL: the database to restore into)
// Restores a backup made by npm run backup: its roles (existing ones and their passwords kept), then the
// dump in one transaction, replacing the objects it holds. Refused without --yes: it overwrites data.
// Stop Hasura first and apply the metadata and run the smoke test after (README, restore).
import { parseArgs } from "node:util";
import { BackupError, pgTools, restoreDatabase } from "./lib/backup.js";
import { runCli } from "./lib/cli.js";
import { requireEnv, UsageError } from "./lib/env.js";
import { fromCaller } from "./lib/project-root.js";
import { redactUrl } from "./lib/postgres-url.js";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { from: { type: "string" }, yes: { type: "boolean", default: false } } });
  if (!values.from) throw new UsageError("--from <file> is required: a dump written by npm run backup");
  const url = requireEnv("DATABASE_URL", "the database to restore into, e.g. postgres://postgres:<password>@127.0.0.1:15432/app");
  if (!values.yes) throw new UsageError(`Restoring replaces the data in ${redactUrl(url)}; pass --yes to go ahead`);
  const started = performance.now();
  await restoreDatabase(url, fromCaller(values.from), pgTools(process.env.PG_BIN_DIR));
  console.log(`Restored ${values.from} into ${redactUrl(url)} in ${Math.round(performance.now() - started)} ms.`);
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { expected: [BackupError], usage: "usage: npm run restore -- --from <file> --yes   (with DATABASE_URL set)" });

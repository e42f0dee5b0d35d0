// npm run migrate -- up [--allow-changed] [--allow-out-of-order] | down [--steps N] | status | sync   [--dir <path>]
// Applies the SQL migrations in --dir (default: the repository's migrations/default) to $DATABASE_URL.
import { parseArgs } from "node:util";
import { fromCaller, inProject } from "../core/project-root.js";
import { STEPS } from "../core/steps.js";
import { requireStepInputs, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { withDatabase } from "./lib/db/connect.js";
import { readMigrations, sourceOf } from "./lib/db/migration-files.js";
import { migrateDown, migrateSync, migrateUp, migrationStatus } from "./lib/db/migrations.js";

const USAGE = "usage: npm run migrate -- up [--allow-changed] [--allow-out-of-order] | down [--steps N] | status | sync  [--dir <path>]";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      steps: { type: "string", default: "1" },
      "allow-changed": { type: "boolean", default: false },
      "allow-out-of-order": { type: "boolean", default: false },
    },
  });
  const command = positionals[0];
  if ((command !== "up" && command !== "down" && command !== "status" && command !== "sync") || positionals.length > 1) {
    throw new UsageError(`expected one command, up, down, status or sync; got ${JSON.stringify(positionals.join(" "))}`);
  }
  const steps = Number(values.steps);
  if (!/^\d+$/.test(values.steps) || steps < 1) throw new UsageError(`--steps must be a whole number of 1 or more; got "${values.steps}"`);
  // Every command reads the database the migrations step is given (core/steps.ts).
  const url = requireStepInputs(STEPS.migrations).databaseUrl;

  // The default is the repository's own migrations wherever the command runs from.
  const dir = values.dir === undefined ? inProject("migrations", "default") : fromCaller(values.dir);
  const migrations = readMigrations(dir);
  const options = {
    source: sourceOf(dir),
    allowChanged: values["allow-changed"],
    allowOutOfOrder: values["allow-out-of-order"],
    log: (line: string) => console.log(line),
  };
  await withDatabase(url, async (client) => {
    if (command === "up") await migrateUp(client, migrations, options);
    else if (command === "down") await migrateDown(client, migrations, { ...options, steps });
    else if (command === "sync") await migrateSync(client, options);
    else {
      const lines = await migrationStatus(client, migrations);
      for (const l of lines) console.log(`${l.state.padEnd(8)} ${l.id}${l.appliedAt ? `  ${l.appliedAt.toISOString()}` : ""}`);
      const pending = lines.filter((l) => l.state === "pending").length;
      console.log(`${lines.length - pending} applied, ${pending} pending`);
    }
  });
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });

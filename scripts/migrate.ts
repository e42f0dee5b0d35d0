// npm run migrate -- up [--allow-changed] [--allow-out-of-order] | down [--steps N] | status   [--dir <path>]
// Applies the SQL migrations in --dir (default: the repository's migrations/default) to $DATABASE_URL.
import { parseArgs } from "node:util";
import pg from "pg";
import { migrateDown, migrateUp, MigrationError, migrationStatus, readMigrations, sourceOf } from "./lib/migrations.js";
import { redactUrl } from "./lib/postgres-url.js";
import { runCli } from "./lib/cli.js";
import { fromCaller, inProject } from "./lib/project-root.js";

const USAGE = "usage: npm run migrate -- up [--allow-changed] [--allow-out-of-order] | down [--steps N] | status  [--dir <path>]";

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
  if (command !== "up" && command !== "down" && command !== "status") {
    console.error(USAGE);
    return 2;
  }
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1) {
    console.error(`--steps must be a whole number of 1 or more; got "${values.steps}"`);
    return 2;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set; set it to the database to migrate, e.g. postgres://postgres:<password>@127.0.0.1:15432/app");
    return 2;
  }

  // The default is the repository's own migrations wherever the command runs from.
  const dir = values.dir === undefined ? inProject("migrations", "default") : fromCaller(values.dir);
  const migrations = readMigrations(dir);
  const options = {
    source: sourceOf(dir),
    allowChanged: values["allow-changed"],
    allowOutOfOrder: values["allow-out-of-order"],
    log: (line: string) => console.log(line),
  };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  try {
    await client.connect();
  } catch (err) {
    console.error(`Cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
    return 1;
  }
  try {
    if (command === "up") await migrateUp(client, migrations, options);
    else if (command === "down") await migrateDown(client, migrations, { ...options, steps });
    else {
      const lines = await migrationStatus(client, migrations);
      for (const l of lines) console.log(`${l.state.padEnd(8)} ${l.id}${l.appliedAt ? `  ${l.appliedAt.toISOString()}` : ""}`);
      const pending = lines.filter((l) => l.state === "pending").length;
      console.log(`${lines.length - pending} applied, ${pending} pending`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof MigrationError)) throw err;
    console.error(err.message);
    return 1;
  } finally {
    await client.end();
  }
}

await runCli(() => main(process.argv.slice(2)), [MigrationError]);

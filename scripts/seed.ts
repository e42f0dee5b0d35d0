// npm run seed -- apply [--dir <path>] [--stack <name>]
// Applies the seed data in --dir (default: the repository's seeds/default) to $DATABASE_URL, all in one
// transaction. Never on production: `pulumi up` runs no seed step there, and --stack naming a
// production stack is refused.
import { parseArgs } from "node:util";
import { fromCaller, inProject, PROJECT_ROOT } from "../core/project-root.js";
import { STEPS } from "../core/steps.js";
import { requireStepInputs, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { withDatabase } from "./lib/db/connect.js";
import { applySeeds, readSeeds, SeedError } from "./lib/db/seeds.js";
import { isProductionStack } from "./lib/stacks/stack-file.js";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { dir: { type: "string" }, stack: { type: "string" } } });
  if (positionals.length !== 1 || positionals[0] !== "apply")
    throw new UsageError(`expected one command, apply; got ${JSON.stringify(positionals.join(" "))}`);
  if (values.stack !== undefined && isProductionStack(PROJECT_ROOT, values.stack)) {
    throw new SeedError(`Stack ${values.stack} is a production stack: seed data never goes to production`);
  }
  const seeds = readSeeds(values.dir === undefined ? inProject("seeds", "default") : fromCaller(values.dir));
  await withDatabase(requireStepInputs(STEPS.seeds).databaseUrl, (client) => applySeeds(client, seeds, (line) => console.log(line)));
  console.log(`Applied ${seeds.length} seed file(s).`);
  return 0;
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run seed -- apply [--dir <path>] [--stack <name>]",
});

// npm run permissions [-- --dir metadata]
// Proves on the database at $DATABASE_URL (migrated) that every role's permissions in metadata/ keep to
// the rules of metadata/access.yaml, for every tracked table: seeds rows in a transaction, evaluates the
// select/insert/update/delete rules, aggregates and relationships for several sessions, prints who
// reaches which row, rolls everything back. Exit 1 on a violation, or a table or permission without a rule.
import { parseArgs } from "node:util";
import { fromCaller, inProject } from "../core/project-root.js";
import { requireEnv } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { withDatabase } from "./lib/db/connect.js";
import { loadAccessPolicy } from "./lib/hasura/access-policy.js";
import { loadMetadata } from "./lib/hasura/metadata.js";
import { formatProof, provePermissions } from "./lib/hasura/permission-proof.js";

async function main(argv: string[]): Promise<number> {
  // No positionals: parseArgs refuses them (exit 2), e.g. `npm run permissions extra`.
  const { values } = parseArgs({ args: argv, options: { dir: { type: "string" } } });
  const dir = values.dir === undefined ? inProject("metadata") : fromCaller(values.dir);
  const metadata = loadMetadata(dir);
  const policy = loadAccessPolicy(dir);
  const url = requireEnv("DATABASE_URL", "the migrated database, e.g. postgres://postgres:<password>@127.0.0.1:15432/app");
  const result = await withDatabase(url, (client) => provePermissions(client, metadata, policy));
  (result.violations.length === 0 ? console.log : console.error)(formatProof(result).join("\n"));
  return result.violations.length === 0 ? 0 : 1;
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run permissions [-- --dir <metadata dir>]",
});

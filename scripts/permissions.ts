// npm run permissions [-- --dir metadata]
// Proves on the database at $DATABASE_URL (migrated) that each role in metadata/ reaches exactly its
// own row of public.users: seeds rows in a transaction, evaluates the select/update/insert rules for
// several sessions, prints who can read and update which row, rolls everything back. Exit 1 on a violation.
import { parseArgs } from "node:util";
import { fromCaller, inProject } from "../core/project-root.js";
import { requireEnv } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { DatabaseConnectError, withDatabase } from "./lib/db/connect.js";
import { BoolExpError } from "./lib/hasura/bool-exp.js";
import { loadMetadata, MetadataError } from "./lib/hasura/metadata.js";
import { formatProof, ProofError, provePermissions } from "./lib/hasura/permission-proof.js";

async function main(argv: string[]): Promise<number> {
  // No positionals: parseArgs refuses them (exit 2), e.g. `npm run permissions extra`.
  const { values } = parseArgs({ args: argv, options: { dir: { type: "string" } } });
  const metadata = loadMetadata(values.dir === undefined ? inProject("metadata") : fromCaller(values.dir));
  const url = requireEnv("DATABASE_URL", "the migrated database, e.g. postgres://postgres:<password>@127.0.0.1:15432/app");
  const result = await withDatabase(url, (client) => provePermissions(client, metadata));
  (result.violations.length === 0 ? console.log : console.error)(formatProof(result).join("\n"));
  return result.violations.length === 0 ? 0 : 1;
}

await runCli(() => main(process.argv.slice(2)), {
  expected: [MetadataError, BoolExpError, DatabaseConnectError, ProofError],
  usage: "usage: npm run permissions [-- --dir <metadata dir>]",
});

// npm run metadata -- build | apply | diff | check   [--dir metadata]
//   build  print the replace_metadata request body built from the files (no server needed)
//   apply  send it to $HASURA_GRAPHQL_ENDPOINT with $HASURA_GRAPHQL_ADMIN_SECRET, reload, fail on inconsistency;
//          refused first when a tracked table or a role permission has no rule in metadata/access.yaml
//   diff   show how the live server's metadata differs from the files
//   check  validate the files against the database at $DATABASE_URL (after migrations)
// apply and diff take HASURA_SOURCE_MAX_CONNECTIONS (the Kubernetes target's hasuraPoolSize) to cap the
// default source's pool as the stack's metadata Job does.
import { parseArgs } from "node:util";
import { fromCaller, inProject } from "../core/project-root.js";
import { STEPS } from "../core/steps.js";
import { requireEnv, requireStepInputs, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { withDatabase } from "./lib/db/connect.js";
import { type AccessPolicy, AccessPolicyError, loadAccessPolicy, policyProblems } from "./lib/hasura/access-policy.js";
import { applyMetadata, exportMetadata } from "./lib/hasura/client.js";
import { loadMetadata, type Metadata, replaceMetadataBody, withDefaultSourcePool } from "./lib/hasura/metadata.js";
import { checkMetadata } from "./lib/hasura/metadata-check.js";
import { diffMetadata } from "./lib/hasura/metadata-diff.js";

const USAGE = "usage: npm run metadata -- build | apply | diff | check  [--dir metadata]";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { dir: { type: "string" } } });
  // The default is the repository's own metadata/ wherever the command runs from.
  const dir = values.dir === undefined ? inProject("metadata") : fromCaller(values.dir);
  const command = positionals[0];
  // apply is the metadata step (core/steps.ts); diff reads the same server.
  const hasura = () => requireStepInputs(STEPS.metadata);
  switch (command) {
    case "build":
      console.log(JSON.stringify(replaceMetadataBody(loadMetadata(dir)), null, 2));
      return 0;
    case "apply": {
      const target = hasura();
      const metadata = loadMetadata(dir);
      requireCompletePolicy(metadata, loadAccessPolicy(dir));
      const body = replaceMetadataBody(withPool(metadata, target.sourcePool));
      await applyMetadata(target, body);
      console.log(`Applied metadata from ${dir}/ to ${target.endpoint}; Hasura reports it consistent.`);
      return 0;
    }
    case "diff": {
      // With the pool the Kubernetes target applies (HASURA_SOURCE_MAX_CONNECTIONS), so it is no difference.
      const target = hasura();
      const files = withPool(loadMetadata(dir), target.sourcePool);
      const lines = diffMetadata(await exportMetadata(target), files);
      console.log(lines.length === 0 ? "No differences: the server's metadata matches the files." : lines.join("\n"));
      return 0;
    }
    case "check": {
      const metadata = loadMetadata(dir);
      const url = requireEnv("DATABASE_URL", "the migrated database, e.g. postgres://postgres:<password>@127.0.0.1:15432/app");
      const problems = await withDatabase(url, (client) => checkMetadata(metadata, client));
      if (problems.length === 0) {
        console.log(`${dir}/ is consistent with the database.`);
        return 0;
      }
      console.error(`${dir}/ has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
      return 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });

/** HASURA_SOURCE_MAX_CONNECTIONS, when the step is given one: the default source's pool per replica. */
function withPool(metadata: Metadata, raw: string | undefined): Metadata {
  if (raw === undefined) return metadata;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 500) {
    throw new UsageError(`${STEPS.metadata.env.sourcePool.name} must be a whole number from 1 to 500; got ${JSON.stringify(raw)}`);
  }
  return withDefaultSourcePool(metadata, Number(raw));
}

/** Refuses, before anything is sent, metadata whose tables or role permissions the access policy leaves without a rule. */
function requireCompletePolicy(metadata: Metadata, policy: AccessPolicy): void {
  const problems = policyProblems(metadata, policy);
  if (problems.length > 0) {
    throw new AccessPolicyError(
      `Not applied: the access policy does not cover the metadata (docs/access-policy.md):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}

// npm run restore -- --from <file> --yes                       (DATABASE_URL: the database to restore into)
// npm run restore -- --stack <name> --from <file> --yes [--production]
// Restores a backup made by npm run backup (or the backup container): its roles (existing ones and
// their passwords kept), then in one transaction the database cleared and the dump applied, so it holds
// what the backup held and nothing a later migration added (scripts/lib/db/backup.ts). Refused
// without --yes: it overwrites data. With --stack it also stops Hasura for the restore, starts it
// after, applies the metadata and runs the smoke (scripts/lib/stacks/stack-restore.ts); a production stack
// needs --production as well. With DATABASE_URL those steps are yours (docs/operations.md, Backups).
import { parseArgs } from "node:util";
import { dockerNamePrefix } from "../core/naming.js";
import { redactUrl } from "../core/postgres-url.js";
import { fromCaller, PROJECT_ROOT } from "../core/project-root.js";
import { STEPS, stepEnvironment } from "../core/steps.js";
import { UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { checkBackupFiles, type PgTools, pgTools, preflightRestore, restoreDatabase } from "./lib/db/backup.js";
import { databaseTarget } from "./lib/db/database-target.js";
import { waitForHealthy } from "./lib/smoke/smoke.js";
import { PROJECT } from "./lib/stacks/stack-file.js";
import { readDeployedStack, StackReadError, stackSuperuserUrl } from "./lib/stacks/stack-reader.js";
import { restoreIntoStack, withoutSmokeOverrides } from "./lib/stacks/stack-restore.js";

const USAGE = "usage: npm run restore -- [--stack <name> [--production]] --from <file> --yes   (without --stack: DATABASE_URL set)";

interface RestoreRequest {
  /** The dump as given (for messages) and resolved against the caller's directory. */
  shownFrom: string;
  from: string;
  yes: boolean;
  production: boolean;
  tools: PgTools;
  started: number;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: "string" },
      yes: { type: "boolean", default: false },
      stack: { type: "string" },
      production: { type: "boolean", default: false },
    },
  });
  if (!values.from) throw new UsageError("--from <file> is required: a dump written by npm run backup");
  const from = fromCaller(values.from);
  const target = databaseTarget(values.stack, process.env, "the database to restore into");
  if (values.production && target.kind === "url")
    throw new UsageError("--production applies only with --stack <name> (a production stack); leave it out with DATABASE_URL");
  // Files first: nothing is stopped or changed for a backup that is not there.
  checkBackupFiles(from);
  const request = {
    shownFrom: values.from,
    from,
    yes: values.yes,
    production: values.production,
    tools: pgTools(process.env.PG_BIN_DIR),
    started: performance.now(),
  };
  return target.kind === "url" ? restoreIntoUrl(target.url, request) : restoreIntoNamedStack(target.stack, request);
}

/** DATABASE_URL: the database only; stopping Hasura, the metadata and the smoke are the caller's. */
async function restoreIntoUrl(url: string, r: RestoreRequest): Promise<number> {
  if (!r.yes) throw new UsageError(`Restoring replaces the data in ${redactUrl(url)}; pass --yes to go ahead`);
  // The dump readable and the database answering, before the roles step changes anything.
  await preflightRestore(url, r.from, r.tools);
  await restoreDatabase(url, r.from, r.tools);
  console.log(`Restored ${r.shownFrom} into ${redactUrl(url)} in ${Math.round(performance.now() - r.started)} ms.`);
  return 0;
}

/** --stack: Hasura stopped meanwhile, started again after, then the metadata applied and the smoke run. */
async function restoreIntoNamedStack(stackName: string, r: RestoreRequest): Promise<number> {
  const stack = readDeployedStack(runCommand, stackName, process.env, PROJECT_ROOT, "DATABASE_URL");
  if (stack.settings.production && !r.production) {
    throw new UsageError(`Stack ${stackName} is a production stack: restoring replaces its live data. Pass --production as well to go ahead`);
  }
  if (!r.yes) throw new UsageError(`Restoring replaces the data of stack ${stackName} (Hasura stops meanwhile); pass --yes to go ahead`);
  const url = stackSuperuserUrl(stack);
  const hasuraUrl = typeof stack.outputs.hasuraUrl === "string" ? stack.outputs.hasuraUrl : "";
  if (hasuraUrl === "") throw new StackReadError(`Stack ${stackName} has no hasuraUrl output; run \`pulumi up --stack ${stackName}\` first`);
  const adminSecret = stack.credentials.hasuraAdminSecret;
  if (!adminSecret)
    throw new StackReadError(`Stack ${stackName} has no admin secret in its config or outputs; run \`pulumi up --stack ${stackName}\` first`);
  // Everything that can fail without changing anything fails here, before Hasura stops.
  await preflightRestore(url, r.from, r.tools);
  const container = `${dockerNamePrefix(PROJECT, stackName)}-hasura`;
  await withHasuraRestartedOnInterrupt(container, () =>
    restoreIntoStack(stackRestoreSteps({ stackName, container, url, hasuraUrl, adminSecret, request: r }), (line) => console.log(line)),
  );
  console.log(
    `Restored ${r.shownFrom} into stack ${stackName} in ${Math.round(performance.now() - r.started)} ms; metadata applied and the smoke passed.`,
  );
  return 0;
}

/** The steps of a stack restore (scripts/lib/stacks/stack-restore.ts runs them in order). */
function stackRestoreSteps(o: {
  stackName: string;
  container: string;
  url: string;
  hasuraUrl: string;
  adminSecret: string;
  request: RestoreRequest;
}) {
  const docker = async (verb: "stop" | "start") => {
    const result = runCommand("docker", [verb, o.container]);
    if (result.code !== 0) throw new Error(`docker ${verb} ${o.container}: ${result.stderr.trim() || `exit code ${result.code}`}`);
  };
  const npm = async (args: string[], env: NodeJS.ProcessEnv) => {
    // Secrets travel in the environment, never in argv; the child's output goes straight to the terminal.
    // From the project, whatever directory the caller is in: another project's scripts must not run.
    const result = runCommand("npm", ["run", "-s", ...args], { env, interactive: true, cwd: PROJECT_ROOT });
    if (result.code !== 0) throw new Error(`npm run ${args.join(" ")} exited with code ${result.code} (its output is above)`);
  };
  return {
    stopHasura: () => docker("stop"),
    restore: () => restoreDatabase(o.url, o.request.from, o.request.tools),
    startHasura: () => docker("start"),
    waitHealthy: () => waitForHealthy(o.hasuraUrl, 120_000, () => {}),
    applyMetadata: () =>
      npm(["metadata", "--", "apply"], { ...process.env, ...stepEnvironment(STEPS.metadata, { endpoint: o.hasuraUrl, adminSecret: o.adminSecret }) }),
    // The smoke reads this stack through --stack; endpoint or keys in the caller's environment
    // would win over it there and point the proof at another server.
    smoke: () => npm(["smoke", "--", "--stack", o.stackName], withoutSmokeOverrides(process.env)),
  };
}

/**
 * Ctrl-C while Hasura is stopped: start it again before leaving. The restore's transaction rolls back:
 * psql's input ends without the COMMIT, which is sent only after pg_restore finished (scripts/lib/db/backup.ts).
 */
async function withHasuraRestartedOnInterrupt(container: string, work: () => Promise<void>): Promise<void> {
  const onInterrupt = () => {
    console.error(`Interrupted: starting ${container} again.`);
    const restarted = runCommand("docker", ["start", container]);
    if (restarted.code !== 0) console.error(`docker start ${container} failed: ${restarted.stderr.trim()}; start it by hand.`);
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);
  try {
    await work();
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    process.removeListener("SIGTERM", onInterrupt);
  }
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });

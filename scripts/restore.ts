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
import { checkBackupFiles, pgTools, preflightRestore, restoreDatabase } from "./lib/db/backup.js";
import { databaseTarget } from "./lib/db/database-target.js";
import { waitForHealthy } from "./lib/smoke/smoke.js";
import { PROJECT } from "./lib/stacks/stack-file.js";
import { readDeployedStack, StackReadError, stackSuperuserUrl } from "./lib/stacks/stack-reader.js";
import { restoreIntoStack, withoutSmokeOverrides } from "./lib/stacks/stack-restore.js";

const USAGE = "usage: npm run restore -- [--stack <name> [--production]] --from <file> --yes   (without --stack: DATABASE_URL set)";

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
  const tools = pgTools(process.env.PG_BIN_DIR);
  const started = performance.now();

  if (target.kind === "url") {
    if (!values.yes) throw new UsageError(`Restoring replaces the data in ${redactUrl(target.url)}; pass --yes to go ahead`);
    // The dump readable and the database answering, before the roles step changes anything.
    await preflightRestore(target.url, from, tools);
    await restoreDatabase(target.url, from, tools);
    console.log(`Restored ${values.from} into ${redactUrl(target.url)} in ${Math.round(performance.now() - started)} ms.`);
    return 0;
  }

  const stack = readDeployedStack(runCommand, target.stack, process.env, PROJECT_ROOT, "DATABASE_URL");
  if (stack.settings.production && !values.production) {
    throw new UsageError(`Stack ${target.stack} is a production stack: restoring replaces its live data. Pass --production as well to go ahead`);
  }
  if (!values.yes) throw new UsageError(`Restoring replaces the data of stack ${target.stack} (Hasura stops meanwhile); pass --yes to go ahead`);
  const url = stackSuperuserUrl(stack);
  const hasuraUrl = typeof stack.outputs.hasuraUrl === "string" ? stack.outputs.hasuraUrl : "";
  if (hasuraUrl === "") throw new StackReadError(`Stack ${target.stack} has no hasuraUrl output; run \`pulumi up --stack ${target.stack}\` first`);
  const adminSecret = stack.credentials.hasuraAdminSecret;
  if (!adminSecret)
    throw new StackReadError(`Stack ${target.stack} has no admin secret in its config or outputs; run \`pulumi up --stack ${target.stack}\` first`);
  // Everything that can fail without changing anything fails here, before Hasura stops.
  await preflightRestore(url, from, tools);
  const container = `${dockerNamePrefix(PROJECT, target.stack)}-hasura`;
  const docker = async (verb: "stop" | "start") => {
    const result = runCommand("docker", [verb, container]);
    if (result.code !== 0) throw new Error(`docker ${verb} ${container}: ${result.stderr.trim() || `exit code ${result.code}`}`);
  };
  const npm = async (args: string[], env: NodeJS.ProcessEnv) => {
    // Secrets travel in the environment, never in argv; the child's output goes straight to the terminal.
    // From the project, whatever directory the caller is in: another project's scripts must not run.
    const result = runCommand("npm", ["run", "-s", ...args], { env, interactive: true, cwd: PROJECT_ROOT });
    if (result.code !== 0) throw new Error(`npm run ${args.join(" ")} exited with code ${result.code} (its output is above)`);
  };
  const steps = {
    stopHasura: () => docker("stop"),
    restore: () => restoreDatabase(url, from, tools),
    startHasura: () => docker("start"),
    waitHealthy: () => waitForHealthy(hasuraUrl, 120_000, () => {}),
    applyMetadata: () =>
      npm(["metadata", "--", "apply"], { ...process.env, ...stepEnvironment(STEPS.metadata, { endpoint: hasuraUrl, adminSecret }) }),
    // The smoke reads this stack through --stack; endpoint or keys in the caller's environment
    // would win over it there and point the proof at another server.
    smoke: () => npm(["smoke", "--", "--stack", target.stack], withoutSmokeOverrides(process.env)),
  };
  // Ctrl-C while Hasura is stopped: start it again before leaving (pg_restore gets the same signal and
  // its one transaction rolls back).
  const onInterrupt = () => {
    console.error(`Interrupted: starting ${container} again.`);
    const restarted = runCommand("docker", ["start", container]);
    if (restarted.code !== 0) console.error(`docker start ${container} failed: ${restarted.stderr.trim()}; start it by hand.`);
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);
  try {
    await restoreIntoStack(steps, (line) => console.log(line));
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    process.removeListener("SIGTERM", onInterrupt);
  }
  console.log(
    `Restored ${values.from} into stack ${target.stack} in ${Math.round(performance.now() - started)} ms; metadata applied and the smoke passed.`,
  );
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });

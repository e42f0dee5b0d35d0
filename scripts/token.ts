// npm run token -- --sub <user id> [--stack <name>] [--ttl 1h]
// Prints a dev access token that the stack's Hasura accepts, for local frontends and curl. Only for
// local signing mode stacks: a Kinde-mode stack trusts Kinde alone, and production stacks are refused.
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../core/project-root.js";
import { UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { devToken, resolveStack } from "./lib/smoke/target.js";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { sub: { type: "string" }, stack: { type: "string" }, ttl: { type: "string", default: "1h" } },
  });
  if (values.sub === undefined) throw new UsageError("--sub is required: the user id the token speaks for");
  const resolved = resolveStack({ stack: values.stack, env: process.env, run: runCommand, repoRoot: PROJECT_ROOT });
  console.log(await devToken(resolved, values.sub, values.ttl));
  return 0;
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run token -- --sub <user id> [--stack <name>] [--ttl 1h]",
});

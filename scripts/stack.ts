// npm run up [-- <pulumi up flags>] | npm run down [-- <pulumi destroy flags>]
// Brings the dev stack up on the local Docker daemon, or tears it down. STACK=<name> picks another stack.

import { PROJECT_ROOT } from "../core/project-root.js";
import { requireStackName, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { devStackDown, devStackUp } from "./lib/stacks/dev-stack.js";

async function main([action, ...passThrough]: string[]): Promise<number> {
  const stack = requireStackName(process.env.STACK ?? "dev", "STACK");
  const options = { run: runCommand, env: process.env, repoRoot: PROJECT_ROOT, stack, passThrough, log: (line: string) => console.log(line) };
  if (action === "up") return devStackUp(options);
  if (action === "down") return devStackDown(options);
  throw new UsageError(`expected up or down; got ${JSON.stringify(action ?? "")}`);
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run up [-- <pulumi up flags>] | npm run down [-- <pulumi destroy flags>]",
});

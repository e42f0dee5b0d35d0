// npm run up [-- <pulumi up flags>] | npm run down [-- <pulumi destroy flags>]
// Brings the dev stack up on the local Docker daemon, or tears it down. STACK=<name> picks another stack.
import { devStackDown, devStackUp, StackCommandError } from "./lib/dev-stack.js";
import { PROJECT_ROOT } from "./lib/project-root.js";
import { runCommand } from "./lib/shell.js";

const [action, ...passThrough] = process.argv.slice(2);
const options = {
  run: runCommand,
  env: process.env,
  repoRoot: PROJECT_ROOT,
  stack: process.env.STACK ?? "dev",
  passThrough,
  log: (line: string) => console.log(line),
};

try {
  if (action === "up") process.exitCode = devStackUp(options);
  else if (action === "down") process.exitCode = devStackDown(options);
  else {
    console.error("usage: tsx scripts/stack.ts up|down [pulumi flags]");
    process.exitCode = 2;
  }
} catch (err) {
  if (!(err instanceof StackCommandError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}

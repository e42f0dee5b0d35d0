// npm run preview-stack -- up --name pr-42 | down --name pr-42 | list | prune [--older-than 3d]
import { parseArgs } from "node:util";
import { StackCommandError } from "./lib/dev-stack.js";
import { PROJECT_ROOT } from "./lib/project-root.js";
import { previewDown, previewList, previewPrune, previewUp } from "./lib/preview-stacks.js";
import { runCommand } from "./lib/shell.js";

const USAGE = "usage: npm run preview-stack -- up --name pr-<N> | down --name pr-<N> | list | prune [--older-than 3d]";
const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { name: { type: "string" }, "older-than": { type: "string" } },
});
const options = { run: runCommand, env: process.env, repoRoot: PROJECT_ROOT, log: (l: string) => console.log(l) };

try {
  switch (positionals[0]) {
    case "up":
      process.exitCode = previewUp(options, values.name);
      break;
    case "down":
      process.exitCode = previewDown(options, values.name);
      break;
    case "list":
      previewList(options);
      break;
    case "prune":
      process.exitCode = previewPrune(options, values["older-than"]);
      break;
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
} catch (err) {
  if (!(err instanceof StackCommandError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}

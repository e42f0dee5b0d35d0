// npm run preview-stack -- up --name pr-42 | down --name pr-42 | list | prune [--older-than 3d]
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../core/project-root.js";
import { UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { previewDown, previewList, previewPrune, previewUp } from "./lib/stacks/preview-stacks.js";

const USAGE = "usage: npm run preview-stack -- up --name pr-<N> | down --name pr-<N> | list | prune [--older-than 3d]";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: "string" }, "older-than": { type: "string" } },
  });
  const options = { run: runCommand, env: process.env, repoRoot: PROJECT_ROOT, log: (l: string) => console.log(l) };
  if (positionals.length !== 1) throw new UsageError(`expected one command; got ${JSON.stringify(positionals.join(" "))}`);
  switch (positionals[0]) {
    case "up":
      return previewUp(options, values.name);
    case "down":
      return previewDown(options, values.name);
    case "list":
      previewList(options);
      return 0;
    case "prune":
      return previewPrune(options, values["older-than"]);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(positionals[0])}`);
  }
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });

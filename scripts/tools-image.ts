// npm run tools-image -- --registry <registry/path> [--tag <tag>] [--platform linux/amd64]
// Builds the tools image the Kubernetes target's Jobs run (tools.Dockerfile), pushes it, and prints its
// reference by digest for `pulumi config set toolsImage`. Needs Docker and push rights to the registry.
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../core/project-root.js";
import { UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { buildToolsImage } from "./lib/kubernetes/tools-image.js";

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { registry: { type: "string" }, tag: { type: "string" }, platform: { type: "string" } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${JSON.stringify(positionals.join(" "))}`);
  if (!values.registry) throw new UsageError("--registry is required, e.g. --registry registry.example.com/acme");
  const reference = buildToolsImage({
    run: runCommand,
    repoRoot: PROJECT_ROOT,
    registry: values.registry,
    tag: values.tag,
    platform: values.platform,
    log: (l) => console.error(l),
  });
  console.log(reference);
  return 0;
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run tools-image -- --registry <registry/path> [--tag <tag>] [--platform linux/amd64]",
});

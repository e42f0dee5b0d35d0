// Loads the program through Pulumi's own language-host entry (`cmd/run/run.js`): the same ts-node
// registration (automatic ESM mode, the project's typescript and tsconfig, type-checking on), the same
// entry point and working directory the engine passes (LOAD_TEST_PWD and LOAD_TEST_MAIN, from
// dev/rehearsal/engine-pwd.ts, a port of pulumi/pulumi pkg/engine/project.go getPwdMain), the same stack
// wrapper. Pulumi's mocks stand in for the engine. Prints one JSON line: the resources registered and
// the stack outputs, or the error. Run as a child process: the loader hooks it installs are process-wide.
"use strict";
const path = require("node:path");
const root = process.env.LOAD_TEST_ROOT;
const pwd = process.env.LOAD_TEST_PWD;
const programArg = process.env.LOAD_TEST_MAIN;
if (!root || !pwd || !programArg) throw new Error("LOAD_TEST_ROOT, LOAD_TEST_PWD and LOAD_TEST_MAIN are required");
const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [root] }));
const pulumi = require(sdk);
// run.js requires its sibling index.js, the CLI entry, which parses argv and dials the engine as soon
// as it loads; run.js only reads one exit-code constant from it. Seed the module cache with that
// constant so run.js (the part that registers ts-node and imports the program) loads on its own.
const indexPath = require.resolve(path.join(sdk, "cmd/run/index.js"));
const Module = require("node:module");
const stub = new Module(indexPath);
stub.filename = indexPath;
stub.loaded = true;
stub.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
require.cache[indexPath] = stub;
const { run } = require(path.join(sdk, "cmd/run/run.js"));

const config = JSON.parse(process.env.LOAD_TEST_CONFIG ?? "{}");
const secretKeys = JSON.parse(process.env.LOAD_TEST_SECRET_KEYS ?? "[]");
const stack = process.env.LOAD_TEST_STACK ?? "dev";

async function main() {
  pulumi.runtime.setAllConfig(config, secretKeys);
  const resources = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        resources.push(`${a.type} ${a.name}`);
        const state = { ...a.inputs };
        if (a.type === "docker:index/remoteImage:RemoteImage") state.imageId = "sha256:test";
        // The provider computes a generated password's value; a mock that left it out would make an output undefined.
        if (a.type === "random:index/randomPassword:RandomPassword") state.result = `generated-${a.name}`;
        return { id: `${a.name}-id`, state };
      },
      call: (a) => a.inputs,
    },
    "kinde-hasura",
    stack,
    false,
  );
  process.env.PULUMI_NODEJS_TYPESCRIPT = "true";
  const outputs = await run(
    { _: [programArg], pwd },
    () => {},
    () => {},
    () => false,
  );
  const plain = {};
  // JSON drops undefined values: name them, since each is a warning on every `pulumi up`.
  const undefinedOutputs = [];
  for (const [k, v] of Object.entries(outputs ?? {})) {
    plain[k] = pulumi.Output.isInstance(v) ? await new Promise((resolve) => v.apply(resolve)) : v;
    if (plain[k] === undefined) undefinedOutputs.push(k);
  }
  process.stdout.write(`${JSON.stringify({ resources, outputs: plain, undefinedOutputs })}\n`);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: String(err?.message ? err.message : err) })}\n`);
  process.exitCode = 1;
});

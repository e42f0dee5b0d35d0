// npm run smoke [-- --stack <name>] [--endpoint <url>] [--timeout <seconds>]
// After `pulumi up`: proves against the running stack who can read and write what. Endpoint, admin
// secret and signing key come from HASURA_GRAPHQL_ENDPOINT, HASURA_GRAPHQL_ADMIN_SECRET,
// DEV_SIGNING_KEY (and SMOKE_JWT_POLICY), else from the stack through the Pulumi CLI. In Kinde mode the
// allowed checks use a real Kinde token: SMOKE_TOKEN, else one fetched for the smoke M2M application
// (KINDE_MANAGEMENT_DOMAIN, SMOKE_KINDE_CLIENT_ID, SMOKE_KINDE_CLIENT_SECRET, or the stack's kindeSmokeClient*).
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../core/project-root.js";
import { readStepInputs, STEPS } from "../core/steps.js";
import { UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { runCommand } from "./lib/cli/shell.js";
import { checkJwks, describeRefresh } from "./lib/kinde/jwks.js";
import { runSmoke, summarize } from "./lib/smoke/smoke.js";
import { realKindeToken, resolveStack, smokeTargetOf } from "./lib/smoke/target.js";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string" }, endpoint: { type: "string" }, timeout: { type: "string", default: "60" } },
  });
  const timeoutSeconds = Number(values.timeout);
  if (!/^\d+$/.test(values.timeout) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
    throw new UsageError(`--timeout must be a whole number of seconds from 1 to 3600; got ${JSON.stringify(values.timeout)}`);
  }
  const resolved = resolveStack({
    stack: values.stack,
    endpoint: values.endpoint,
    env: process.env,
    run: runCommand,
    repoRoot: PROJECT_ROOT,
  });
  console.log(`Smoke test of ${resolved.endpoint} (settings from ${resolved.source}, ${resolved.policy.mode} mode)`);
  const log = (line: string) => console.log(line);
  // Kinde mode: whether Hasura will pick up Kinde's key rotations by itself (docs/kinde.md, Kinde's keys).
  if (resolved.policy.mode === "kinde" && resolved.policy.jwksUrl) {
    await checkJwks(resolved.policy.jwksUrl).then(
      (facts) => log(describeRefresh(facts)),
      (err: Error) => log(`WARNING: ${err.message}`),
    );
  }
  const target = await smokeTargetOf(resolved, {
    realToken: await realKindeToken(resolved, readStepInputs(STEPS.smoke, process.env).inputs.token, log),
    healthTimeoutMs: timeoutSeconds * 1000,
    log,
  });
  const { ok, lines } = summarize(await runSmoke(target));
  (ok ? console.log : console.error)(lines.join("\n"));
  return ok ? 0 : 1;
}

await runCli(() => main(process.argv.slice(2)), {
  usage: "usage: npm run smoke [-- --stack <name>] [--endpoint <url>] [--timeout <seconds>]",
});

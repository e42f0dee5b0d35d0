// npm run web -- [--stack dev] [--port 3000] [--sign-in-port 3001] [--token-lifetime 300]
// Serves the example app (examples/web/app) on 127.0.0.1 for a deployed stack, reading the stack's outputs
// and settings through the Pulumi CLI. On a local-signing-mode stack it also runs the local sign-in (no
// Kinde account needed); on a Kinde stack the app signs in with Kinde (kindeAppClientId, webAppUrl).
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../../core/project-root.js";
import { accessTokenLifetime, MAX_ACCESS_TOKEN_LIFETIME, MIN_ACCESS_TOKEN_LIFETIME } from "../../core/settings/web-app.js";
import { requireStackName, UsageError } from "../../scripts/lib/cli/env.js";
import { runCli } from "../../scripts/lib/cli/run-cli.js";
import { runCommand } from "../../scripts/lib/cli/shell.js";
import { readDeployedStack } from "../../scripts/lib/stacks/stack-reader.js";
import { corsAllows, WebConfigError, type WebPlan, webPlanOf } from "./web-config.js";
import { startWebApp } from "./web-server.js";

const USAGE = "usage: npm run web -- [--stack dev] [--port 3000] [--sign-in-port 3001] [--token-lifetime 300]";

function portOption(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65_535)
    throw new UsageError(`${flag} must be a port from 1 to 65535; got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The port webAppUrl names, when it is this machine's loopback (what Kinde has as the callback URL). */
function appUrlPort(plan: WebPlan): number | undefined {
  const url = new URL(plan.appUrl);
  if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") return undefined;
  return Number(url.port || (url.protocol === "https:" ? 443 : 80));
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", default: "dev" },
      port: { type: "string" },
      "sign-in-port": { type: "string" },
      "token-lifetime": { type: "string", default: "300" },
    },
  });
  const stack = requireStackName(values.stack, "--stack");
  // Kinde's bounds for an access token, which the local sign-in stands in for.
  const lifetime = accessTokenLifetime(values["token-lifetime"]);
  if (lifetime === undefined)
    throw new UsageError(
      `--token-lifetime must be a whole number of seconds from ${MIN_ACCESS_TOKEN_LIFETIME} to ${MAX_ACCESS_TOKEN_LIFETIME}; got ${JSON.stringify(values["token-lifetime"])}`,
    );
  // Every option is checked before the stack is read.
  const givenPort = portOption(values.port, "--port");
  const givenSignInPort = portOption(values["sign-in-port"], "--sign-in-port");
  if (givenPort !== undefined && givenPort === givenSignInPort) throw new UsageError("--sign-in-port must differ from --port");
  const plan = webPlanOf(readDeployedStack(runCommand, stack, process.env, PROJECT_ROOT, ""));
  const port = givenPort ?? appUrlPort(plan) ?? 3000;
  const signInPort = givenSignInPort ?? (port === 65_535 ? 65_534 : port + 1);
  if (signInPort === port) throw new UsageError(`--sign-in-port must differ from the app's port ${port}`);

  const app = await startWebApp(plan, { port, signInPort, accessTokenLifetime: lifetime }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EADDRINUSE") throw err;
    throw new WebConfigError(`127.0.0.1:${(err as { port?: number }).port ?? port} is taken: pass --port (and --sign-in-port) with free ports`);
  });
  // The URL to open: webAppUrl itself when it names this port on loopback (Kinde has it as the callback URL).
  const registered = new URL(plan.appUrl);
  const openAt = appUrlPort(plan) === port && registered.protocol === "http:" ? registered.origin : app.url;
  console.log(`The example app for stack ${stack}: ${openAt}`);
  console.log(
    app.signInUrl
      ? `Local sign-in (local signing mode, no Kinde account): ${app.signInUrl}`
      : `Signs in with Kinde at ${plan.signIn.kind === "kinde" ? plan.signIn.domain : ""}`,
  );
  if (!corsAllows(plan.corsDomains, openAt))
    console.log(
      `Warning: stack ${stack}'s Hasura does not answer CORS for ${openAt} (hasuraCorsDomains is ${plan.corsDomains.join(",")}): the browser will refuse every request. ` +
        `Add it: pulumi config set hasuraCorsDomains "${plan.corsDomains.join(",")},${openAt}" --stack ${stack}, then npm run up.`,
    );
  if (plan.signIn.kind === "kinde" && openAt !== plan.appUrl)
    console.log(
      `Warning: Kinde has ${plan.appUrl} as the callback URL (webAppUrl), not ${openAt}: Kinde will refuse the sign-in. ` +
        `Set webAppUrl to ${openAt} (pulumi config set webAppUrl ${openAt} --stack ${stack}) and run npm run up.`,
    );
  console.log("Ctrl-C stops it.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await app.stop();
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { usage: USAGE });

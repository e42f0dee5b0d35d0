// npm run kinde -- ensure
// Makes sure the stack's Kinde environment has the API for Hasura's audience and the configured
// applications authorized for it. Reads KINDE_MANAGEMENT_DOMAIN, KINDE_MANAGEMENT_CLIENT_ID and
// KINDE_MANAGEMENT_CLIENT_SECRET (an M2M application authorized for the Kinde Management API with
// read:apis, create:apis, update:apis and read:applications), KINDE_AUDIENCE (default hasura),
// KINDE_APP_CLIENT_ID (the front-end application) and, optionally, KINDE_SMOKE_CLIENT_ID; for the
// front-end application KINDE_APP_URL (a callback and logout URL to add) and KINDE_ACCESS_TOKEN_LIFETIME.

import { accessTokenLifetime, MAX_ACCESS_TOKEN_LIFETIME, MIN_ACCESS_TOKEN_LIFETIME, webAppOrigin } from "../core/settings/web-app.js";
import { STEPS } from "../core/steps.js";
import { requireStepInputs, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { authenticateKinde, connectKinde, ensureKinde, type FrontEndSetup, type KindeApplication } from "./lib/kinde/ensure.js";

const KINDE_ENV = STEPS.kinde.env;

/** KINDE_APP_URL and KINDE_ACCESS_TOKEN_LIFETIME, checked before anything is written to Kinde. */
function frontEndSetup(appClientId: string | undefined, appUrl: string | undefined, lifetime: string | undefined): FrontEndSetup | undefined {
  if (!appClientId) {
    const stray = [appUrl && KINDE_ENV.appUrl.name, lifetime && KINDE_ENV.accessTokenLifetime.name].filter(Boolean);
    if (stray.length > 0)
      throw new UsageError(
        `${stray.join(" and ")} ${stray.length > 1 ? "apply" : "applies"} to the front-end application: set ${KINDE_ENV.appClientId.name} too`,
      );
    return undefined;
  }
  const app = appUrl === undefined ? undefined : webAppOrigin(appUrl);
  if (appUrl !== undefined && !app)
    throw new UsageError(
      `${KINDE_ENV.appUrl.name} must be an origin such as http://127.0.0.1:3000 (scheme, host, port; no path); got ${JSON.stringify(appUrl.slice(0, 200))}`,
    );
  const seconds = lifetime === undefined ? undefined : accessTokenLifetime(lifetime);
  if (lifetime !== undefined && seconds === undefined)
    throw new UsageError(
      `${KINDE_ENV.accessTokenLifetime.name} must be a whole number of seconds from ${MIN_ACCESS_TOKEN_LIFETIME} to ${MAX_ACCESS_TOKEN_LIFETIME}; got ${JSON.stringify(lifetime.slice(0, 40))}`,
    );
  return {
    clientId: appClientId,
    ...(app ? { appUrl: app.origin } : {}),
    ...(seconds !== undefined ? { accessTokenLifetime: seconds } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== "ensure" || argv.length > 1) throw new UsageError(`expected one command, ensure; got ${JSON.stringify(argv.join(" "))}`);
  const {
    domain,
    clientId,
    clientSecret,
    appClientId,
    smokeClientId,
    audience = "hasura",
    appUrl,
    accessTokenLifetime,
  } = requireStepInputs(STEPS.kinde);
  const frontEnd = frontEndSetup(appClientId, appUrl, accessTokenLifetime);
  const credentials = { domain, clientId, clientSecret };
  connectKinde(credentials);
  await authenticateKinde(credentials);
  const applications: KindeApplication[] = [];
  if (appClientId) applications.push({ clientId: appClientId, label: "front-end application (kindeAppClientId)" });
  if (smokeClientId) applications.push({ clientId: smokeClientId, label: "smoke test M2M application (kindeSmokeClientId)" });
  await ensureKinde({ audience, apiName: `Hasura (${audience})`, applications, ...(frontEnd ? { frontEnd } : {}), log: (line) => console.log(line) });
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { usage: "usage: npm run kinde -- ensure" });

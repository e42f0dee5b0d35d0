// npm run kinde -- ensure
// Makes sure the stack's Kinde environment has the API for Hasura's audience and the configured
// applications authorized for it. Reads KINDE_MANAGEMENT_DOMAIN, KINDE_MANAGEMENT_CLIENT_ID and
// KINDE_MANAGEMENT_CLIENT_SECRET (an M2M application authorized for the Kinde Management API with
// read:apis, create:apis, update:apis and read:applications), KINDE_AUDIENCE (default hasura),
// KINDE_APP_CLIENT_ID (the front-end application) and, optionally, KINDE_SMOKE_CLIENT_ID.

import { STEPS } from "../core/steps.js";
import { requireStepInputs, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { authenticateKinde, connectKinde, ensureKinde, type KindeApplication } from "./lib/kinde/ensure.js";

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== "ensure" || argv.length > 1) throw new UsageError(`expected one command, ensure; got ${JSON.stringify(argv.join(" "))}`);
  const { domain, clientId, clientSecret, appClientId, smokeClientId, audience = "hasura" } = requireStepInputs(STEPS.kinde);
  const credentials = { domain, clientId, clientSecret };
  connectKinde(credentials);
  await authenticateKinde(credentials);
  const applications: KindeApplication[] = [];
  if (appClientId) applications.push({ clientId: appClientId, label: "front-end application (kindeAppClientId)" });
  if (smokeClientId) applications.push({ clientId: smokeClientId, label: "smoke test M2M application (kindeSmokeClientId)" });
  await ensureKinde({ audience, apiName: `Hasura (${audience})`, applications, log: (line) => console.log(line) });
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { usage: "usage: npm run kinde -- ensure" });

// npm run kinde -- ensure
// Makes sure the stack's Kinde environment has the API for Hasura's audience and the configured
// applications authorized for it. Reads KINDE_DOMAIN, KINDE_MANAGEMENT_CLIENT_ID and
// KINDE_MANAGEMENT_CLIENT_SECRET (an M2M application authorized for the Kinde Management API with
// read:apis, create:apis, update:apis and read:applications), KINDE_AUDIENCE (default hasura),
// KINDE_APP_CLIENT_ID (the front-end application) and, optionally, KINDE_SMOKE_CLIENT_ID.
import { runCli } from "./lib/cli/run-cli.js";
import { requireEnv, UsageError } from "./lib/cli/env.js";
import { authenticateKinde, connectKinde, ensureKinde, KindeSetupError, type KindeApplication } from "./lib/kinde/ensure.js";

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== "ensure" || argv.length > 1) throw new UsageError(`expected one command, ensure; got ${JSON.stringify(argv.join(" "))}`);
  const credentials = {
    domain: requireEnv("KINDE_DOMAIN", "your *.kinde.com domain (not a custom domain: Kinde serves the management API there only), e.g. acme.kinde.com"),
    clientId: requireEnv("KINDE_MANAGEMENT_CLIENT_ID", "the client id of an M2M application authorized for the Kinde Management API"),
    clientSecret: requireEnv("KINDE_MANAGEMENT_CLIENT_SECRET", "that application's client secret"),
  };
  connectKinde(credentials);
  await authenticateKinde(credentials);
  const applications: KindeApplication[] = [];
  if (process.env.KINDE_APP_CLIENT_ID) applications.push({ clientId: process.env.KINDE_APP_CLIENT_ID, label: "front-end application (kindeAppClientId)" });
  if (process.env.KINDE_SMOKE_CLIENT_ID) applications.push({ clientId: process.env.KINDE_SMOKE_CLIENT_ID, label: "smoke test M2M application (kindeSmokeClientId)" });
  const audience = process.env.KINDE_AUDIENCE || "hasura";
  await ensureKinde({ audience, apiName: `Hasura (${audience})`, applications, log: (line) => console.log(line) });
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { expected: [KindeSetupError], usage: "usage: npm run kinde -- ensure" });

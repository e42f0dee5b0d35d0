// npm run jwks -- check
// Fetches the JWKS at $JWKS_URL from this machine before Hasura starts, because Hasura exits when its
// first JWKS fetch fails: a wrong URL or an identity-provider outage then shows as this step's
// one-line error, not as a container that never becomes healthy. Says whether Hasura will refresh the keys.

import { STEPS } from "../core/steps.js";
import { requireStepInputs, UsageError } from "./lib/cli/env.js";
import { runCli } from "./lib/cli/run-cli.js";
import { checkJwks, describeRefresh } from "./lib/kinde/jwks.js";

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0] !== "check") throw new UsageError(`expected one command, check; got ${JSON.stringify(argv.join(" "))}`);
  const facts = await checkJwks(requireStepInputs(STEPS.jwksCheck).jwksUrl);
  console.log(describeRefresh(facts));
  return 0;
}

await runCli(() => main(process.argv.slice(2)), { usage: "usage: npm run jwks -- check   (with JWKS_URL set)" });

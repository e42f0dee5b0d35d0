// npm run token -- --sub <user id> [--stack <name>] [--ttl 1h]
// Prints a dev access token that the stack's Hasura accepts, for local frontends and curl. Only for
// local signing mode stacks: a Kinde-mode stack trusts Kinde alone, and production stacks are refused.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { UsageError } from "./lib/env.js";
import { runCli } from "./lib/cli.js";
import { runCommand } from "./lib/shell.js";
import { resolveStack } from "./lib/smoke-target.js";
import { StackReadError } from "./lib/stack-reader.js";
import { ConfigError } from "./lib/stack-settings.js";
import { signingKeyFromPem, signUserToken } from "./lib/tokens.js";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { sub: { type: "string" }, stack: { type: "string" }, ttl: { type: "string", default: "1h" } } });
  if (!values.sub) throw new UsageError("usage: npm run token -- --sub <user id> [--stack <name>] [--ttl 1h]");
  if (!/^\d+[smhd]$/.test(values.ttl)) throw new UsageError(`--ttl must be a number with s, m, h or d, such as 1h; got "${values.ttl}"`);
  const resolved = resolveStack({ stack: values.stack, env: process.env, run: runCommand, repoRoot: fileURLToPath(new URL("..", import.meta.url)) });
  if (resolved.production) throw new UsageError(`Refusing: ${resolved.source} is a production stack; tokens for it come from Kinde only`);
  if (resolved.policy.mode !== "local" || !resolved.devSigningKey) {
    throw new UsageError(`Refusing: ${resolved.source} trusts Kinde (${resolved.policy.issuer}), not a dev key; get an access token from Kinde instead`);
  }
  const key = await signingKeyFromPem(resolved.devSigningKey);
  console.log(await signUserToken(resolved.policy, key, values.sub, { expiresIn: values.ttl }));
  return 0;
}

await runCli(() => main(process.argv.slice(2)), [StackReadError, ConfigError]);

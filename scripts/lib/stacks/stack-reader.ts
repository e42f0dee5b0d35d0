// A deployed stack's settings and outputs, read through the Pulumi CLI (with the same backend and
// passphrase rules as npm run up), and validated by the same code the program uses.

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { APP_DATABASE, LOOPBACK } from "../../../core/naming.js";
import { postgresUrl } from "../../../core/postgres-url.js";
import { parseStackSettings, type StackSettings } from "../../../core/settings/stack-settings.js";
import { missingPrerequisites, type Runner } from "../cli/shell.js";
import { pulumiEnvironment } from "./pulumi-cli.js";
import { PROJECT } from "./stack-file.js";

export class StackReadError extends ExpectedFailure {}

export interface DeployedStack {
  settings: StackSettings;
  outputs: Record<string, unknown>;
  /**
   * The credentials a script needs, configured or generated: the config's value when the stack sets
   * one (it is what the program used), else the stack's secret output.
   */
  credentials: { hasuraAdminSecret?: string; devSigningKey?: string; postgresPassword?: string };
}

/** `instead` names what the caller accepts from the environment in place of --stack ("" for nothing). */
export function readDeployedStack(
  run: Runner,
  stack: string,
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  instead = "the endpoint and secrets",
): DeployedStack {
  const problems = missingPrerequisites(run, ["pulumi"]);
  if (problems.length > 0)
    throw new StackReadError(`${problems.join("\n")}${instead ? `\n(or pass ${instead} through the environment instead of --stack)` : ""}`);
  const { env: pulumiEnv } = pulumiEnvironment(env, repoRoot, stack);
  const json = (args: string[], what: string): Record<string, unknown> => {
    const result = run("pulumi", args, { env: pulumiEnv });
    if (result.code !== 0) throw new StackReadError(`Reading ${what} of stack ${stack} failed (pulumi ${args.join(" ")}): ${result.stderr.trim()}`);
    try {
      return JSON.parse(result.stdout || "{}") as Record<string, unknown>;
    } catch {
      // Never the output itself: it was read with --show-secrets.
      throw new StackReadError(
        `Reading ${what} of stack ${stack} (pulumi ${args.join(" ")}) gave output that is not JSON; check the Pulumi CLI version (3.x)`,
      );
    }
  };
  // --show-secrets: the values stay in this process, which prints none of them.
  const config = json(["config", "--json", "--show-secrets", "--stack", stack], "the config") as Record<string, { value?: string; secret?: boolean }>;
  const outputs = json(["stack", "output", "--json", "--show-secrets", "--stack", stack], "the outputs");
  const settings = parseStackSettings(
    (key) => config[`${PROJECT}:${key}`]?.value,
    { project: PROJECT, stack },
    (key) => config[`${PROJECT}:${key}`]?.secret === true,
  );
  return { settings, outputs, credentials: credentialsOf(settings, outputs) };
}

/**
 * Why tokens this version signs would all be refused by the deployed Hasura, or undefined: the stack
 * was deployed with another issuer (an older version of this project, whose local issuer was a urn).
 */
export function issuerDrift(stack: Pick<DeployedStack, "settings" | "outputs">): string | undefined {
  const { settings, outputs } = stack;
  if (typeof outputs.jwtIssuer !== "string" || outputs.jwtIssuer === settings.jwt.issuer) return undefined;
  return `Stack ${settings.stack}'s Hasura trusts issuer ${outputs.jwtIssuer}, but this version of the project signs for ${settings.jwt.issuer}: run npm run up for stack ${settings.stack} first`;
}

/** Config first, then the stack's outputs (where the program puts what it generated). */
export function credentialsOf(settings: StackSettings, outputs: Record<string, unknown>): DeployedStack["credentials"] {
  const output = (key: string) => (typeof outputs[key] === "string" && outputs[key] !== "" ? (outputs[key] as string) : undefined);
  const hasuraAdminSecret = settings.secrets.hasuraAdminSecret ?? output("hasuraAdminSecret");
  const devSigningKey = settings.jwt.trust.kind === "local" ? (settings.secrets.devSigningKey ?? output("devSigningKey")) : undefined;
  const postgresPassword = settings.secrets.postgresPassword ?? output("postgresSuperuserPassword");
  return {
    ...(hasuraAdminSecret ? { hasuraAdminSecret } : {}),
    ...(devSigningKey ? { devSigningKey } : {}),
    ...(postgresPassword ? { postgresPassword } : {}),
  };
}

/** The stack's app database as the `postgres` superuser, on the host's loopback port (backup, restore). */
export function stackSuperuserUrl(stack: DeployedStack): string {
  const k = stack.settings.kubernetes;
  if (k) {
    throw new StackReadError(
      `Stack ${stack.settings.stack} runs on Kubernetes, where its database is inside the cluster: forward it ` +
        `(\`kubectl --namespace ${k.namespace} port-forward svc/postgres-rw 5432\`) and pass DATABASE_URL instead of --stack (docs/kubernetes.md)`,
    );
  }
  const port = stack.outputs.postgresPort;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StackReadError(`Stack ${stack.settings.stack} has no postgresPort output; run \`pulumi up --stack ${stack.settings.stack}\` first`);
  }
  const password = stack.credentials.postgresPassword;
  if (!password) {
    throw new StackReadError(
      `Stack ${stack.settings.stack} has neither a postgresPassword setting nor a postgresSuperuserPassword output; run \`pulumi ` +
        `up --stack ${stack.settings.stack}\` once with this version, or pass DATABASE_URL instead of --stack`,
    );
  }
  return postgresUrl({ user: "postgres", password, host: LOOPBACK, port, database: APP_DATABASE });
}

// The contract between the Pulumi program and the scripts it runs as steps of `pulumi up`: which
// script, with which arguments, reading which environment variables. The program builds each step's
// command and environment from it (infra/docker/script-step.ts) and each script reads its inputs through it
// (scripts/lib/cli/env.ts requireStepInputs), so a renamed variable or script cannot drift between the
// two; tests/end-to-end/steps.test.ts starts every step that has a required input with an empty environment. An
// empty variable counts as unset: `HASURA_GRAPHQL_ENDPOINT=` lets `npm run smoke` read the stack instead.
import { ExpectedFailure } from "./expected-failure.js";

/** One environment variable of a step: its name and, for the message when it is missing, what it holds. */
export interface StepVariable {
  readonly name: string;
  readonly holds: string;
  /** The step runs without it (a feature the stack may not use). */
  readonly optional?: true;
  /** The name it had before; set alone, it is refused with a message naming the new one. */
  readonly formerName?: string;
}

/** A variable set under its former name only: bad input (exit code 2), refused before the step does anything. */
export class RenamedVariableError extends ExpectedFailure {
  override readonly exitCode = 2;
}

export interface StepContract {
  /** The script, relative to the project root. */
  readonly script: string;
  readonly args: readonly string[];
  /** Folders (relative to the project root) the script reads: a change in them runs the step again. */
  readonly watch: readonly string[];
  /** The step's inputs by the names the code uses, each carried by one environment variable. */
  readonly env: Readonly<Record<string, StepVariable>>;
}

const DATABASE_URL = { name: "DATABASE_URL", holds: "the stack's database, e.g. postgres://postgres:<password>@127.0.0.1:15432/app" } as const;
const HASURA_ENDPOINT = {
  name: "HASURA_GRAPHQL_ENDPOINT",
  holds: "the Hasura base URL, e.g. http://127.0.0.1:8080 (pulumi stack output hasuraUrl)",
} as const;
const HASURA_ADMIN_SECRET = {
  name: "HASURA_GRAPHQL_ADMIN_SECRET",
  holds: "the stack's admin secret (pulumi stack output hasuraAdminSecret --show-secrets)",
} as const;
// The *.kinde.com domain, never the custom one: Kinde serves its Management API and issues M2M tokens
// there only. It was KINDE_DOMAIN, which read as "the domain users sign in on".
const KINDE_MANAGEMENT_DOMAIN = {
  name: "KINDE_MANAGEMENT_DOMAIN",
  holds: "your *.kinde.com domain (not a custom domain: Kinde serves the management API and M2M tokens there only), e.g. acme.kinde.com",
  formerName: "KINDE_DOMAIN",
} as const;

export const STEPS = {
  migrations: { script: "scripts/migrate.ts", args: ["up"], watch: ["migrations"], env: { databaseUrl: DATABASE_URL } },
  // Hasura's cli_state brought in step with the applied migrations, once Hasura has written its catalog.
  migrationsSync: { script: "scripts/migrate.ts", args: ["sync"], watch: ["migrations"], env: { databaseUrl: DATABASE_URL } },
  seeds: { script: "scripts/seed.ts", args: ["apply"], watch: ["seeds"], env: { databaseUrl: DATABASE_URL } },
  jwksCheck: {
    script: "scripts/jwks.ts",
    args: ["check"],
    watch: [],
    env: { jwksUrl: { name: "JWKS_URL", holds: "the JWKS URL Hasura trusts, e.g. https://acme.kinde.com/.well-known/jwks" } },
  },
  metadata: {
    script: "scripts/metadata.ts",
    args: ["apply"],
    watch: ["metadata"],
    env: {
      endpoint: HASURA_ENDPOINT,
      adminSecret: HASURA_ADMIN_SECRET,
      // The Kubernetes target only: each replica's pool for the `default` source.
      sourcePool: { name: "HASURA_SOURCE_MAX_CONNECTIONS", holds: "the default source's pool size per replica, 1 to 500", optional: true },
    },
  },
  kinde: {
    script: "scripts/kinde.ts",
    args: ["ensure"],
    watch: [],
    env: {
      domain: KINDE_MANAGEMENT_DOMAIN,
      clientId: { name: "KINDE_MANAGEMENT_CLIENT_ID", holds: "the client id of an M2M application authorized for the Kinde Management API" },
      clientSecret: { name: "KINDE_MANAGEMENT_CLIENT_SECRET", holds: "that application's client secret" },
      audience: { name: "KINDE_AUDIENCE", holds: "the API audience Hasura checks (default hasura)", optional: true },
      appClientId: { name: "KINDE_APP_CLIENT_ID", holds: "the front-end application's client id", optional: true },
      smokeClientId: { name: "KINDE_SMOKE_CLIENT_ID", holds: "the smoke test M2M application's client id", optional: true },
      appUrl: {
        name: "KINDE_APP_URL",
        holds: "the example app's origin, added as the front-end application's callback and logout URL, e.g. http://127.0.0.1:3000",
        optional: true,
      },
      accessTokenLifetime: {
        name: "KINDE_ACCESS_TOKEN_LIFETIME",
        holds: "seconds, 60 to 86400, set as the front-end application's access-token lifetime",
        optional: true,
      },
    },
  },
  // Every input is optional to the script itself: `npm run smoke -- --stack <name>` reads what is unset
  // from the stack (scripts/lib/smoke/target.ts); the deployment gate passes them all.
  smoke: {
    script: "scripts/smoke.ts",
    args: ["--timeout", "120"],
    watch: ["migrations", "metadata"],
    env: {
      endpoint: { ...HASURA_ENDPOINT, optional: true },
      adminSecret: { ...HASURA_ADMIN_SECRET, optional: true },
      jwtPolicy: { name: "SMOKE_JWT_POLICY", holds: "JSON of the stack's signing policy (core/jwt-policy.ts signingPolicy)", optional: true },
      devSigningKey: { name: "DEV_SIGNING_KEY", holds: "the dev signing key's PEM (local mode)", optional: true },
      kindeDomain: { ...KINDE_MANAGEMENT_DOMAIN, optional: true },
      kindeClientId: { name: "SMOKE_KINDE_CLIENT_ID", holds: "the smoke test M2M application's client id", optional: true },
      kindeClientSecret: { name: "SMOKE_KINDE_CLIENT_SECRET", holds: "that application's client secret", optional: true },
      adminEndpoint: {
        name: "SMOKE_ADMIN_ENDPOINT",
        holds:
          "where the smoke reads the schema through run_sql (/v2/query) when the endpoint is a TLS edge serving only /v1/graphql (default: the endpoint)",
        optional: true,
      },
      // Set by people only: a real Kinde access token, used instead of fetching one for the M2M application.
      token: { name: "SMOKE_TOKEN", holds: "a Kinde access token for the allowed checks", optional: true },
    },
  },
} as const satisfies Record<string, StepContract>;

export type StepName = keyof typeof STEPS;

type OptionalKeys<S extends StepContract> = { [K in keyof S["env"]]: S["env"][K] extends { optional: true } ? K : never }[keyof S["env"]];
type RequiredKeys<S extends StepContract> = Exclude<keyof S["env"], OptionalKeys<S>>;

/** A step's inputs as values of type V: the required ones always, the optional ones when there are any. */
export type StepInputs<S extends StepContract, V> = { [K in RequiredKeys<S>]: V } & { [K in OptionalKeys<S>]?: V };

/** The program and arguments that run a step, for a container (the Kubernetes target's Jobs). */
export function stepArgv(step: StepContract): string[] {
  return ["node", "--import", "tsx", step.script, ...step.args];
}

/** The shell command that runs a step, relative to the project root (where the provider runs it). */
export function stepCommand(step: StepContract): string {
  return ["node --import tsx", step.script, ...step.args].join(" ");
}

/** The environment a step's script starts with: each given input under its declared variable name. */
export function stepEnvironment<S extends StepContract, V>(step: S, inputs: StepInputs<S, V>): Record<string, V> {
  const environment: Record<string, V> = {};
  for (const [key, variable] of Object.entries(step.env)) {
    const value = (inputs as Record<string, V | undefined>)[key];
    if (value !== undefined) environment[variable.name] = value;
  }
  return environment;
}

/**
 * The former names of a step's variables, each set to "": a step `pulumi up` runs on this machine inherits
 * the deployer's environment (pulumi-command's local.Command), where a stray KINDE_DOMAIN from another tool
 * would otherwise be refused as the old name of KINDE_MANAGEMENT_DOMAIN.
 */
export function formerNamesCleared(step: StepContract): Record<string, string> {
  return Object.fromEntries(formerNames(step).map((name) => [name, ""]));
}

/** The names a step's variables had before (StepVariable.formerName). */
export function formerNames(step: StepContract): string[] {
  return Object.values(step.env).flatMap((variable) => (variable.formerName ? [variable.formerName] : []));
}

/**
 * What a script reads of its step's inputs from `env`: the non-empty values by input name, and the
 * required variables that are missing (the caller turns those into its own error).
 */
export function readStepInputs<S extends StepContract>(
  step: S,
  env: Readonly<Record<string, string | undefined>>,
): { inputs: Partial<StepInputs<S, string>>; missing: StepVariable[] } {
  const inputs: Record<string, string> = {};
  const missing: StepVariable[] = [];
  for (const [key, variable] of Object.entries(step.env) as [string, StepVariable][]) {
    const value = env[variable.name];
    if (!value && variable.formerName && env[variable.formerName]) {
      throw new RenamedVariableError(`${variable.formerName} is now ${variable.name} (${variable.holds}); set that name instead`);
    }
    if (value) inputs[key] = value;
    else if (!variable.optional) missing.push(variable);
  }
  return { inputs: inputs as Partial<StepInputs<S, string>>, missing };
}

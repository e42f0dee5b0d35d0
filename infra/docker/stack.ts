// The Docker target: one isolated set of containers per stack on the daemon DOCKER_HOST (or
// docker:host) names, Postgres and Hasura on 127.0.0.1 only. This function is the deploy list, in
// order; each component's file says how, and core/steps.ts which script each step runs.
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels, dockerNamePrefix, HASURA_DB_ROLE, HASURA_INTERNAL_PORT } from "../../core/naming.js";
import { STEPS } from "../../core/steps.js";
import type { StackConfig } from "../config.js";
import type { Credentials } from "../credentials.js";
import { jwtSecretJson } from "../hasura-env.js";
import { kindeStepInputs, type StepValues, smokeStepInputs } from "../step-inputs.js";
import type { TargetOutputs } from "../target-outputs.js";
import { Backup } from "./backup.js";
import { HasuraDatabase } from "./database.js";
import { Edge } from "./edge.js";
import { Hasura } from "./hasura.js";
import { StackNetwork } from "./network.js";
import { Postgres } from "./postgres.js";
import { ScriptStep } from "./script-step.js";

export function dockerStack(config: StackConfig, credentials: Credentials): TargetOutputs {
  const { jwt, production } = config;
  const namePrefix = dockerNamePrefix(config.project, config.stack);
  const network = new StackNetwork("network", { name: `${namePrefix}-net` });
  const placement = { namePrefix, labels: dockerLabels(config.stack, production), networkName: network.name };
  const superuserPassword = credentials.postgresPassword;
  const postgres = new Postgres("postgres", { ...placement, settings: config.postgres, superuserPassword, protectData: production });
  // Hasura's least-privilege login role and catalog schema; a console that creates tables needs CREATE on `public`.
  const database = new HasuraDatabase(
    "database",
    { hostPort: postgres.hostPort, superuserPassword, hasuraPassword: credentials.hasuraDbPassword, allowSchemaChanges: config.hasura.console },
    { dependsOn: [postgres] },
  );

  // The schema, as the superuser (the `hasura` role cannot read the runner's bookkeeping): again when a migration changes or Postgres is replaced.
  const databaseUrl = postgres.loopbackUrl("postgres", superuserPassword);
  const migrations = new ScriptStep(
    "migrations",
    { step: STEPS.migrations, inputs: { databaseUrl }, rerunWhen: [postgres.container.id] },
    { dependsOn: [database] },
  );
  // Kinde mode: Hasura exits when its first JWKS fetch fails, so fetch it here first and name the URL and the reason.
  const jwksUrl = jwt.trust.kind === "kinde" ? jwt.trust.jwksUrl : undefined;
  const jwksCheck = jwksUrl
    ? new ScriptStep("jwks-check", { step: STEPS.jwksCheck, inputs: { jwksUrl }, rerunWhen: [jwksUrl, config.hasura.image] })
    : undefined;
  // Hasura starts beside the migrations: it needs its role and catalog, not the tables.
  const hasura = new Hasura(
    "hasura",
    {
      ...placement,
      settings: config.hasura,
      databaseUrl: postgres.networkUrl(HASURA_DB_ROLE, credentials.hasuraDbPassword),
      adminSecret: credentials.hasuraAdminSecret,
      jwtSecret: jwtSecretJson(jwt, credentials.devPublicKeyPem),
    },
    { dependsOn: jwksCheck ? [database, jwksCheck] : [database] },
  );

  // Seed data, never on production: idempotent, again when seeds/ changes or Postgres is replaced.
  if (config.seedOnUp)
    new ScriptStep("seeds", { step: STEPS.seeds, inputs: { databaseUrl }, rerunWhen: [postgres.container.id] }, { dependsOn: [migrations] });
  // Hasura writes its catalog on start: record the applied migrations in its cli_state, so `hasura migrate status` agrees.
  const replaced = [hasura.container.id, postgres.container.id];
  new ScriptStep(
    "migrations-sync",
    { step: STEPS.migrationsSync, inputs: { databaseUrl }, rerunWhen: replaced },
    { dependsOn: [hasura, migrations] },
  );

  // Scheduled backups (backupDailyAt / backupEveryHours, daily on production by default): pg_dump from the stack's own image.
  const backupArgs = { ...placement, postgres, superuserPassword, protectData: production };
  const backup = config.backup ? new Backup("backup", { ...backupArgs, schedule: config.backup }, { dependsOn: [postgres] }) : undefined;
  // With publicHost, the Caddy TLS edge: the only container published beyond loopback.
  const upstream = `${namePrefix}-hasura:${HASURA_INTERNAL_PORT}`;
  const edge = config.edge
    ? new Edge("edge", { ...placement, settings: config.edge, upstream, protectData: production }, { dependsOn: [hasura] })
    : undefined;

  // The `user` role's own-row permissions, once the tables exist and Hasura is healthy; a replaced Hasura gets them again.
  const hasuraAdmin = { endpoint: hasura.url, adminSecret: credentials.hasuraAdminSecret };
  const metadata = new ScriptStep(
    "metadata",
    { step: STEPS.metadata, inputs: hasuraAdmin, rerunWhen: [hasura.container.id] },
    { dependsOn: [hasura, migrations] },
  );
  // With Kinde management credentials: the API for Hasura's audience and the app authorizations (else docs/kinde.md's manual steps).
  // On Docker a step's inputs are its command's environment as they are; credentials are Outputs the
  // config or the generated Credentials hold (each is asked for only when the stack has it).
  const values: StepValues<pulumi.Input<string>> = {
    plain: (value) => value,
    secret: (credential) => (credential === "devSigningKey" ? credentials.devSigningKey : config.secrets[credential]) as pulumi.Output<string>,
  };
  const kinde = kindeStepInputs(config, values);
  const kindeStep = kinde ? new ScriptStep("kinde", { step: STEPS.kinde, ...kinde }) : undefined;
  // The deployment gate (smokeOnUp; off on production by default): users reach exactly their own row, or `pulumi up` fails.
  const smoke = smokeStepInputs<pulumi.Input<string>>(config, hasuraAdmin, values, credentials.devSigningKey !== undefined);
  if (config.smokeOnUp)
    new ScriptStep("smoke", { step: STEPS.smoke, inputs: smoke, rerunWhen: replaced }, { dependsOn: kindeStep ? [metadata, kindeStep] : [metadata] });

  return {
    hasuraUrl: hasura.url,
    // What apps call: the public edge when there is one, else Hasura on the host's loopback.
    graphqlUrl: edge ? pulumi.output(`${edge.url}/v1/graphql`) : pulumi.interpolate`${hasura.url}/v1/graphql`,
    consoleUrl: config.hasura.console ? pulumi.interpolate`${hasura.url}/console` : undefined,
    postgresPort: postgres.hostPort,
    backupVolume: backup?.volumeName,
  };
}

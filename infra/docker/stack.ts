// The Docker target: one isolated set of containers per stack on the daemon DOCKER_HOST (or
// docker:host) names, Postgres and Hasura on 127.0.0.1 only. This function is the deploy list: the
// containers, then the table of steps (infra/step-table.ts); each component's file says how, and
// core/steps.ts which script each step runs.
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels, dockerNamePrefix, HASURA_DB_ROLE, HASURA_INTERNAL_PORT } from "../../core/naming.js";
import { STEPS, type StepContract } from "../../core/steps.js";
import type { StackConfig } from "../config.js";
import type { Credentials } from "../credentials.js";
import { jwtSecretJson } from "../hasura-env.js";
import { kindeStepInputs, type StepValues, smokeStepInputs } from "../step-inputs.js";
import { deploySteps } from "../step-table.js";
import type { TargetOutputs } from "../target-outputs.js";
import { Backup } from "./backup.js";
import { HasuraDatabase } from "./database.js";
import { Edge } from "./edge.js";
import { Hasura } from "./hasura.js";
import { StackNetwork } from "./network.js";
import { Postgres } from "./postgres.js";
import { ScriptStep, type ScriptStepArgs } from "./script-step.js";

/** A row's arguments, checked against its step's contract, then as the table holds them. */
function run<S extends StepContract>(args: ScriptStepArgs<S>): ScriptStepArgs<StepContract> {
  return args as unknown as ScriptStepArgs<StepContract>;
}

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
  // Scheduled backups (backupDailyAt / backupEveryHours, daily on production by default): pg_dump from the stack's own image.
  const backupArgs = { ...placement, postgres, superuserPassword, protectData: production };
  const backup = config.backup ? new Backup("backup", { ...backupArgs, schedule: config.backup }, { dependsOn: [postgres] }) : undefined;
  // With publicHost, the Caddy TLS edge: the only container published beyond loopback.
  const upstream = `${namePrefix}-hasura:${HASURA_INTERNAL_PORT}`;
  const edge = config.edge
    ? new Edge("edge", { ...placement, settings: config.edge, upstream, protectData: production }, { dependsOn: [hasura] })
    : undefined;

  // The steps' inputs. The schema goes in as the superuser (the `hasura` role cannot read the runner's
  // bookkeeping). On Docker a step's inputs are its command's environment as they are; credentials are
  // Outputs the config or the generated Credentials hold (each is asked for only when the stack has it).
  const databaseUrl = postgres.loopbackUrl("postgres", superuserPassword);
  const hasuraAdmin = { endpoint: hasura.url, adminSecret: credentials.hasuraAdminSecret };
  const values: StepValues<pulumi.Input<string>> = {
    plain: (value) => value,
    secret: (credential) => (credential === "devSigningKey" ? credentials.devSigningKey : config.secrets[credential]) as pulumi.Output<string>,
  };
  const kinde = kindeStepInputs(config, values);
  const smoke = smokeStepInputs<pulumi.Input<string>>(config, hasuraAdmin, values, credentials.devSigningKey !== undefined);
  const postgresReplaced = [postgres.container.id];
  const replaced = [hasura.container.id, postgres.container.id];

  // The steps, in order: each runs again when what it reads (core/steps.ts `watch`) or its rerun values change.
  deploySteps(
    { database, hasura },
    [
      // The schema: again when a migration changes or Postgres is replaced.
      { name: "migrations", waitsFor: ["database"], args: run({ step: STEPS.migrations, inputs: { databaseUrl }, rerunWhen: postgresReplaced }) },
      // Seed data, never on production: idempotent, again when seeds/ changes or Postgres is replaced.
      {
        name: "seeds",
        when: config.seedOnUp,
        waitsFor: ["migrations"],
        args: run({ step: STEPS.seeds, inputs: { databaseUrl }, rerunWhen: postgresReplaced }),
      },
      // Hasura writes its catalog on start: record the applied migrations in its cli_state, so `hasura migrate status` agrees.
      {
        name: "migrations-sync",
        waitsFor: ["hasura", "migrations"],
        args: run({ step: STEPS.migrationsSync, inputs: { databaseUrl }, rerunWhen: replaced }),
      },
      // The `user` role's own-row permissions, once the tables exist and Hasura is healthy; a replaced Hasura gets them again.
      {
        name: "metadata",
        waitsFor: ["hasura", "migrations"],
        args: run({ step: STEPS.metadata, inputs: hasuraAdmin, rerunWhen: [hasura.container.id] }),
      },
      // With Kinde management credentials: Hasura's API, the app authorizations and URLs (else docs/kinde.md's manual steps).
      { name: "kinde", when: kinde !== undefined, waitsFor: [], args: kinde && run({ step: STEPS.kinde, ...kinde }) },
      // The deployment gate (smokeOnUp; off on production by default): users reach exactly their own rows, or `pulumi up` fails.
      {
        name: "smoke",
        when: config.smokeOnUp,
        waitsFor: ["metadata", "kinde"],
        args: run({ step: STEPS.smoke, inputs: smoke, rerunWhen: replaced }),
      },
    ],
    (name, args, dependsOn) => new ScriptStep(name, args, dependsOn.length > 0 ? { dependsOn } : undefined),
  );

  return {
    hasuraUrl: hasura.url,
    // What apps call: the public edge when there is one, else Hasura on the host's loopback.
    graphqlUrl: edge ? pulumi.output(`${edge.url}/v1/graphql`) : pulumi.interpolate`${hasura.url}/v1/graphql`,
    consoleUrl: config.hasura.console ? pulumi.interpolate`${hasura.url}/console` : undefined,
    postgresPort: postgres.hostPort,
    backupVolume: backup?.volumeName,
  };
}

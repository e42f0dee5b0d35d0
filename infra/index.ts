// kinde-hasura: one isolated Postgres + Hasura GraphQL Engine per stack, on the Docker daemon that
// DOCKER_HOST (or docker:host) names, with Hasura trusting the stack's token issuer. This file is the
// list of what a stack deploys, in order; each component's file says how, and core/steps.ts which
// script each step runs. The settings are validated as a whole before the first resource (infra/config.ts).
import * as pulumi from "@pulumi/pulumi";
import { signingPolicy } from "../core/jwt-policy.js";
import { dockerNamePrefix, HASURA_DB_ROLE, HASURA_INTERNAL_PORT, stackLabels } from "../core/naming.js";
import { STEPS } from "../core/steps.js";
import { Backup } from "./backup.js";
import { loadStackConfig } from "./config.js";
import { Credentials } from "./credentials.js";
import { HasuraDatabase } from "./database.js";
import { Edge } from "./edge.js";
import { Hasura, jwtSecretJson } from "./hasura.js";
import { StackNetwork } from "./network.js";
import { Postgres } from "./postgres.js";
import { ScriptStep } from "./script-step.js";

const config = loadStackConfig();
const { jwt, kinde, secrets, production } = config;
const namePrefix = dockerNamePrefix(config.project, config.stack);
const labels = stackLabels(config.stack, production);

// Credentials the config leaves unset, generated once and kept (encrypted) in the stack's state.
const credentials = new Credentials("credentials", { configured: secrets, trust: jwt.trust });
const network = new StackNetwork("network", { name: `${namePrefix}-net` });
const postgres = new Postgres("postgres", {
  namePrefix,
  image: config.postgres.image,
  networkName: network.name,
  hostPort: config.postgres.port,
  superuserPassword: credentials.postgresPassword,
  protectData: production,
  labels,
});
// Hasura's least-privilege role and catalog schema; a console that creates tables needs CREATE on `public`.
const database = new HasuraDatabase(
  "database",
  {
    hostPort: postgres.hostPort,
    superuserPassword: credentials.postgresPassword,
    hasuraPassword: credentials.hasuraDbPassword,
    allowSchemaChanges: config.hasura.console,
  },
  { dependsOn: [postgres] },
);

// The schema, as the superuser (the `hasura` role cannot read the runner's bookkeeping); again when a
// migration changes or Postgres is replaced. Hasura starts beside it: it needs its role, not the tables.
const superuserUrl = postgres.loopbackUrl("postgres", credentials.postgresPassword);
const migrations = new ScriptStep(
  "migrations",
  { step: STEPS.migrations, inputs: { databaseUrl: superuserUrl }, rerunWhen: [postgres.container.id] },
  { dependsOn: [database] },
);
// Kinde mode: Hasura exits when its first JWKS fetch fails; fetch it here first and name the URL and reason.
// Re-checked when the URL or the Hasura image changes, not on every Hasura restart.
const jwksCheck =
  jwt.trust.kind === "kinde"
    ? new ScriptStep("jwks-check", {
        step: STEPS.jwksCheck,
        inputs: { jwksUrl: jwt.trust.jwksUrl },
        rerunWhen: [jwt.trust.jwksUrl, config.hasura.image],
      })
    : undefined;
const hasura = new Hasura(
  "hasura",
  {
    namePrefix,
    image: config.hasura.image,
    networkName: network.name,
    hostPort: config.hasura.port,
    databaseUrl: postgres.networkUrl(HASURA_DB_ROLE, credentials.hasuraDbPassword),
    adminSecret: credentials.hasuraAdminSecret,
    jwtSecret: jwtSecretJson(jwt, credentials.devPublicKeyPem),
    console: config.hasura.console,
    devMode: config.hasura.devMode,
    corsDomains: config.hasura.corsDomains,
    labels,
  },
  { dependsOn: jwksCheck ? [database, jwksCheck] : [database] },
);

// Seed data (never production): idempotent, again when seeds/ changes or Postgres is replaced.
if (config.seedOnUp)
  new ScriptStep(
    "seeds",
    { step: STEPS.seeds, inputs: { databaseUrl: superuserUrl }, rerunWhen: [postgres.container.id] },
    { dependsOn: [migrations] },
  );
// Hasura writes its catalog on start: record the applied migrations in its cli_state so `hasura migrate status` agrees.
new ScriptStep(
  "migrations-sync",
  { step: STEPS.migrationsSync, inputs: { databaseUrl: superuserUrl }, rerunWhen: [hasura.container.id, postgres.container.id] },
  { dependsOn: [hasura, migrations] },
);

// Scheduled backups (backupDailyAt / backupEveryHours): pg_dump from the stack's own image. Production without them is allowed, never silently.
if (production && !config.backup)
  pulumi.log.warn("This production stack schedules no backups (backupDailyAt: off, backupEveryHours: 0); make sure something else backs it up.");
const backup = config.backup
  ? new Backup(
      "backup",
      {
        namePrefix,
        imageId: postgres.imageId,
        networkName: network.name,
        postgresHost: postgres.internalHost,
        superuserPassword: credentials.postgresPassword,
        schedule: config.backup,
        protectData: production,
        labels,
      },
      { dependsOn: [postgres] },
    )
  : undefined;
// With publicHost, a Caddy TLS edge: the only container published beyond loopback.
const edge = config.edge
  ? new Edge(
      "edge",
      {
        namePrefix,
        image: config.edge.image,
        networkName: network.name,
        host: config.edge.host,
        email: config.edge.email,
        upstream: `${namePrefix}-hasura:${HASURA_INTERNAL_PORT}`,
        protectData: production,
        labels,
      },
      { dependsOn: [hasura] },
    )
  : undefined;

// The `user` role's own-row permissions, once the tables exist and Hasura is healthy; a replaced Hasura gets them again.
const hasuraAdmin = { endpoint: hasura.url, adminSecret: credentials.hasuraAdminSecret };
const metadata = new ScriptStep(
  "metadata",
  { step: STEPS.metadata, inputs: hasuraAdmin, rerunWhen: [hasura.container.id] },
  { dependsOn: [hasura, migrations] },
);
// With Kinde management credentials: the API for Hasura's audience and the app authorizations (else the manual steps in docs/kinde.md).
const kindeRerun = [kinde.managementDomain, jwt.audience, kinde.appClientId ?? "", kinde.smokeClientId ?? ""];
const kindeSetup =
  kinde.managementClientId && secrets.kindeManagementClientSecret
    ? new ScriptStep("kinde", {
        step: STEPS.kinde,
        inputs: {
          domain: kinde.managementDomain,
          clientId: kinde.managementClientId,
          clientSecret: secrets.kindeManagementClientSecret,
          audience: jwt.audience,
          appClientId: kinde.appClientId ?? "",
          smokeClientId: kinde.smokeClientId ?? "",
        },
        rerunWhen: kindeRerun,
      })
    : undefined;

// The deployment gate (smokeOnUp, off in production by default): users reach exactly their own row, or `pulumi up` fails.
// In Kinde mode with a smoke M2M application, the allowed checks use a real Kinde token.
const smokeM2M =
  kinde.smokeClientId && secrets.kindeSmokeClientSecret
    ? { kindeDomain: kinde.managementDomain, kindeClientId: kinde.smokeClientId, kindeClientSecret: secrets.kindeSmokeClientSecret }
    : {};
const smokeInputs = {
  ...hasuraAdmin,
  jwtPolicy: JSON.stringify(signingPolicy(jwt)),
  ...(credentials.devSigningKey ? { devSigningKey: credentials.devSigningKey } : {}),
  ...smokeM2M,
};
if (config.smokeOnUp)
  new ScriptStep(
    "smoke",
    { step: STEPS.smoke, inputs: smokeInputs, rerunWhen: [hasura.container.id, postgres.container.id] },
    { dependsOn: kindeSetup ? [metadata, kindeSetup] : [metadata] },
  );

export const hasuraUrl = hasura.url;
// What apps call: the public edge when there is one, else Hasura on the host's loopback.
export const graphqlUrl = edge ? `${edge.url}/v1/graphql` : pulumi.interpolate`${hasura.url}/v1/graphql`;
export const consoleUrl = config.hasura.console ? pulumi.interpolate`${hasura.url}/console` : undefined;
export const jwtIssuer = jwt.issuer;
export const jwtAudience = jwt.audience;
export const authMode = jwt.trust.kind;
export const postgresPort = postgres.hostPort;
// Where scheduled backups land (`docker run --rm -v <volume>:/backups …` reads them).
export const backupVolume = backup?.volumeName;
// Secret outputs (`pulumi stack output <name> --show-secrets`), read by the smoke test, `npm run token` and `npm run backup|restore -- --stack`.
export const hasuraAdminSecret = pulumi.secret(credentials.hasuraAdminSecret);
export const postgresSuperuserPassword = pulumi.secret(credentials.postgresPassword);
export const devSigningKey = credentials.devSigningKey ? pulumi.secret(credentials.devSigningKey) : undefined;

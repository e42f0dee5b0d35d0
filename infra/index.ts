// kinde-hasura: one isolated Postgres + Hasura GraphQL Engine per stack, on the Docker daemon that
// DOCKER_HOST (or docker:host) names, with Hasura trusting the stack's token issuer.
//
// What the stack deploys:
//   - the credentials the stack's config leaves unset, generated once and kept in its state;
//   - a bridge network `<project>-<stack>-net`;
//   - Postgres (pinned image, named data volume, healthy before use, published on 127.0.0.1 only);
//   - a least-privilege `hasura` login role, its catalog schema and grants;
//   - the SQL migrations in migrations/default, applied by scripts/migrate.ts (re-run when they change);
//   - on non-production stacks, the seed data in seeds/default (scripts/seed.ts);
//   - in Kinde mode, a check that the JWKS answers before Hasura starts (scripts/jwks.ts);
//   - Hasura (pinned v2 image, admin secret, JWT secret for Kinde's JWKS or the dev signing key,
//     telemetry off, healthy before use, published on 127.0.0.1 only), beside the migrations;
//   - Hasura's cli_state brought in step with the applied migrations once Hasura runs (migrate sync);
//   - the Hasura metadata in metadata/ (the `user` role's own-row permissions), applied by scripts/metadata.ts;
//   - with Kinde management credentials, the Kinde API and app authorizations (scripts/kinde.ts ensure);
//   - with a backup schedule (daily on production by default), a backup container and its volume;
//   - with publicHost, a Caddy TLS edge: the only container published beyond loopback;
//   - unless smokeOnUp is false (default off in production), the smoke test as a deployment gate.
// Configuration is validated as a whole before the first resource (core/settings/stack-settings.ts,
// called by infra/config.ts).
import * as pulumi from "@pulumi/pulumi";
import { hasuraJwtSecret, signingPolicy } from "../core/jwt-policy.js";
import { postgresUrl } from "../core/postgres-url.js";
import { loadStackConfig } from "./config.js";
import { Backup } from "./backup.js";
import { Credentials } from "./credentials.js";
import { Edge } from "./edge.js";
import { HasuraDatabase } from "./database.js";
import { Hasura } from "./hasura.js";
import { APP_DATABASE, dockerNamePrefix, HASURA_DB_ROLE, HASURA_INTERNAL_PORT, LOOPBACK, POSTGRES_INTERNAL_PORT, stackLabels } from "../core/naming.js";
import { StackNetwork } from "./network.js";
import { Postgres } from "./postgres.js";
import { ScriptStep } from "./script-step.js";

const config = loadStackConfig();
const namePrefix = dockerNamePrefix(config.project, config.stack);
const labels = stackLabels(config.stack, config.production);

const credentials = new Credentials("credentials", {
  configured: config.secrets,
  ...(config.jwt.trust.kind === "local" && config.jwt.trust.publicKeyPem ? { configuredPublicKeyPem: config.jwt.trust.publicKeyPem } : {}),
  localSigning: config.jwt.trust.kind === "local",
});
// Hasura trusts the dev key's public half in local mode, Kinde's JWKS otherwise.
const jwtSecret = credentials.devPublicKeyPem
  ? credentials.devPublicKeyPem.apply((publicKeyPem) => JSON.stringify(hasuraJwtSecret({ ...config.jwt, trust: { kind: "local", publicKeyPem } })))
  : pulumi.output(JSON.stringify(hasuraJwtSecret(config.jwt)));

const network = new StackNetwork("network", { name: `${namePrefix}-net` });

const postgres = new Postgres("postgres", {
  namePrefix,
  image: config.postgres.image,
  networkName: network.name,
  hostPort: config.postgres.port,
  superuserPassword: credentials.postgresPassword,
  protectData: config.production,
  labels,
});

const database = new HasuraDatabase(
  "database",
  {
    hostPort: postgres.hostPort,
    superuserPassword: credentials.postgresPassword,
    hasuraPassword: credentials.hasuraDbPassword,
    // A console that creates tables needs CREATE on `public`; the console is never on in production.
    allowSchemaChanges: config.hasura.console,
  },
  { dependsOn: [postgres] },
);

// The schema. Re-run (a no-op when nothing is pending) when a migration changes or Postgres is
// replaced, in case its volume is new. Nothing but the metadata step needs the tables, so Hasura
// starts beside it rather than after it (the rehearsal prints the resulting critical path).
// The migrations' own connection (superuser, on the host's loopback port): the `hasura` role cannot
// read the runner's bookkeeping.
const migrationsDatabaseUrl = pulumi
  .all([postgres.hostPort, credentials.postgresPassword])
  .apply(([port, password]) => postgresUrl({ user: "postgres", password, host: LOOPBACK, port, database: APP_DATABASE }));
const migrations = new ScriptStep(
  "migrations",
  {
    script: "scripts/migrate.ts up",
    environment: { DATABASE_URL: migrationsDatabaseUrl },
    watch: ["migrations"],
    rerunWhen: [postgres.container.id],
  },
  { dependsOn: [database] },
);

// Kinde mode: Hasura exits when its first JWKS fetch fails, which would show only as a container that
// never becomes healthy; fetch it from here first and fail with the URL and the reason.
const jwksCheck =
  config.jwt.trust.kind === "kinde"
    ? new ScriptStep("jwks-check", {
        script: "scripts/jwks.ts check",
        environment: { JWKS_URL: config.jwt.trust.jwksUrl },
        watch: [],
        // Again when the URL or the Hasura image changes. Hasura fetches the JWKS at every start, also
        // when it is recreated for another reason (a rotated secret, CORS); those are not re-checked.
        rerunWhen: [config.jwt.trust.jwksUrl, config.hasura.image],
      })
    : undefined;

const hasura = new Hasura(
  "hasura",
  {
    namePrefix,
    image: config.hasura.image,
    networkName: network.name,
    hostPort: config.hasura.port,
    databaseUrl: pulumi
      .all([postgres.internalHost, credentials.hasuraDbPassword])
      .apply(([host, password]) =>
        postgresUrl({ user: HASURA_DB_ROLE, password, host, port: POSTGRES_INTERNAL_PORT, database: APP_DATABASE }),
      ),
    adminSecret: credentials.hasuraAdminSecret,
    jwtSecret,
    console: config.hasura.console,
    devMode: config.hasura.devMode,
    corsDomains: config.hasura.corsDomains,
    labels,
  },
  // Hasura needs its role and catalog schema, not the tables: a Hasura started before a migration
  // serves the stored metadata (inconsistent objects reported, not fatal) until the metadata step.
  { dependsOn: jwksCheck ? [database, jwksCheck] : [database] },
);

// Seed data for dev and preview stacks (never production): idempotent, applied again when seeds/
// changes or Postgres is replaced.
if (config.seedOnUp) {
  new ScriptStep(
    "seeds",
    {
      script: "scripts/seed.ts apply",
      environment: { DATABASE_URL: migrationsDatabaseUrl },
      watch: ["seeds"],
      rerunWhen: [postgres.container.id],
    },
    { dependsOn: [migrations] },
  );
}

// Hasura writes its catalog row (hdb_catalog.hdb_version) on start, after a first deploy's
// migrations ran: record them there so `hasura migrate status` and the console agree with what is
// applied instead of running CREATE TABLE again.
new ScriptStep(
  "migrations-sync",
  {
    script: "scripts/migrate.ts sync",
    environment: { DATABASE_URL: migrationsDatabaseUrl },
    watch: ["migrations"],
    rerunWhen: [hasura.container.id, postgres.container.id],
  },
  { dependsOn: [hasura, migrations] },
);

if (config.production && !config.backup) {
  // Allowed (backups may be taken elsewhere), but never silently.
  pulumi.log.warn("This production stack schedules no backups (backupDailyAt: off, backupEveryHours: 0); make sure something else backs it up.");
}

// Scheduled backups (backupDailyAt / backupEveryHours): pg_dump from the stack's own image.
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
        protectData: config.production,
        labels,
      },
      { dependsOn: [postgres] },
    )
  : undefined;

// The public TLS edge, when the stack has a public host: the only container reachable from outside.
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
        protectData: config.production,
        labels,
      },
      { dependsOn: [hasura] },
    )
  : undefined;

// Permissions last: replace_metadata needs the tables and a healthy Hasura. Inconsistent metadata
// fails the update; a replaced Hasura gets it again (idempotent).
const metadata = new ScriptStep(
  "metadata",
  {
    script: "scripts/metadata.ts apply",
    environment: { HASURA_GRAPHQL_ENDPOINT: hasura.url, HASURA_GRAPHQL_ADMIN_SECRET: credentials.hasuraAdminSecret },
    watch: ["metadata"],
    rerunWhen: [hasura.container.id],
  },
  { dependsOn: [hasura, migrations] },
);

// Kinde side, when management credentials are configured: the API for Hasura's audience and the
// app authorizations (scripts/kinde.ts ensure). Without them the README's manual steps apply.
const kindeSetup =
  config.kinde.managementClientId && config.secrets.kindeManagementClientSecret
    ? new ScriptStep("kinde", {
        script: "scripts/kinde.ts ensure",
        environment: {
          KINDE_DOMAIN: config.kinde.managementDomain,
          KINDE_MANAGEMENT_CLIENT_ID: config.kinde.managementClientId,
          KINDE_MANAGEMENT_CLIENT_SECRET: config.secrets.kindeManagementClientSecret,
          KINDE_AUDIENCE: config.jwt.audience,
          KINDE_APP_CLIENT_ID: config.kinde.appClientId ?? "",
          KINDE_SMOKE_CLIENT_ID: config.kinde.smokeClientId ?? "",
        },
        watch: [],
        rerunWhen: [config.kinde.managementDomain, config.jwt.audience, config.kinde.appClientId ?? "", config.kinde.smokeClientId ?? ""],
      })
    : undefined;

// The deployment gate: sign tokens and prove against the live stack that users reach exactly their
// own row; a wrong permission fails `pulumi up`. On by default except in production (smokeOnUp).
if (config.smokeOnUp) {
  const smokeClientSecret = config.secrets.kindeSmokeClientSecret;
  new ScriptStep(
    "smoke",
    {
      script: "scripts/smoke.ts --timeout 120",
      environment: {
        HASURA_GRAPHQL_ENDPOINT: hasura.url,
        HASURA_GRAPHQL_ADMIN_SECRET: credentials.hasuraAdminSecret,
        SMOKE_JWT_POLICY: JSON.stringify(signingPolicy(config.jwt)),
        ...(credentials.devSigningKey ? { DEV_SIGNING_KEY: credentials.devSigningKey } : {}),
        // A real Kinde M2M token for the allowed checks (the hasuraM2MClaims workflow gives it a session).
        ...(config.kinde.smokeClientId && smokeClientSecret
          ? { KINDE_DOMAIN: config.kinde.managementDomain, SMOKE_KINDE_CLIENT_ID: config.kinde.smokeClientId, SMOKE_KINDE_CLIENT_SECRET: smokeClientSecret }
          : {}),
      },
      watch: ["migrations", "metadata"],
      rerunWhen: [hasura.container.id, postgres.container.id],
    },
    { dependsOn: kindeSetup ? [metadata, kindeSetup] : [metadata] },
  );
}

export const hasuraUrl = hasura.url;
// What apps call: the public edge when there is one, else Hasura on the host's loopback.
export const graphqlUrl = edge ? `${edge.url}/v1/graphql` : pulumi.interpolate`${hasura.url}/v1/graphql`;
export const consoleUrl = config.hasura.console ? pulumi.interpolate`${hasura.url}/console` : undefined;
export const jwtIssuer = config.jwt.issuer;
export const jwtAudience = config.jwt.audience;
export const authMode = config.jwt.trust.kind;
export const postgresPort = postgres.hostPort;
// Where scheduled backups land (`docker run --rm -v <volume>:/backups …` reads them), when scheduled.
export const backupVolume = backup?.volumeName;
// Secret outputs: `pulumi stack output hasuraAdminSecret --show-secrets` reads it; without
// --show-secrets Pulumi prints [secret]. The smoke test and `npm run token` read both from here.
export const hasuraAdminSecret = pulumi.secret(credentials.hasuraAdminSecret);
// For `npm run backup|restore -- --stack`: the superuser pg_dump and pg_restore need (secret, like the above).
export const postgresSuperuserPassword = pulumi.secret(credentials.postgresPassword);
export const devSigningKey = credentials.devSigningKey ? pulumi.secret(credentials.devSigningKey) : undefined;

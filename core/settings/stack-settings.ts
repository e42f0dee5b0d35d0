// A stack's configuration, read and validated in one pass before anything is created. Pure: values
// come in as the strings Pulumi stores, out as typed settings or one ConfigError listing every
// problem. Each message names the key, the rule and the bad value (a secret's value never: only its
// length or its kind). infra/config.ts feeds it from Pulumi; scripts feed it from `pulumi config`.
// Each concern reads its own keys (token.ts, containers.ts, edge.ts, backup.ts, credentials.ts,
// kinde.ts, production.ts) into one collector (reader.ts).
import { defaultKindeJwksUrl, type JwtPolicy, kindeIssuer, localIssuer } from "../jwt-policy.js";
import type { BackupSettings } from "./backup.js";
import { readBackup, refuseContainerBackups } from "./backup.js";
import { type HasuraSettings, type PostgresSettings, readHasuraImage, readPostgresImage, readServing } from "./containers.js";
import { type ConfiguredSecrets, checkSecretStorage, readSecrets } from "./credentials.js";
import { type EdgeSettings, readEdge, readPublicHost } from "./edge.js";
import { type KindeSettings, readKinde } from "./kinde.js";
import { type KubernetesSettings, readKubernetes } from "./kubernetes.js";
import { checkProductionRules } from "./production.js";
import { type ConfigLookup, SettingsReader } from "./reader.js";
import { readTokenSettings, type TokenSettings } from "./token.js";
import { readWebApp, type WebAppSettings } from "./web-app.js";

export { ConfigError } from "./reader.js";
export type { BackupSettings, ConfigLookup, EdgeSettings, HasuraSettings, KindeSettings, KubernetesSettings, PostgresSettings, WebAppSettings };

export interface StackSettings {
  project: string;
  stack: string;
  production: boolean;
  /** Where the stack runs: one Docker host (default), or a Kubernetes cluster (`kubernetes` holds the rest). */
  target: "docker" | "kubernetes";
  /** Run the smoke test as the last step of `pulumi up`. Default: on for non-production stacks. */
  smokeOnUp: boolean;
  /** Apply seeds/ after the migrations. Default: on for non-production stacks; never on production. */
  seedOnUp: boolean;
  jwt: JwtPolicy;
  hasura: HasuraSettings;
  postgres: PostgresSettings;
  /** The public TLS edge (Caddy), when the stack serves Hasura beyond the host itself. */
  edge?: EdgeSettings;
  /** Scheduled backups (infra/docker/backup.ts), when a daily time or an interval is set. */
  backup?: BackupSettings;
  /** Kinde mode only: what `scripts/kinde.ts ensure` and the smoke test's real token need. */
  kinde: KindeSettings;
  /** The example front-end's URL and the access-token lifetime `kinde ensure` sets (web-app.ts). */
  webApp: WebAppSettings;
  /** The Kubernetes target's settings (target: kubernetes). */
  kubernetes?: KubernetesSettings;
  /** Configured values only (the program generates what is missing): wrapped as secrets at once, never logged. */
  secrets: ConfiguredSecrets;
}

/**
 * `isSecret(key)`, when the caller can tell, says whether the stack stores `<project>:<key>` encrypted:
 * a secret set without `--secret` sits in plain text in Pulumi.<stack>.yaml and is refused.
 */
export function parseStackSettings(get: ConfigLookup, ctx: { project: string; stack: string }, isSecret?: (key: string) => boolean): StackSettings {
  const r = new SettingsReader(get, ctx, isSecret);
  checkSecretStorage(r);
  const production = r.bool("production");
  const target = readTarget(r);
  const smoke = r.autoFlag("smokeOnUp", production);
  const seed = r.autoFlag("seedOnUp", production);
  if (seed.valid && production && seed.on)
    r.fail("seedOnUp", '"auto" or "false" on a production stack (production: true): seed data never goes to production', seed.raw);
  const token = readTokenSettings(r);
  // Problems are reported in this order (the order of the settings in Pulumi.yaml, mostly).
  const serving = readServing(r);
  const postgres = { image: readPostgresImage(r), port: serving.postgresPort };
  // The Docker target's edge and backup containers; on Kubernetes the Ingress and the database's own backups.
  const edge = target === "docker" ? readEdge(r) : undefined;
  const backup = target === "docker" ? readBackup(r, production) : refuseContainerBackups(r);
  const { hasuraPort: port, console, devMode, corsDomains } = serving;
  const hasura = { image: readHasuraImage(r), port, console, devMode, corsDomains };
  const { secrets, publicKeyPem } = readSecrets(r, token.localMode && !production);
  const kinde = readKinde(r, token, secrets);
  const webApp = readWebApp(r, production, token.localMode);
  if (webApp.accessTokenLifetime !== undefined && !(kinde.appClientId && kinde.managementClientId))
    r.report(
      `${r.name("kindeAccessTokenLifetime")} is set by kinde ensure on the front-end application: set ${r.name("kindeAppClientId")} and ${r.name("kindeManagementClientId")} too, or remove it`,
    );
  const kubernetes =
    target === "kubernetes" ? readKubernetes(r, { production, publicHost: readPublicHost(r), hasura, databaseUrl: secrets.databaseUrl }) : undefined;
  if (target === "docker" && secrets.databaseUrl) {
    r.report(
      `${r.name("databaseUrl")} is for the Kubernetes target with postgresProvider "external"; the Docker target runs its own Postgres: remove it`,
    );
  }
  if (production) {
    const servedPublicly = Boolean(edge ?? kubernetes?.ingress);
    checkProductionRules(r, { localMode: token.localMode, hasura, servedPublicly, secrets, kubernetes: target === "kubernetes" });
  }
  r.throwIfProblems();
  return {
    project: ctx.project,
    stack: ctx.stack,
    production,
    target,
    smokeOnUp: smoke.on,
    seedOnUp: seed.on,
    jwt: jwtPolicy(token, ctx, publicKeyPem),
    hasura,
    postgres,
    ...(edge ? { edge } : {}),
    ...(backup ? { backup } : {}),
    kinde,
    webApp,
    ...(kubernetes ? { kubernetes } : {}),
    secrets,
  };
}

function readTarget(r: SettingsReader): StackSettings["target"] {
  const raw = r.value("target").trim();
  if (raw === "docker" || raw === "kubernetes") return raw;
  r.fail("target", '"docker" (one Docker host) or "kubernetes" (the cluster of the kubeconfig context)', raw);
  return "docker";
}

/** Hasura's token policy: the stack's own issuer and dev key in local mode, Kinde's issuer and JWKS otherwise. */
function jwtPolicy(token: TokenSettings, ctx: { project: string; stack: string }, publicKeyPem: string | undefined): JwtPolicy {
  const { audience, claims, allowedSkew, kindeDomain } = token;
  if (token.localMode) {
    return {
      issuer: localIssuer(ctx.project, ctx.stack),
      audience,
      claims,
      allowedSkew,
      trust: { kind: "local", ...(publicKeyPem ? { publicKeyPem } : {}) },
    };
  }
  const jwksUrl = token.jwksOverride || defaultKindeJwksUrl(kindeDomain);
  return { issuer: kindeIssuer(kindeDomain), audience, claims, allowedSkew, trust: { kind: "kinde", jwksUrl } };
}

// Where the smoke test and the token CLI get a stack's endpoint, secrets and JWT policy: the
// environment first (the deployment gate passes everything that way), the Pulumi CLI for the rest.
import { CLAIMS_MODES, type ClaimsMode, type SigningPolicy, signingPolicy } from "../../../core/jwt-policy.js";
import { inProject } from "../../../core/project-root.js";
import { readStepInputs, STEPS } from "../../../core/steps.js";
import { UsageError } from "../cli/env.js";
import type { Runner } from "../cli/shell.js";
import { loadAccessPolicy } from "../hasura/access-policy.js";
import { loadMetadata } from "../hasura/metadata.js";
import { fetchClientCredentialsToken, kindeTokenUrl } from "../kinde/m2m-token.js";
import { issuerDrift, readDeployedStack } from "../stacks/stack-reader.js";
import type { SmokeTarget } from "./smoke.js";
import { signingKeyFromPem, signUserToken } from "./tokens.js";

// The variables the smoke step is given (core/steps.ts), named in messages as people set them.
const SMOKE_ENV = STEPS.smoke.env;

/** SMOKE_JWT_POLICY, as the deployment gate passes it (JSON of jwt-policy's signingPolicy). */
export function parseSigningPolicy(raw: string): SigningPolicy {
  let value: Partial<SigningPolicy>;
  try {
    value = JSON.parse(raw) as Partial<SigningPolicy>;
  } catch {
    throw new UsageError(
      `SMOKE_JWT_POLICY must be JSON such as {"issuer":"…","audience":"hasura","claims":"namespace","mode":"local"}; got ${JSON.stringify(raw.slice(0, 80))}`,
    );
  }
  const ok =
    typeof value.issuer === "string" &&
    typeof value.audience === "string" &&
    CLAIMS_MODES.includes(value.claims as ClaimsMode) &&
    (value.mode === "local" || value.mode === "kinde") &&
    (value.jwksUrl === undefined || typeof value.jwksUrl === "string");
  if (!ok)
    throw new UsageError(
      `SMOKE_JWT_POLICY needs issuer, audience, claims ("namespace" or "sub") and mode ("local" or "kinde"); got ${raw.slice(0, 200)}`,
    );
  return value as SigningPolicy;
}

export interface ResolvedStack {
  endpoint: string;
  /** SMOKE_ADMIN_ENDPOINT: where run_sql is reached when the endpoint is an edge. */
  adminEndpoint?: string;
  adminSecret: string;
  policy: SigningPolicy;
  devSigningKey?: string;
  /** Kinde mode: an M2M application whose real token the allowed checks use. */
  kindeSmokeClient?: { domain: string; clientId: string; clientSecret: string };
  production: boolean;
  /** Where the values came from, for the log. */
  source: string;
}

export interface ResolveInputs {
  /** --stack: read this stack through Pulumi even when the environment has values. */
  stack?: string;
  /** --endpoint */
  endpoint?: string;
  env: NodeJS.ProcessEnv;
  run: Runner;
  repoRoot: string;
}

export function resolveStack(i: ResolveInputs): ResolvedStack {
  const resolved = resolveStackSettings(i);
  const adminEndpoint = readStepInputs(STEPS.smoke, i.env).inputs.adminEndpoint;
  return adminEndpoint ? { ...resolved, adminEndpoint } : resolved;
}

function resolveStackSettings(i: ResolveInputs): ResolvedStack {
  // The smoke step's variables (core/steps.ts), as the deployment gate passes them.
  const { inputs } = readStepInputs(STEPS.smoke, i.env);
  const envSmokeClient =
    inputs.kindeDomain && inputs.kindeClientId && inputs.kindeClientSecret
      ? { domain: inputs.kindeDomain, clientId: inputs.kindeClientId, clientSecret: inputs.kindeClientSecret }
      : undefined;
  const fromEnv = {
    endpoint: i.endpoint ?? inputs.endpoint,
    adminSecret: inputs.adminSecret,
    policy: inputs.jwtPolicy ? parseSigningPolicy(inputs.jwtPolicy) : undefined,
    devSigningKey: inputs.devSigningKey,
  };
  if (!i.stack && fromEnv.endpoint && fromEnv.adminSecret && fromEnv.policy) {
    return {
      ...fromEnv,
      endpoint: fromEnv.endpoint,
      adminSecret: fromEnv.adminSecret,
      policy: fromEnv.policy,
      ...(envSmokeClient ? { kindeSmokeClient: envSmokeClient } : {}),
      production: false,
      source: "the environment",
    };
  }
  const stack = i.stack ?? "dev";
  const { settings, outputs, credentials } = readDeployedStack(i.run, stack, i.env, i.repoRoot);
  // On Kubernetes, hasuraUrl is the in-cluster Service: only reachable from inside the cluster.
  if (settings.kubernetes && !fromEnv.endpoint) {
    const host = settings.kubernetes.ingress?.host;
    throw new UsageError(
      `Stack ${stack} runs on Kubernetes, where Hasura's Service is inside the cluster: pass --endpoint ${host ? `https://${host}` : "<url>"}, ` +
        `or forward it (\`kubectl --namespace ${settings.kubernetes.namespace} port-forward svc/hasura 8080:80\`) and pass --endpoint http://127.0.0.1:8080`,
    );
  }
  const drift = issuerDrift({ settings, outputs });
  if (drift) throw new UsageError(drift);
  const endpoint = fromEnv.endpoint ?? (typeof outputs.hasuraUrl === "string" ? outputs.hasuraUrl : undefined);
  if (!endpoint) throw new UsageError(`Stack ${stack} has no hasuraUrl output; run npm run up first, or set ${SMOKE_ENV.endpoint.name}`);
  const adminSecret = fromEnv.adminSecret ?? credentials.hasuraAdminSecret;
  if (!adminSecret)
    throw new UsageError(
      `Stack ${stack} has no hasuraAdminSecret in its config or outputs; run npm run up first, or set ${SMOKE_ENV.adminSecret.name}`,
    );
  const devSigningKey = fromEnv.devSigningKey ?? credentials.devSigningKey;
  return {
    endpoint,
    adminSecret,
    policy: signingPolicy(settings.jwt),
    ...(devSigningKey ? { devSigningKey } : {}),
    ...(settings.kinde.smokeClientId && settings.secrets.kindeSmokeClientSecret
      ? {
          kindeSmokeClient: {
            domain: settings.kinde.managementDomain,
            clientId: settings.kinde.smokeClientId,
            clientSecret: settings.secrets.kindeSmokeClientSecret,
          },
        }
      : envSmokeClient
        ? { kindeSmokeClient: envSmokeClient }
        : {}),
    production: settings.production,
    source: `stack ${stack}`,
  };
}

/** Whether metadata/ lets role `user` insert into public.users. */
export function userCanInsert(metadataDir = inProject("metadata")): boolean {
  const users = loadMetadata(metadataDir)
    .sources.flatMap((s) => s.tables)
    .find((t) => t.table.schema === "public" && t.table.name === "users");
  return (users?.insert_permissions ?? []).some((p) => p.role === "user");
}

/**
 * The real Kinde token for the allowed checks, Kinde mode only: SMOKE_TOKEN as given, else one fetched
 * for the smoke M2M application, else none (the smoke then acts as role user through the admin secret).
 */
export async function realKindeToken(
  resolved: ResolvedStack,
  given: string | undefined,
  log: (line: string) => void,
  tokenUrl: (domain: string) => string = kindeTokenUrl,
): Promise<string | undefined> {
  if (resolved.policy.mode !== "kinde") return undefined;
  if (given) {
    log(`Using the Kinde access token in ${SMOKE_ENV.token.name}.`);
    return given;
  }
  const client = resolved.kindeSmokeClient;
  if (!client) return undefined;
  const token = await fetchClientCredentialsToken({
    tokenUrl: tokenUrl(client.domain),
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    audience: resolved.policy.audience,
  });
  log(`Using a real Kinde token for M2M application ${client.clientId} (audience ${resolved.policy.audience}).`);
  return token;
}

export async function smokeTargetOf(
  resolved: ResolvedStack,
  extra: { realToken?: string; healthTimeoutMs: number; log: (line: string) => void },
): Promise<SmokeTarget> {
  const local = resolved.policy.mode === "local";
  if (local && !resolved.devSigningKey)
    throw new UsageError(`This stack uses local signing mode: set ${SMOKE_ENV.devSigningKey.name} (PKCS#8 PEM) or pass --stack`);
  const signingKey = local ? await signingKeyFromPem(resolved.devSigningKey as string) : undefined;
  return {
    endpoint: resolved.endpoint,
    ...(resolved.adminEndpoint ? { adminEndpoint: resolved.adminEndpoint } : {}),
    adminSecret: resolved.adminSecret,
    policy: resolved.policy,
    mode: resolved.policy.mode,
    ...(signingKey ? { signingKey, publicKeyPem: signingKey.publicKey.export({ type: "spki", format: "pem" }).toString() } : {}),
    ...(!local && extra.realToken ? { realToken: extra.realToken } : {}),
    userCanInsert: userCanInsert(),
    access: { metadata: loadMetadata(inProject("metadata")), policy: loadAccessPolicy(inProject("metadata")) },
    healthTimeoutMs: extra.healthTimeoutMs,
    log: extra.log,
  };
}

/** The longest a dev token may live: a day, so a leaked one does not work for long. */
export const MAX_DEV_TOKEN_SECONDS = 24 * 3600;

/** A dev token for `sub`, for local frontends and curl; refused for production and Kinde-mode stacks. */
export async function devToken(resolved: ResolvedStack, sub: string, ttl: string): Promise<string> {
  const match = /^(\d{1,7})([smhd])$/.exec(ttl);
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"] : NaN;
  if (!(seconds >= 1 && seconds <= MAX_DEV_TOKEN_SECONDS)) {
    throw new UsageError(`--ttl must be from 1s to 24h, a number with s, m, h or d such as 1h; got ${JSON.stringify(ttl)}`);
  }
  if (!/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/.test(sub)) {
    throw new UsageError(
      `--sub must be a user id such as kp_1234 (printable, no leading or trailing spaces, at most 255 characters); got ${JSON.stringify(sub.slice(0, 80))}`,
    );
  }
  if (resolved.production) throw new UsageError(`Refusing: ${resolved.source} is a production stack; tokens for it come from Kinde only`);
  if (resolved.policy.mode !== "local") {
    throw new UsageError(
      `Refusing: ${resolved.source} trusts Kinde (${resolved.policy.issuer}), not a dev key; get an access token from Kinde instead`,
    );
  }
  if (!resolved.devSigningKey) {
    throw new UsageError(
      `${resolved.source} has no dev signing key in its config or outputs yet; run npm run up (the first up generates it), or set ${SMOKE_ENV.devSigningKey.name}`,
    );
  }
  return signUserToken(resolved.policy, await signingKeyFromPem(resolved.devSigningKey), sub, { expiresIn: ttl });
}

// Guardrails every kinde-hasura stack must pass, checked on the resources `pulumi preview`/`up` is
// about to create. This folder is a CommonJS package of its own (Pulumi loads policy packs with
// require), so it imports nothing from the ESM program; the infra labels each Docker object with
// `kinde-hasura.production`, which is how a policy knows a production stack.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

const CONTAINER = "docker:index/container:Container";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const MIN_PRODUCTION_ADMIN_SECRET = 32;

type Report = (message: string) => void;

interface Label {
  label: string;
  value: string;
}

function isProduction(props: Record<string, unknown>): boolean {
  const labels = (props.labels as Label[] | undefined) ?? [];
  return labels.some((l) => l.label === "kinde-hasura.production" && l.value === "true");
}

function envOf(props: Record<string, unknown>): Map<string, string> {
  const envs = (props.envs as string[] | undefined) ?? [];
  return new Map(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** Hasura containers are the ones configured through HASURA_GRAPHQL_* variables. */
function hasuraEnv(args: ResourceValidationArgs): Map<string, string> | undefined {
  if (args.type !== CONTAINER) return undefined;
  const env = envOf(args.props);
  return [...env.keys()].some((k) => k.startsWith("HASURA_GRAPHQL_")) ? env : undefined;
}

export const adminSecretSet: ResourceValidationPolicy = {
  name: "hasura-admin-secret",
  description: "Hasura has an admin secret (JWT mode requires one), of 32+ characters in production.",
  validateResource: (args, report: Report) => {
    const env = hasuraEnv(args);
    if (!env) return;
    const secret = env.get("HASURA_GRAPHQL_ADMIN_SECRET") ?? "";
    if (secret === "") report("Hasura has no HASURA_GRAPHQL_ADMIN_SECRET: anyone could use the metadata API. Set hasuraAdminSecret.");
    else if (isProduction(args.props) && secret.length < MIN_PRODUCTION_ADMIN_SECRET) {
      report(`Hasura's admin secret is ${secret.length} characters on a production stack; use ${MIN_PRODUCTION_ADMIN_SECRET} or more.`);
    }
  },
};

export const jwtSecretSet: ResourceValidationPolicy = {
  name: "hasura-jwt-secret",
  description: "Hasura verifies tokens (JWT secret with issuer and audience); production trusts Kinde's https JWKS, not a local key.",
  validateResource: (args, report: Report) => {
    const env = hasuraEnv(args);
    if (!env) return;
    const raw = env.get("HASURA_GRAPHQL_JWT_SECRET");
    if (!raw) return report("Hasura has no HASURA_GRAPHQL_JWT_SECRET: tokens would not be verified.");
    let secret: Record<string, unknown>;
    try {
      secret = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return report("HASURA_GRAPHQL_JWT_SECRET is not JSON.");
    }
    if (!secret.issuer || !secret.audience)
      report("HASURA_GRAPHQL_JWT_SECRET must set both issuer and audience (Hasura lets tokens without them through otherwise).");
    if (isProduction(args.props)) {
      const jwkUrl = typeof secret.jwk_url === "string" ? secret.jwk_url : "";
      if (secret.key !== undefined || !jwkUrl.startsWith("https://")) {
        report(`A production Hasura must trust Kinde's JWKS over https (jwk_url), not a local key; got ${jwkUrl ? `jwk_url ${jwkUrl}` : "a key"}.`);
      }
    }
  },
};

export const productionHardening: ResourceValidationPolicy = {
  name: "hasura-production-hardening",
  description: "In production Hasura serves no console, no dev mode, and no CORS wildcard.",
  validateResource: (args, report: Report) => {
    const env = hasuraEnv(args);
    if (!env || !isProduction(args.props)) return;
    reportUnhardened(env, report);
  },
};

/** Production Hasura's environment, on either target: no console, no dev mode, no CORS wildcard. */
function reportUnhardened(env: Map<string, string | undefined>, report: Report): void {
  if (env.get("HASURA_GRAPHQL_ENABLE_CONSOLE") !== "false")
    report("The Hasura console must be off in production (HASURA_GRAPHQL_ENABLE_CONSOLE=false).");
  if (env.get("HASURA_GRAPHQL_DEV_MODE") !== "false") report("Hasura dev mode must be off in production (HASURA_GRAPHQL_DEV_MODE=false).");
  if ((env.get("HASURA_GRAPHQL_CORS_DOMAIN") ?? "*").includes("*")) report("CORS must list exact origins in production, not *.");
}

export const postgresLoopbackOnly: ResourceValidationPolicy = {
  name: "postgres-loopback-only",
  description: "Postgres is never published beyond 127.0.0.1.",
  validateResource: (args, report: Report) => {
    if (args.type !== CONTAINER) return;
    const ports = (args.props.ports as Array<{ internal: number; external?: number; ip?: string }> | undefined) ?? [];
    const isPostgres = ports.some((p) => p.internal === 5432) || String(args.props.name ?? "").endsWith("-postgres");
    if (!isPostgres) return;
    for (const p of ports) {
      // Docker's default ip is 0.0.0.0: every interface.
      if ((p.ip ?? "0.0.0.0") !== "127.0.0.1")
        report(`Postgres port ${p.internal} is published on ${p.ip ?? "0.0.0.0 (the default)"}; publish it on 127.0.0.1 only.`);
    }
  },
};

export const onlyEdgePublic: ResourceValidationPolicy = {
  name: "only-edge-public",
  description: "No container but the TLS edge publishes a port beyond 127.0.0.1, and the edge only 80 and 443.",
  validateResource: (args, report: Report) => {
    if (args.type !== CONTAINER) return;
    const labels = (args.props.labels as Label[] | undefined) ?? [];
    const isEdge = labels.some((l) => l.label === "kinde-hasura.role" && l.value === "edge");
    const ports = (args.props.ports as Array<{ internal: number; ip?: string }> | undefined) ?? [];
    for (const p of ports) {
      if ((p.ip ?? "0.0.0.0") === "127.0.0.1") continue;
      if (!isEdge)
        report(
          `Container ${String(args.props.name)} publishes port ${p.internal} on ${p.ip ?? "0.0.0.0 (the default)"}; only the ` +
            `TLS edge may be reachable from outside: publish it on 127.0.0.1.`,
        );
      else if (p.internal !== 80 && p.internal !== 443) report(`The TLS edge publishes port ${p.internal}; it may publish 80 and 443 only.`);
    }
  },
};

/** An exact version tag (major.minor at least, not latest), optionally with a digest. */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/-]*:(?!latest(@|$))[A-Za-z0-9_.-]*\d+\.\d+[A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$/;

export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description: "Images are pinned to an exact version (optionally a digest), never latest or a bare major.",
  validateResource: (args, report: Report) => {
    if (args.type !== REMOTE_IMAGE) return;
    const name = String(args.props.name ?? "");
    if (!PINNED_IMAGE.test(name)) report(`Image ${JSON.stringify(name)} is not pinned to an exact version such as postgres:17.6.`);
  },
};

export const productionVolumeProtected: ResourceValidationPolicy = {
  name: "production-volume-protected",
  description: "A production data volume is protected from deletion.",
  validateResource: (args, report: Report) => {
    if (args.type !== VOLUME || !isProduction(args.props)) return;
    if (!args.opts.protect) report(`Production volume ${String(args.props.name)} is not protected; set protect (and retainOnDelete).`);
  },
};

// The Kubernetes target. Its objects carry the label `kinde-hasura.production` in metadata.labels.
const K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const K8S_JOB = "kubernetes:batch/v1:Job";
const K8S_SERVICE = "kubernetes:core/v1:Service";
const K8S_INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
/** Environment variables that carry a credential. */
const CREDENTIAL_VARIABLE = /SECRET|PASSWORD|DATABASE_URL|SIGNING_KEY/;

interface K8sEnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface K8sContainer {
  name: string;
  image?: string;
  env?: K8sEnvVar[];
}

function k8sProduction(props: Record<string, unknown>): boolean {
  const labels = ((props.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<string, string>;
  return labels["kinde-hasura.production"] === "true";
}

function k8sContainers(args: ResourceValidationArgs): K8sContainer[] {
  if (args.type !== K8S_DEPLOYMENT && args.type !== K8S_JOB) return [];
  const spec = args.props.spec as { template?: { spec?: { containers?: K8sContainer[] } } } | undefined;
  return spec?.template?.spec?.containers ?? [];
}

export const k8sCredentialsByReference: ResourceValidationPolicy = {
  name: "kubernetes-credentials-by-reference",
  description: "On Kubernetes, credentials reach containers only through Secrets (secretKeyRef), never as a plain env value.",
  validateResource: (args, report: Report) => {
    for (const c of k8sContainers(args)) {
      for (const e of c.env ?? []) {
        if (CREDENTIAL_VARIABLE.test(e.name) && e.value !== undefined)
          report(`Container ${c.name} gets ${e.name} as a plain value; take it from a Secret (valueFrom.secretKeyRef).`);
      }
    }
  },
};

export const k8sProductionHardening: ResourceValidationPolicy = {
  name: "kubernetes-production-hardening",
  description:
    "On a production Kubernetes stack, Hasura serves no console, no dev mode and no CORS wildcard, and Hasura and the Jobs run images pinned by digest.",
  validateResource: (args, report: Report) => {
    if (!k8sProduction(args.props)) return;
    for (const c of k8sContainers(args)) {
      if (!/@sha256:[a-f0-9]{64}$/.test(c.image ?? ""))
        report(`Container ${c.name} runs ${JSON.stringify(c.image)}; pin it by digest on production.`);
      const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
      if ([...env.keys()].some((k) => k.startsWith("HASURA_GRAPHQL_ENABLE"))) reportUnhardened(env, report);
    }
  },
};

export const k8sOnlyIngressPublic: ResourceValidationPolicy = {
  name: "kubernetes-only-ingress-public",
  description: "On Kubernetes, Services stay inside the cluster (ClusterIP), and the Ingress exposes /v1/graphql and /healthz only.",
  validateResource: (args, report: Report) => {
    if (args.type === K8S_SERVICE) {
      const type = (args.props.spec as { type?: string } | undefined)?.type ?? "ClusterIP";
      if (type !== "ClusterIP")
        report(
          `Service ${JSON.stringify((args.props.metadata as { name?: string })?.name)} is ${type}; only the Ingress may be reachable from outside.`,
        );
    }
    if (args.type === K8S_INGRESS) {
      const rules = ((args.props.spec as { rules?: Array<{ http?: { paths?: Array<{ path?: string; pathType?: string }> } }> })?.rules ??
        []) as Array<{
        http?: { paths?: Array<{ path?: string; pathType?: string }> };
      }>;
      for (const p of rules.flatMap((r) => r.http?.paths ?? [])) {
        if (!["/v1/graphql", "/healthz"].includes(p.path ?? "") || p.pathType !== "Exact")
          report(`The Ingress exposes ${p.pathType ?? "?"} ${p.path ?? "?"}; it may expose Exact /v1/graphql and /healthz only.`);
      }
    }
  },
};

export const k8sProductionDatabaseProtected: ResourceValidationPolicy = {
  name: "kubernetes-production-database-protected",
  description: "A production CloudNativePG cluster is protected from deletion and runs at least two instances.",
  validateResource: (args, report: Report) => {
    if (args.type !== CNPG_CLUSTER || !k8sProduction(args.props)) return;
    if (!args.opts.protect) report("The production CloudNativePG cluster is not protected; set protect.");
    const instances = (args.props.spec as { instances?: number } | undefined)?.instances ?? 1;
    if (instances < 2) report(`The production CloudNativePG cluster runs ${instances} instance(s); run at least 2.`);
  },
};

export const policies: ResourceValidationPolicy[] = [
  k8sCredentialsByReference,
  k8sProductionHardening,
  k8sOnlyIngressPublic,
  k8sProductionDatabaseProtected,
  adminSecretSet,
  jwtSecretSet,
  productionHardening,
  postgresLoopbackOnly,
  onlyEdgePublic,
  imagesPinned,
  productionVolumeProtected,
];

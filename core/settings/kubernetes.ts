// The Kubernetes target (target: kubernetes): which cluster and namespace, where Postgres comes from
// (a CloudNativePG cluster or an external database), how many Hasura replicas and how many database
// connections they may hold, the Ingress, and the tools image the step Jobs run.
import { parseImageReference } from "./config-values.js";
import type { HasuraSettings } from "./containers.js";
import type { SettingsReader } from "./reader.js";

/**
 * Every Hasura replica's metadata-storage pool, on top of its `default` source pool. Hasura sizes it
 * with HASURA_GRAPHQL_PG_CONNECTIONS (default 50; hasura/graphql-engine server/src-lib/Hasura/App.hs,
 * mkConnParams), which the Kubernetes target sets to this.
 */
export const METADATA_POOL_PER_REPLICA = 5;
/** Connections kept free for the step Jobs, the operator and people: superuser_reserved_connections (3) and some. */
export const CONNECTION_RESERVE = 10;
/**
 * Replicas beyond the autoscaler's maximum during a rolling update: one surging in (maxSurge 1) and one
 * still finishing its work in its shutdown grace, both holding their pools.
 */
export const ROLLOUT_SURGE = 2;
/**
 * Ports only transaction-mode poolers use: Supabase's transaction pooler (supabase.com/docs/guides/database/
 * connecting-to-postgres). PgBouncer's 6432 serves either mode, so it is not refused.
 */
export const TRANSACTION_POOLER_PORTS = [6543];

export type DatabaseSettings =
  | { kind: "cnpg"; instances: number; image: string; storageSize: string; installOperator: boolean; maxConnections: number }
  | { kind: "external"; maxConnections: number };

export interface KubernetesSettings {
  /** The kubeconfig context; undefined: the current one. */
  context?: string;
  namespace: string;
  database: DatabaseSettings;
  hasura: { minReplicas: number; maxReplicas: number; poolSize: number };
  /** The Ingress, when the stack has a public host. */
  ingress?: { host: string; className?: string; tlsSecret: string; clusterIssuer?: string };
  /** The image the step Jobs run: this repository's scripts (`npm run tools-image`). */
  toolsImage: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A Secret's name: a DNS subdomain (lower case, digits, - and ., at most 253). */
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** Namespaces the cluster or the operator own: a stack never deploys into them. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "cnpg-system"];

/** `<project>-<stack>` as a namespace name: lower case, other characters as -, at most 63. */
export function defaultNamespace(project: string, stack: string): string {
  return `${project}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
}

export function readKubernetes(
  r: SettingsReader,
  s: { production: boolean; publicHost: string; hasura: HasuraSettings; databaseUrl: string | undefined },
): KubernetesSettings {
  const contextRaw = r.value("kubeContext").trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\s\x00-\x1f]/.test(contextRaw))
    r.fail("kubeContext", "a kubeconfig context name without spaces, or empty for the current context", contextRaw);
  const namespaceRaw = r.value("kubeNamespace").trim() || defaultNamespace(r.ctx.project, r.ctx.stack);
  if (!NAME.test(namespaceRaw)) r.fail("kubeNamespace", "a Kubernetes namespace name (lower-case letters, digits and -, at most 63)", namespaceRaw);
  else if (RESERVED_NAMESPACES.includes(namespaceRaw) || namespaceRaw.startsWith("kube-"))
    r.fail("kubeNamespace", "a namespace of the stack's own, not one the cluster or the operator uses", namespaceRaw);

  const database = readDatabase(r, s.production, s.databaseUrl);
  const hasura = readReplicas(r, s.production);
  checkConnectionBudget(r, database.maxConnections, hasura);

  const toolsImage = r.value("toolsImage").trim();
  const tools = parseImageReference(toolsImage);
  if (toolsImage === "") {
    r.report(
      `${r.name("toolsImage")} is required on the Kubernetes target (the step Jobs run it): build it with \`npm run tools-image\` and set what it prints`,
    );
  } else if (toolsImage !== "" && (!tools || (!tools.digest && !tools.tag))) {
    r.fail("toolsImage", "an image reference such as registry.example.com/kinde-hasura-tools@sha256:<digest>", toolsImage);
  } else if (s.production && tools && !tools.digest) {
    r.fail("toolsImage", "pinned by digest (…@sha256:<digest>) on a production stack", toolsImage);
  }
  if (s.production && !parseImageReference(s.hasura.image)?.digest) {
    r.fail("hasuraImage", "pinned by digest (hasura/graphql-engine:v2.x.y@sha256:<digest>) on a production Kubernetes stack", s.hasura.image);
  }
  // The console's table editor needs CREATE on `public`, which the Kubernetes target never grants (tables come from migrations).
  if (s.hasura.console) r.fail("hasuraConsole", "false on the Kubernetes target (tables come from migrations; the console is not served)", "true");

  const ingressClass = r.value("ingressClass").trim();
  if (ingressClass !== "" && !NAME.test(ingressClass)) r.fail("ingressClass", "an IngressClass name such as traefik", ingressClass);
  const issuer = r.value("certManagerIssuer").trim();
  if (issuer !== "" && !NAME.test(issuer)) r.fail("certManagerIssuer", "a cert-manager ClusterIssuer name such as letsencrypt", issuer);
  const tlsSecretRaw = r.value("ingressTlsSecret").trim();
  const tlsSecret = tlsSecretRaw || `${namespaceRaw}-tls`;
  // Only a name the user set, or one made from a valid namespace, is worth judging.
  if (s.publicHost && (tlsSecretRaw !== "" || NAME.test(namespaceRaw)) && !SUBDOMAIN.test(tlsSecret))
    r.fail("ingressTlsSecret", "a Secret name (lower-case letters, digits, - and .)", tlsSecretRaw);
  const ingress = s.publicHost
    ? { host: s.publicHost, tlsSecret, ...(ingressClass ? { className: ingressClass } : {}), ...(issuer ? { clusterIssuer: issuer } : {}) }
    : undefined;

  return { ...(contextRaw ? { context: contextRaw } : {}), namespace: namespaceRaw, database, hasura, ...(ingress ? { ingress } : {}), toolsImage };
}

function readDatabase(r: SettingsReader, production: boolean, databaseUrl: string | undefined): DatabaseSettings {
  const provider = r.value("postgresProvider").trim();
  const maxConnections =
    r.wholeNumber("postgresMaxConnections", r.value("postgresMaxConnections").trim(), 20, 10_000, "a whole number from 20 to 10000") ?? 100;
  if (provider === "external") {
    if (!databaseUrl) {
      r.report(
        `${r.name("databaseUrl")} is required with postgresProvider "external": ` +
          `set it with \`pulumi config set --secret ${r.name("databaseUrl")} postgres://…\` (a direct or session-mode connection)`,
      );
    } else {
      const problem = externalUrlProblem(databaseUrl);
      if (problem) r.report(`${r.name("databaseUrl")} ${problem} (its contents are not shown)`);
    }
    return { kind: "external", maxConnections };
  }
  if (provider !== "cnpg") r.fail("postgresProvider", '"cnpg" (a CloudNativePG cluster in the namespace) or "external" (databaseUrl)', provider);
  if (databaseUrl)
    r.report(`${r.name("databaseUrl")} is set but postgresProvider is "cnpg"; set postgresProvider to "external", or remove databaseUrl`);
  const instancesRaw = r.value("cnpgInstances").trim();
  const instances =
    instancesRaw === "auto"
      ? production
        ? 3
        : 1
      : (r.wholeNumber("cnpgInstances", instancesRaw, 1, 9, '"auto" (3 on production, 1 elsewhere) or 1 to 9') ?? 1);
  if (production && instances < 2)
    r.fail("cnpgInstances", `at least 2 on a production stack (a primary and a standby to fail over to)`, instancesRaw);
  const image = r.value("cnpgImage").trim();
  const ref = parseImageReference(image);
  const major = Number(/^(\d+)\.\d+/.exec(ref?.tag ?? "")?.[1]);
  if (!ref || !(major >= 13 && major <= 18))
    r.fail(
      "cnpgImage",
      "a PostgreSQL 13 to 18 operand image at an exact version such as ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie",
      image,
    );
  const storageSize = r.value("cnpgStorageSize").trim();
  if (!/^[1-9]\d{0,5}(Mi|Gi|Ti)$/.test(storageSize)) r.fail("cnpgStorageSize", "a volume size such as 10Gi", storageSize);
  const operator = r.value("cnpgOperator").trim();
  if (operator !== "install" && operator !== "present") {
    r.fail("cnpgOperator", '"install" (a pinned Helm release in cnpg-system) or "present" (the cluster already runs the operator)', operator);
  }
  return { kind: "cnpg", instances, image, storageSize, installOperator: operator !== "present", maxConnections };
}

function readReplicas(r: SettingsReader, production: boolean): KubernetesSettings["hasura"] {
  const replicas = (key: "hasuraMinReplicas" | "hasuraMaxReplicas", auto: number) => {
    const raw = r.value(key).trim();
    return raw === "auto" ? auto : (r.wholeNumber(key, raw, 1, 50, `"auto" or a whole number from 1 to 50`) ?? auto);
  };
  const minReplicas = replicas("hasuraMinReplicas", production ? 2 : 1);
  const maxReplicas = replicas("hasuraMaxReplicas", production ? 6 : 2);
  if (maxReplicas < minReplicas)
    r.report(`${r.name("hasuraMaxReplicas")} (${maxReplicas}) must be at least ${r.name("hasuraMinReplicas")} (${minReplicas})`);
  if (production && minReplicas < 2)
    r.fail("hasuraMinReplicas", "at least 2 on a production stack (one replica down must not take the API down)", String(minReplicas));
  const poolSize =
    r.wholeNumber("hasuraPoolSize", r.value("hasuraPoolSize").trim(), 1, 500, "a whole number of connections per replica from 1 to 500") ?? 1;
  return { minReplicas, maxReplicas, poolSize };
}

/** The most connections Hasura can hold at once: every replica the autoscaler may run, plus one starting and one stopping in a rollout. */
export function peakHasuraConnections(h: KubernetesSettings["hasura"]): number {
  return (h.maxReplicas + ROLLOUT_SURGE) * (h.poolSize + METADATA_POOL_PER_REPLICA);
}

function checkConnectionBudget(r: SettingsReader, maxConnections: number, h: KubernetesSettings["hasura"]): void {
  const peak = peakHasuraConnections(h);
  const budget = maxConnections - CONNECTION_RESERVE;
  if (peak > budget) {
    r.report(
      `Hasura may open ${peak} database connections ((hasuraMaxReplicas ${h.maxReplicas} + ${ROLLOUT_SURGE} in a rollout, starting and stopping) × ` +
        `(hasuraPoolSize ${h.poolSize} + ${METADATA_POOL_PER_REPLICA} for metadata)), more than postgresMaxConnections ${maxConnections} ` +
        `less ${CONNECTION_RESERVE} kept for the step Jobs and operators; lower hasuraMaxReplicas or hasuraPoolSize, or raise postgresMaxConnections`,
    );
  }
}

/**
 * Why an external database URL cannot serve Hasura and the migrations, or undefined. Hasura's
 * metadata connection and the runner's session advisory lock need a session: a transaction-mode pooler
 * (Supabase's port 6543, Neon's `-pooler` hosts, which run PgBouncer in transaction mode) breaks them.
 */
export function externalUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be a postgres:// URL (percent-encode @ : / # ? in the password)";
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return "must be a postgres:// or postgresql:// URL";
  if (!url.hostname || !url.username || url.pathname.length < 2) return "must name a host, a user and a database";
  if (url.searchParams.has("password")) return "must carry its password before the @, not as ?password=";
  if (TRANSACTION_POOLER_PORTS.includes(Number(url.port))) {
    return `names port ${url.port}, Supabase's transaction-mode pooler; use the direct or session-mode port (5432): Hasura and the migrations need a session`;
  }
  if (/-pooler\./.test(url.hostname)) {
    return "names a pooled host (Neon's -pooler endpoints); use the direct host: Hasura and the migrations need a session";
  }
  return undefined;
}

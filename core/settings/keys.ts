// The stack's configuration keys: defaults for the plain ones (the same as Pulumi.yaml's `config:` block,
// tests/program/stack-settings.test.ts keeps them equal) and the secrets, which Pulumi.yaml never declares.

export const DEFAULTS = {
  production: "false",
  smokeOnUp: "auto",
  seedOnUp: "auto",
  kindeDomain: "",
  kindeManagementDomain: "",
  kindeAudience: "hasura",
  kindeClaims: "namespace",
  kindeJwksUrl: "",
  jwtAllowedSkew: "30",
  hasuraPort: "0",
  postgresPort: "0",
  hasuraConsole: "false",
  hasuraDevMode: "false",
  // The example app (npm run web) serves on 127.0.0.1:3000; localhost:3000 is the usual dev server.
  hasuraCorsDomains: "http://localhost:3000,http://127.0.0.1:3000",
  postgresImage: "postgres:17.6",
  publicHost: "",
  acmeEmail: "",
  externalEdge: "",
  // Caddy 2.11.3: the newest release in Docker's official images when pinned (2026-05-12); the edge
  // uses only directives Caddy 2.6 (Debian's, in the tests) understands the same way.
  edgeImage: "caddy:2.11.3",
  backupDailyAt: "auto",
  backupEveryHours: "0",
  backupRetention: "7",
  backupHostDir: "",
  hasuraImage: "hasura/graphql-engine:v2.48.16",
  kindeManagementClientId: "",
  kindeAppClientId: "",
  kindeSmokeClientId: "",
  kindeAccessTokenLifetime: "",
  webAppUrl: "",
  // The Kubernetes target (core/settings/kubernetes.ts); ignored on the Docker target.
  target: "docker",
  kubeContext: "",
  kubeNamespace: "",
  postgresProvider: "cnpg",
  cnpgOperator: "install",
  cnpgInstances: "auto",
  cnpgImage: "ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie",
  cnpgStorageSize: "10Gi",
  postgresMaxConnections: "200",
  hasuraMinReplicas: "auto",
  hasuraMaxReplicas: "auto",
  hasuraPoolSize: "15",
  ingressClass: "",
  ingressTlsSecret: "",
  certManagerIssuer: "",
  toolsImage: "",
} as const;
export type PlainKey = keyof typeof DEFAULTS;

/**
 * Credentials the program generates when the stack sets none (RandomPassword, tls PrivateKey): a
 * configured value always wins. None is declared in Pulumi.yaml: a declared secret needs a value or a
 * plaintext default, and the CLI refuses both for an unset secret.
 */
export const SECRET_KEYS = ["hasuraAdminSecret", "postgresPassword", "hasuraDbPassword", "devSigningKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
/** Secrets issued by Kinde: optional, never generated. */
export const KINDE_SECRET_KEYS = ["kindeManagementClientSecret", "kindeSmokeClientSecret"] as const;
/** The Kubernetes target's external database (postgresProvider: external). */
export const EXTERNAL_DATABASE_KEYS = ["databaseUrl"] as const;
/** Every secret the program reads; all are optional and set only with `pulumi config set --secret`. */
export const OPTIONAL_SECRET_KEYS = [...SECRET_KEYS, ...KINDE_SECRET_KEYS, ...EXTERNAL_DATABASE_KEYS] as const;
export type OptionalSecretKey = (typeof OPTIONAL_SECRET_KEYS)[number];

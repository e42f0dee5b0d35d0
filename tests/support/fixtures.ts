// Stack configurations the tests run the program with. Keys are generated per run: a committed
// private key is a leaked key.
import { generateKeyPairSync } from "node:crypto";

export function rsaKeyPair(modulusLength = 2048): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

export const SECRET_KEYS = ["hasuraAdminSecret", "postgresPassword", "hasuraDbPassword", "devSigningKey"];

/** What Pulumi.dev.yaml sets plus the secrets `npm run up` generates. */
export function devConfig(signingKeyPem: string): Record<string, string> {
  return {
    hasuraPort: "8080",
    postgresPort: "15432",
    hasuraConsole: "true",
    hasuraDevMode: "true",
    hasuraAdminSecret: "dev-admin-secret-0123456789abcdef",
    postgresPassword: "pg-p@ss/word:with?odd#chars%",
    hasuraDbPassword: "hasura-db-password-123",
    devSigningKey: signingKeyPem,
  };
}

/** A production stack trusting a Kinde business domain. */
export function prodKindeConfig(): Record<string, string> {
  return {
    production: "true",
    kindeDomain: "https://acme.kinde.com",
    kindeAudience: "hasura",
    kindeClaims: "namespace",
    hasuraPort: "8443",
    postgresPort: "25432",
    hasuraCorsDomains: "https://app.acme.com",
    publicHost: "api.acme.com",
    acmeEmail: "ops@acme.com",
    hasuraAdminSecret: "Prod-Admin-Secret-That-Is-Long-Enough-0123456789",
    postgresPassword: "Prod-Postgres-Password-0123456789-abcdef",
    hasuraDbPassword: "Prod-Hasura-Db-Password-0123456789-abcdef",
  };
}

/** A digest of the right shape for images a production Kubernetes stack must pin. It names no real image. */
export const TEST_DIGEST = `sha256:${"ab".repeat(32)}`;

/** The least a production Kubernetes stack needs: Kinde, exact origins, a public host and digest-pinned images. */
export function prodKubernetesConfig(): Record<string, string> {
  return {
    production: "true",
    target: "kubernetes",
    kindeDomain: "acme.kinde.com",
    hasuraCorsDomains: "https://app.acme.com",
    publicHost: "api.acme.com",
    hasuraImage: `hasura/graphql-engine:v2.48.16@${TEST_DIGEST}`,
    toolsImage: `registry.acme.com/kinde-hasura-tools@${TEST_DIGEST}`,
  };
}

/** A preview Kubernetes stack: local signing, a tools image by tag. */
export function previewKubernetesConfig(): Record<string, string> {
  return { target: "kubernetes", toolsImage: "registry.acme.com/kinde-hasura-tools:1.0.0" };
}

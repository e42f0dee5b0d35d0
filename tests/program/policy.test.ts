// The policy pack's rules, called directly on hand-built resource inputs (passing and failing), and
// on every resource the program itself registers for a dev and a production stack.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import {
  adminSecretSet,
  imagesPinned,
  jwtSecretSet,
  k8sCredentialsByReference,
  k8sOnlyIngressPublic,
  k8sProductionDatabaseProtected,
  k8sProductionHardening,
  onlyEdgePublic,
  policies,
  postgresLoopbackOnly,
  productionHardening,
  productionVolumeProtected,
} from "../../infra/policy/policies.js";
import {
  devConfig,
  previewKubernetesConfig,
  prodKindeConfig,
  prodKubernetesConfig,
  rsaKeyPair,
  SECRET_KEYS,
  TEST_DIGEST,
} from "../support/fixtures.js";
import { isSecretValue, type Registration, runProgram } from "../support/pulumi-program.js";

const CONTAINER = "docker:index/container:Container";
const PROD = [{ label: "kinde-hasura.production", value: "true" }];
const DEV = [{ label: "kinde-hasura.production", value: "false" }];

function args(type: string, props: Record<string, unknown>, protect = false): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:test::kinde-hasura::${type}::r`,
    name: "r",
    opts: {
      protect,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: () => {
      throw new Error("not applicable");
    },
  };
}

async function violations(policy: ResourceValidationPolicy, a: ResourceValidationArgs): Promise<string[]> {
  const found: string[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const v of validations) await v?.(a, (message: string) => found.push(message));
  return found;
}

const hasuraEnvs = (overrides: Record<string, string | undefined>) => {
  const env: Record<string, string | undefined> = {
    HASURA_GRAPHQL_ADMIN_SECRET: "a".repeat(40),
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({
      jwk_url: "https://acme.kinde.com/.well-known/jwks",
      issuer: "https://acme.kinde.com",
      audience: "hasura",
    }),
    HASURA_GRAPHQL_ENABLE_CONSOLE: "false",
    HASURA_GRAPHQL_DEV_MODE: "false",
    HASURA_GRAPHQL_CORS_DOMAIN: "https://app.acme.com",
    ...overrides,
  };
  return Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
};
const hasura = (overrides: Record<string, string | undefined>, labels = PROD) => args(CONTAINER, { envs: hasuraEnvs(overrides), labels });

describe("policy: hasura-admin-secret", () => {
  it("passes a long admin secret and fails a missing or short one in production", async () => {
    expect(await violations(adminSecretSet, hasura({}))).toEqual([]);
    expect(await violations(adminSecretSet, hasura({ HASURA_GRAPHQL_ADMIN_SECRET: undefined }))).toEqual([
      "Hasura has no HASURA_GRAPHQL_ADMIN_SECRET: anyone could use the metadata API. Set hasuraAdminSecret.",
    ]);
    expect(await violations(adminSecretSet, hasura({ HASURA_GRAPHQL_ADMIN_SECRET: "short" }))).toEqual([
      "Hasura's admin secret is 5 characters on a production stack; use 32 or more.",
    ]);
    expect(await violations(adminSecretSet, hasura({ HASURA_GRAPHQL_ADMIN_SECRET: "short" }, DEV))).toEqual([]);
  });
});

describe("policy: hasura-jwt-secret", () => {
  it("passes Kinde's https JWKS and fails a missing secret, a missing audience, or a local key in production", async () => {
    expect(await violations(jwtSecretSet, hasura({}))).toEqual([]);
    expect(await violations(jwtSecretSet, hasura({ HASURA_GRAPHQL_JWT_SECRET: undefined }))).toEqual([
      "Hasura has no HASURA_GRAPHQL_JWT_SECRET: tokens would not be verified.",
    ]);
    expect(
      await violations(
        jwtSecretSet,
        hasura({ HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ jwk_url: "https://x.kinde.com/.well-known/jwks", issuer: "https://x.kinde.com" }) }),
      ),
    ).toEqual(["HASURA_GRAPHQL_JWT_SECRET must set both issuer and audience (Hasura lets tokens without them through otherwise)."]);
    const local = JSON.stringify({ type: "RS256", key: "-----BEGIN PUBLIC KEY-----", issuer: "urn:x", audience: "hasura" });
    expect(await violations(jwtSecretSet, hasura({ HASURA_GRAPHQL_JWT_SECRET: local }))).toEqual([
      "A production Hasura must trust Kinde's JWKS over https (jwk_url), not a local key; got a key.",
    ]);
    expect(await violations(jwtSecretSet, hasura({ HASURA_GRAPHQL_JWT_SECRET: local }, DEV))).toEqual([]);
    const plainHttp = JSON.stringify({ jwk_url: "http://acme.kinde.com/.well-known/jwks", issuer: "https://acme.kinde.com", audience: "hasura" });
    expect(await violations(jwtSecretSet, hasura({ HASURA_GRAPHQL_JWT_SECRET: plainHttp }))).toEqual([
      "A production Hasura must trust Kinde's JWKS over https (jwk_url), not a local key; got jwk_url http://acme.kinde.com/.well-known/jwks.",
    ]);
  });
});

describe("policy: hasura-production-hardening", () => {
  it("fails console, dev mode and CORS * in production only", async () => {
    expect(await violations(productionHardening, hasura({}))).toEqual([]);
    const loose = { HASURA_GRAPHQL_ENABLE_CONSOLE: "true", HASURA_GRAPHQL_DEV_MODE: "true", HASURA_GRAPHQL_CORS_DOMAIN: "*" };
    expect(await violations(productionHardening, hasura(loose))).toEqual([
      "The Hasura console must be off in production (HASURA_GRAPHQL_ENABLE_CONSOLE=false).",
      "Hasura dev mode must be off in production (HASURA_GRAPHQL_DEV_MODE=false).",
      "CORS must list exact origins in production, not *.",
    ]);
    expect(await violations(productionHardening, hasura(loose, DEV))).toEqual([]);
  });
});

describe("policy: postgres-loopback-only", () => {
  it("passes 127.0.0.1 and fails the default 0.0.0.0 or any other address", async () => {
    const pg = (ports: unknown[]) => args(CONTAINER, { name: "kinde-hasura-dev-postgres", ports });
    expect(await violations(postgresLoopbackOnly, pg([{ internal: 5432, external: 15432, ip: "127.0.0.1" }]))).toEqual([]);
    expect(await violations(postgresLoopbackOnly, pg([{ internal: 5432, external: 15432 }]))).toEqual([
      "Postgres port 5432 is published on 0.0.0.0 (the default); publish it on 127.0.0.1 only.",
    ]);
    expect(await violations(postgresLoopbackOnly, pg([{ internal: 5432, ip: "192.168.1.10" }]))).toEqual([
      "Postgres port 5432 is published on 192.168.1.10; publish it on 127.0.0.1 only.",
    ]);
  });

  it("only-edge-public: only the edge publishes beyond loopback, and only 80 and 443", async () => {
    const container = (name: string, ports: unknown[], role?: string) =>
      args(CONTAINER, { name, ports, labels: [...PROD, ...(role ? [{ label: "kinde-hasura.role", value: role }] : [])] });
    expect(
      await violations(
        onlyEdgePublic,
        container(
          "x-edge",
          [
            { internal: 80, ip: "0.0.0.0" },
            { internal: 443, ip: "0.0.0.0" },
          ],
          "edge",
        ),
      ),
    ).toEqual([]);
    expect(await violations(onlyEdgePublic, container("x-hasura", [{ internal: 8080, ip: "127.0.0.1" }]))).toEqual([]);
    expect(await violations(onlyEdgePublic, container("x-hasura", [{ internal: 8080 }]))).toEqual([
      "Container x-hasura publishes port 8080 on 0.0.0.0 (the default); only the TLS edge may be reachable from outside: publish it on 127.0.0.1.",
    ]);
    expect(await violations(onlyEdgePublic, container("x-edge", [{ internal: 2019, ip: "0.0.0.0" }], "edge"))).toEqual([
      "The TLS edge publishes port 2019; it may publish 80 and 443 only.",
    ]);
  });
});

describe("policy: images-pinned", () => {
  it("passes exact versions and digests, fails latest, untagged and bare majors", async () => {
    const image = (name: string) => violations(imagesPinned, args("docker:index/remoteImage:RemoteImage", { name }));
    for (const ok of ["postgres:17.6", "hasura/graphql-engine:v2.48.16", `postgres:17.6@sha256:${"a".repeat(64)}`])
      expect(await image(ok)).toEqual([]);
    for (const bad of ["postgres", "postgres:latest", "postgres:17", "hasura/graphql-engine:latest"]) {
      expect(await image(bad)).toEqual([`Image ${JSON.stringify(bad)} is not pinned to an exact version such as postgres:17.6.`]);
    }
  });
});

describe("policy: production-volume-protected", () => {
  it("fails an unprotected production volume, and only that", async () => {
    const volume = (labels: unknown[], protect: boolean) =>
      violations(productionVolumeProtected, args("docker:index/volume:Volume", { name: "v", labels }, protect));
    expect(await volume(PROD, true)).toEqual([]);
    expect(await volume(PROD, false)).toEqual(["Production volume v is not protected; set protect (and retainOnDelete)."]);
    expect(await volume(DEV, false)).toEqual([]);
  });
});

/** Inputs as a policy sees them: secrets unwrapped to plain values. */
function plain(v: unknown): unknown {
  if (isSecretValue(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

async function programViolations(resources: Registration[]): Promise<string[]> {
  const found: string[] = [];
  for (const r of resources) {
    for (const policy of policies) {
      for (const v of await violations(policy, args(r.type, plain(r.inputs) as Record<string, unknown>, r.protect))) found.push(`${r.name}: ${v}`);
    }
  }
  return found;
}

describe("the program's own resources", () => {
  it("pass every policy on a dev stack", async () => {
    const run = await runProgram("dev", devConfig(rsaKeyPair().privateKeyPem), SECRET_KEYS);
    expect(await programViolations(run.resources)).toEqual([]);
  });

  it("pass every policy on a production Kinde stack, which the policies see as production", async () => {
    const run = await runProgram("prod", prodKindeConfig(), SECRET_KEYS);
    expect(await programViolations(run.resources)).toEqual([]);
    const unprotected = run.resources.map((r) => (r.type === "docker:index/volume:Volume" ? { ...r, protect: false } : r));
    expect(await programViolations(unprotected)).toEqual([
      "postgres-data: Production volume kinde-hasura-prod-pgdata is not protected; set protect (and retainOnDelete).",
      "backup-data: Production volume kinde-hasura-prod-backups is not protected; set protect (and retainOnDelete).",
      "edge-data: Production volume kinde-hasura-prod-caddy-data is not protected; set protect (and retainOnDelete).",
    ]);
  });
});

describe("policies for the Kubernetes target", () => {
  const DIGEST = TEST_DIGEST;
  const prodLabels = { "kinde-hasura.production": "true" };
  const deployment = (container: Record<string, unknown>, labels: Record<string, string> = prodLabels) =>
    args("kubernetes:apps/v1:Deployment", { metadata: { name: "hasura", labels }, spec: { template: { spec: { containers: [container] } } } });
  const hardened = [
    { name: "HASURA_GRAPHQL_ENABLE_CONSOLE", value: "false" },
    { name: "HASURA_GRAPHQL_DEV_MODE", value: "false" },
    { name: "HASURA_GRAPHQL_CORS_DOMAIN", value: "https://app.acme.com" },
    { name: "HASURA_GRAPHQL_ADMIN_SECRET", valueFrom: { secretKeyRef: { name: "hasura-env", key: "HASURA_GRAPHQL_ADMIN_SECRET" } } },
  ];

  it("kubernetes-credentials-by-reference: a credential as a plain value fails, from a Secret passes", async () => {
    const pass = deployment({ name: "hasura", image: `h@${DIGEST}`, env: hardened });
    expect(await violations(k8sCredentialsByReference, pass)).toEqual([]);
    const fail = deployment({ name: "hasura", image: `h@${DIGEST}`, env: [...hardened, { name: "DATABASE_URL", value: "postgres://u:p@h/d" }] });
    expect(await violations(k8sCredentialsByReference, fail)).toEqual([
      "Container hasura gets DATABASE_URL as a plain value; take it from a Secret (valueFrom.secretKeyRef).",
    ]);
  });

  it("kubernetes-production-hardening: console, dev mode, CORS * and tags fail on production only", async () => {
    expect(await violations(k8sProductionHardening, deployment({ name: "hasura", image: `h@${DIGEST}`, env: hardened }))).toEqual([]);
    const loose = { name: "hasura", image: "hasura/graphql-engine:v2.48.16", env: [{ name: "HASURA_GRAPHQL_ENABLE_CONSOLE", value: "true" }] };
    expect(await violations(k8sProductionHardening, deployment(loose))).toEqual([
      'Container hasura runs "hasura/graphql-engine:v2.48.16"; pin it by digest on production.',
      "The Hasura console must be off in production (HASURA_GRAPHQL_ENABLE_CONSOLE=false).",
      "Hasura dev mode must be off in production (HASURA_GRAPHQL_DEV_MODE=false).",
      "CORS must list exact origins in production, not *.",
    ]);
    expect(await violations(k8sProductionHardening, deployment(loose, { "kinde-hasura.production": "false" }))).toEqual([]);
  });

  it("kubernetes-only-ingress-public: a LoadBalancer or an extra Ingress path fails", async () => {
    const service = (type?: string) => args("kubernetes:core/v1:Service", { metadata: { name: "hasura" }, spec: type ? { type } : {} });
    expect(await violations(k8sOnlyIngressPublic, service())).toEqual([]);
    expect(await violations(k8sOnlyIngressPublic, service("LoadBalancer"))).toEqual([
      'Service "hasura" is LoadBalancer; only the Ingress may be reachable from outside.',
    ]);
    const ingress = (paths: Array<{ path: string; pathType: string }>) =>
      args("kubernetes:networking.k8s.io/v1:Ingress", { spec: { rules: [{ http: { paths } }] } });
    expect(await violations(k8sOnlyIngressPublic, ingress([{ path: "/v1/graphql", pathType: "Exact" }]))).toEqual([]);
    expect(await violations(k8sOnlyIngressPublic, ingress([{ path: "/", pathType: "Prefix" }]))).toEqual([
      "The Ingress exposes Prefix /; it may expose Exact /v1/graphql and /healthz only.",
    ]);
  });

  it("kubernetes-production-database-protected: an unprotected or single-instance production cluster fails", async () => {
    const cluster = (instances: number, protect: boolean) =>
      args("kubernetes:postgresql.cnpg.io/v1:Cluster", { metadata: { labels: prodLabels }, spec: { instances } }, protect);
    expect(await violations(k8sProductionDatabaseProtected, cluster(3, true))).toEqual([]);
    expect(await violations(k8sProductionDatabaseProtected, cluster(1, false))).toEqual([
      "The production CloudNativePG cluster is not protected; set protect.",
      "The production CloudNativePG cluster runs 1 instance(s); run at least 2.",
    ]);
  });

  it("the program's own Kubernetes resources pass every policy, production and preview", async () => {
    const prod = await runProgram("prod-k8s", prodKubernetesConfig(), []);
    expect(prod.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment")).toBe(true);
    expect(await programViolations(prod.resources)).toEqual([]);
    const preview = await runProgram("pr-7", previewKubernetesConfig(), []);
    expect(await programViolations(preview.resources)).toEqual([]);
  });
});

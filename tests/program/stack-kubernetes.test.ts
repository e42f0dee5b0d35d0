// The Kubernetes target under Pulumi's mocks, for a production stack (CloudNativePG, Kinde) and a preview
// stack (local signing, smoke and seeds). Under mocks the provider's await logic never runs, so nothing
// here waits for a rollout or a Job: what is proven is the objects themselves, validated against the
// Kubernetes OpenAPI schemas (kubernetes-models 4.5.1) and CloudNativePG's Cluster schema
// (@kubernetes-models/cloudnative-pg 0.1.4), and how they refer to each other.
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../core/project-root.js";
import { toolsContent } from "../../core/tools-content.js";
import { GRACEFUL_SHUTDOWN_SECONDS, PRE_STOP_SECONDS } from "../../infra/kubernetes/hasura.js";
import { toolsContentGuard } from "../../infra/kubernetes/step-job.js";
import { previewKubernetesConfig, prodKubernetesConfig } from "../support/fixtures.js";
import { isSecretValue, type ProgramRun, type Registration, runProgram } from "../support/pulumi-program.js";

const SECRET_KEYS = ["hasuraAdminSecret"];

function prodK8s(): Record<string, string> {
  return {
    ...prodKubernetesConfig(),
    ingressClass: "nginx",
    certManagerIssuer: "letsencrypt",
    hasuraAdminSecret: "Prod-Admin-Secret-That-Is-Long-Enough-0123456789",
  };
}

function previewK8s(): Record<string, string> {
  return { ...previewKubernetesConfig(), hasuraConsole: "false" };
}

/** A value with every secret envelope opened (the objects as the cluster would get them). */
function revealed(v: unknown): unknown {
  if (isSecretValue(v)) return revealed(v.value);
  if (Array.isArray(v)) return v.map(revealed);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealed(x)]));
  return v;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "kubernetes:core/v1:Namespace": Namespace,
  "kubernetes:core/v1:Secret": Secret,
  "kubernetes:core/v1:Service": Service,
  "kubernetes:apps/v1:Deployment": Deployment,
  "kubernetes:policy/v1:PodDisruptionBudget": PodDisruptionBudget,
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "kubernetes:networking.k8s.io/v1:Ingress": Ingress,
  "kubernetes:batch/v1:Job": Job,
  "kubernetes:postgresql.cnpg.io/v1:Cluster": Cluster,
};

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped JSON as the mocks recorded them; the schemas check their shape.
type Manifest = any;

const ofType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
const manifest = (r: Registration) => revealed(r.inputs) as Manifest;
const byName = (run: ProgramRun, type: string, name: string) => manifest(run.get(type, name));
const containersOf = (m: Manifest) => m.spec.template.spec.containers as Manifest[];
const isSubset = (small: Record<string, string>, big: Record<string, string>) => Object.entries(small).every(([k, v]) => big[k] === v);

/** Env variables that carry a credential, by name: they must come from a Secret, never as a value. */
const CREDENTIAL = /SECRET|PASSWORD|DATABASE_URL|SIGNING_KEY|JWT_SECRET/;

describe.each([
  ["production", "prod-k8s", prodK8s],
  ["preview", "pr-7", previewK8s],
] as const)("the Kubernetes target, %s stack", (_label, stack, config) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(
      stack,
      config(),
      SECRET_KEYS.filter((k) => k in config()),
    );
  });

  it("creates no Docker resource, and every object is in the stack's namespace", () => {
    expect(run.resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
    const namespace = byName(run, "kubernetes:core/v1:Namespace", "namespace").metadata.name;
    expect(namespace).toBe(`kinde-hasura-${stack}`);
    for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:") && !x.type.endsWith("Namespace") && !x.type.includes("helm"))) {
      expect(manifest(r).metadata?.namespace, `${r.type} ${r.name}`).toBe(namespace);
    }
  });

  it("creates nothing in the namespace before the namespace itself", () => {
    const namespaceUrn = run.get("kubernetes:core/v1:Namespace", "namespace").urn;
    const inNamespace = run.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith(":Namespace") && !r.type.includes("helm"));
    expect(inNamespace.length).toBeGreaterThan(8);
    for (const r of inNamespace) expect(r.dependsOn, `${r.type} ${r.name}`).toContain(namespaceUrn);
  });

  it("validates every object against the Kubernetes OpenAPI schemas and CloudNativePG's Cluster schema", () => {
    const objects = run.resources.filter((r) => MODELS[r.type]);
    expect(objects.length).toBeGreaterThan(10);
    for (const r of objects) {
      const Model = MODELS[r.type]!;
      expect(() => new Model(manifest(r) as never).validate(), `${r.type} ${r.name}`).not.toThrow();
    }
    // The schemas bite: a wrong type in the same object fails.
    const bad = byName(run, "kubernetes:apps/v1:Deployment", "hasura");
    bad.spec.template.spec.containers[0].ports[0].containerPort = "8080";
    expect(() => new Deployment(bad as never).validate()).toThrow(/containerPort must be integer/);
  });

  it("protects what holds data on production: the namespace (deleting it deletes everything in it) and the database", () => {
    const production = stack === "prod-k8s";
    expect(run.get("kubernetes:core/v1:Namespace", "namespace").protect).toBe(production);
    expect(run.get("kubernetes:postgresql.cnpg.io/v1:Cluster", "postgres-cluster").protect).toBe(production);
    expect(byName(run, "kubernetes:postgresql.cnpg.io/v1:Cluster", "postgres-cluster").spec.instances).toBe(production ? 3 : 1);
  });

  it("names each Job by its inputs: the same config gives the same names, another tools image new ones", async () => {
    const names = (r: ProgramRun) => ofType(r, "kubernetes:batch/v1:Job").map((j) => manifest(j).metadata.name as string);
    const again = await runProgram(
      stack,
      config(),
      SECRET_KEYS.filter((k) => k in config()),
    );
    expect(names(again)).toEqual(names(run));
    const retooled = await runProgram(
      stack,
      { ...config(), toolsImage: `registry.acme.com/kinde-hasura-tools@sha256:${"cd".repeat(32)}` },
      SECRET_KEYS.filter((k) => k in config()),
    );
    const before = names(run);
    const after = names(retooled);
    expect(after).toHaveLength(before.length);
    for (const [i, name] of after.entries()) {
      expect(name.replace(/-[0-9a-f]{10}$/, "")).toBe(before[i]!.replace(/-[0-9a-f]{10}$/, ""));
      expect(name).not.toBe(before[i]);
    }
  });

  it("uses no Helm Chart or yaml component for the app's own objects (mocks would never see their children)", () => {
    const components = run.resources.filter((r) => /kubernetes:(helm\.sh\/v4:Chart|yaml\/v2:ConfigGroup|yaml\/v2:ConfigFile)/.test(r.type));
    expect(components).toEqual([]);
  });

  it("selects Hasura's pods consistently: Deployment, Service, PodDisruptionBudget and autoscaler", () => {
    const deployment = byName(run, "kubernetes:apps/v1:Deployment", "hasura");
    const podLabels = deployment.spec.template.metadata.labels;
    expect(isSubset(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(isSubset(byName(run, "kubernetes:core/v1:Service", "hasura-service").spec.selector, podLabels)).toBe(true);
    expect(isSubset(byName(run, "kubernetes:policy/v1:PodDisruptionBudget", "hasura-pdb").spec.selector.matchLabels, podLabels)).toBe(true);
    const hpa = byName(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "hasura-hpa");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    // The autoscaler owns the replica count (pulumi/pulumi-kubernetes#2491).
    expect(deployment.spec.replicas).toBeUndefined();
    expect(hpa.spec.minReplicas).toBe(stack === "prod-k8s" ? 2 : 1);
  });

  it("probes a named port the container declares, and the Service targets it", () => {
    const deployment = byName(run, "kubernetes:apps/v1:Deployment", "hasura");
    const [hasura] = containersOf(deployment);
    const ports = (hasura!.ports as Array<{ name: string }>).map((p) => p.name);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const port = hasura![probe].httpGet?.port ?? hasura![probe].tcpSocket?.port;
      expect(ports, probe).toContain(port);
    }
    expect(ports).toContain(byName(run, "kubernetes:core/v1:Service", "hasura-service").spec.ports[0].targetPort);
  });

  it("rolls out without losing capacity, and never restarts pods because the database blinked", () => {
    const deployment = byName(run, "kubernetes:apps/v1:Deployment", "hasura");
    const [hasura] = containersOf(deployment);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    // At most one pod stopping at a time, which the connection budget counts.
    expect(deployment.spec.minReadySeconds).toBe(PRE_STOP_SECONDS + GRACEFUL_SHUTDOWN_SECONDS);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(GRACEFUL_SHUTDOWN_SECONDS);
    expect(hasura!.readinessProbe.httpGet.path).toBe("/healthz");
    expect(hasura!.livenessProbe.tcpSocket).toBeDefined();
    expect(hasura!.startupProbe.periodSeconds * hasura!.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
  });

  it("waits for the rollout as long as replacing the most replicas one at a time takes, not the provider's 10 minutes", () => {
    // The provider fails a Deployment only at its timeout, 10 minutes unless `pulumi.com/timeoutSeconds`
    // says otherwise (pulumi/pulumi-kubernetes provider/pkg/await/deployment.go, DefaultDeploymentTimeoutMins).
    const deployment = byName(run, "kubernetes:apps/v1:Deployment", "hasura");
    const maxReplicas = byName(run, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "hasura-hpa").spec.maxReplicas as number;
    // 10 minutes once, then per replica: 60 s to start plus the 40 s minReadySeconds.
    expect(deployment.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe(String(600 + maxReplicas * 100));
    expect(Number(deployment.metadata.annotations["pulumi.com/timeoutSeconds"])).toBeGreaterThan(600);
  });

  it("puts a failed step's log tail where `pulumi up` reports it: the terminated container's message", () => {
    // pulumi/cloud-ready-checks pkg/kubernetes/pod/check.go (containerTerminatedError) reports the message.
    const jobs = ofType(run, "kubernetes:batch/v1:Job");
    expect(jobs.length).toBeGreaterThan(2);
    for (const job of jobs) {
      for (const container of containersOf(manifest(job))) expect(container.terminationMessagePolicy, job.name).toBe("FallbackToLogsOnError");
    }
  });

  it("passes every credential through a Secret that exists, never as a plain value", () => {
    const secretNames = new Set([...ofType(run, "kubernetes:core/v1:Secret").map((r) => manifest(r).metadata.name), "postgres-app"]);
    const workloads = [...ofType(run, "kubernetes:apps/v1:Deployment"), ...ofType(run, "kubernetes:batch/v1:Job")];
    let fromSecrets = 0;
    for (const w of workloads) {
      for (const e of containersOf(manifest(w)).flatMap((c) => (c.env ?? []) as Manifest[])) {
        if (CREDENTIAL.test(e.name)) expect(e.value, `${w.name} ${e.name}`).toBeUndefined();
        if (e.valueFrom) {
          expect(secretNames, `${w.name} ${e.name}`).toContain(e.valueFrom.secretKeyRef.name);
          fromSecrets += 1;
        }
      }
    }
    expect(fromSecrets).toBeGreaterThan(5);
    // The Secrets themselves hold their data as Pulumi secrets.
    for (const s of ofType(run, "kubernetes:core/v1:Secret")) expect(isSecretValue(s.inputs.stringData), s.name).toBe(true);
  });

  it("runs the steps in order: migrations against the primary, then the rollout, then metadata (and the smoke)", () => {
    const job = (name: string) => run.get("kubernetes:batch/v1:Job", name);
    const urnOf = (type: string, name: string) => run.get(type, name).urn;
    // The recorded dependencies name the resources a component stands for (its children).
    expect(job("migrations").dependsOn).toContain(urnOf("kubernetes:postgresql.cnpg.io/v1:Cluster", "postgres-cluster"));
    const migrations = containersOf(manifest(job("migrations")))[0]!;
    expect(migrations.env).toEqual([
      { name: "TOOLS_CONTENT", value: toolsContent(PROJECT_ROOT) },
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "postgres-app", key: "uri" } } },
    ]);
    // The step runs from the image only when it holds this checkout's scripts (infra/kubernetes/step-job.ts).
    expect(migrations.command).toEqual(["sh", "-c", toolsContentGuard(), "step", "node", "--import", "tsx", "scripts/migrate.ts", "up"]);
    expect(run.get("kinde-hasura:kubernetes:Hasura", "hasura").dependsOn).toContain(job("migrations").urn);
    expect(run.get("kubernetes:apps/v1:Deployment", "hasura").dependsOn).toContain(job("migrations").urn);
    expect(job("metadata").dependsOn).toContain(urnOf("kubernetes:apps/v1:Deployment", "hasura"));
    if (stack === "pr-7") expect(job("smoke").dependsOn).toContain(job("metadata").urn);
    for (const j of ofType(run, "kubernetes:batch/v1:Job")) {
      expect(manifest(j).metadata.annotations["pulumi.com/replaceUnready"], j.name).toBe("true");
      expect(manifest(j).spec.ttlSecondsAfterFinished, j.name).toBeUndefined();
    }
  });

  it("exposes only /v1/graphql and /healthz through the Ingress, when the stack has a public host", () => {
    const ingresses = ofType(run, "kubernetes:networking.k8s.io/v1:Ingress");
    if (stack === "pr-7") {
      expect(ingresses).toEqual([]);
      return;
    }
    const ingress = manifest(ingresses[0]!);
    const paths = ingress.spec.rules[0].http.paths as Array<{ path: string; pathType: string; backend: Manifest }>;
    expect(paths.map((p) => [p.path, p.pathType])).toEqual([
      ["/v1/graphql", "Exact"],
      ["/healthz", "Exact"],
    ]);
    const service = byName(run, "kubernetes:core/v1:Service", "hasura-service");
    for (const p of paths) {
      expect(p.backend.service.name).toBe(service.metadata.name);
      expect(service.spec.ports.map((x: { name: string }) => x.name)).toContain(p.backend.service.port.name);
    }
    expect(ingress.spec.tls).toEqual([{ hosts: ["api.acme.com"], secretName: "kinde-hasura-prod-k8s-tls" }]);
    expect(ingress.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true", "cert-manager.io/cluster-issuer": "letsencrypt" });
    expect(run.outputs.graphqlUrl).toBe("https://api.acme.com/v1/graphql");
  });

  it("keeps Hasura's env list plain (its credentials are references), so a preview diff shows changes to it", () => {
    const spec = run.get("kubernetes:apps/v1:Deployment", "hasura").inputs.spec as Manifest;
    expect(isSecretValue(spec)).toBe(false);
    const env = spec.template.spec.containers[0].env;
    expect(isSecretValue(env)).toBe(false);
    expect(env.some((e: Manifest) => isSecretValue(e))).toBe(false);
  });

  it("gives Hasura the Docker target's hardened environment", () => {
    const env = Object.fromEntries(
      containersOf(byName(run, "kubernetes:apps/v1:Deployment", "hasura"))[0]!.env.map((e: { name: string; value?: string }) => [
        e.name,
        e.value ?? "<secret>",
      ]),
    );
    expect(env).toMatchObject({
      HASURA_GRAPHQL_ENABLE_TELEMETRY: "false",
      HASURA_GRAPHQL_ENABLE_CONSOLE: "false",
      HASURA_GRAPHQL_DEV_MODE: "false",
      HASURA_GRAPHQL_ENABLED_APIS: "metadata,graphql",
      HASURA_GRAPHQL_ADMIN_SECRET: "<secret>",
      HASURA_GRAPHQL_JWT_SECRET: "<secret>",
      PG_DATABASE_URL: "<secret>",
    });
    expect(env.HASURA_GRAPHQL_UNAUTHORIZED_ROLE).toBeUndefined();
  });
});

describe("the Kubernetes target with Kinde automation and the smoke's M2M client", () => {
  it("gives the kinde and smoke Jobs their client secrets from the step Secret, and the ids as values", async () => {
    const run = await runProgram(
      "staging-k8s",
      {
        ...previewKubernetesConfig(),
        kindeDomain: "acme.kinde.com",
        hasuraCorsDomains: "https://app.acme.com",
        kindeManagementClientId: "mgmt-id",
        kindeManagementClientSecret: "mgmt-secret-0123456789",
        kindeSmokeClientId: "smoke-id",
        kindeSmokeClientSecret: "smoke-secret-0123456789",
      },
      ["kindeManagementClientSecret", "kindeSmokeClientSecret"],
    );
    const envOf = (job: string) =>
      Object.fromEntries(
        (
          containersOf(manifest(run.get("kubernetes:batch/v1:Job", job)))[0]!.env as Array<{ name: string; value?: string; valueFrom?: Manifest }>
        ).map((e) => [e.name, e.value ?? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`]),
      );
    expect(envOf("kinde")).toMatchObject({
      KINDE_MANAGEMENT_DOMAIN: "acme.kinde.com",
      KINDE_MANAGEMENT_CLIENT_ID: "mgmt-id",
      KINDE_MANAGEMENT_CLIENT_SECRET: "secret:step-secrets/kindeManagementClientSecret",
      KINDE_SMOKE_CLIENT_ID: "smoke-id",
    });
    expect(envOf("smoke")).toMatchObject({
      HASURA_GRAPHQL_ENDPOINT: "http://hasura.kinde-hasura-staging-k8s.svc",
      HASURA_GRAPHQL_ADMIN_SECRET: "secret:step-secrets/adminSecret",
      SMOKE_KINDE_CLIENT_ID: "smoke-id",
      SMOKE_KINDE_CLIENT_SECRET: "secret:step-secrets/kindeSmokeClientSecret",
    });
    expect(envOf("smoke").DEV_SIGNING_KEY).toBeUndefined();
    const stepSecret = manifest(run.get("kubernetes:core/v1:Secret", "step-secrets")).stringData;
    expect(Object.keys(stepSecret).sort()).toEqual(["adminSecret", "kindeManagementClientSecret", "kindeSmokeClientSecret"]);
    expect(stepSecret.kindeSmokeClientSecret).toBe("smoke-secret-0123456789");
    // The smoke waits for the Kinde side to be set up.
    expect(run.get("kubernetes:batch/v1:Job", "smoke").dependsOn).toContain(run.get("kubernetes:batch/v1:Job", "kinde").urn);
  });
});

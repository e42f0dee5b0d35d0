// Hasura on Kubernetes: a Deployment with the same hardened environment as the Docker target
// (infra/hasura-env.ts), its credentials only through a Secret, an autoscaler instead of a fixed
// replica count, a disruption budget, a ClusterIP Service and an Ingress that exposes only
// /v1/graphql and /healthz.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HASURA_INTERNAL_PORT } from "../../core/naming.js";
import type { HasuraSettings } from "../../core/settings/containers.js";
import type { KubernetesSettings } from "../../core/settings/kubernetes.js";
import { METADATA_POOL_PER_REPLICA } from "../../core/settings/kubernetes.js";
import { hasuraVariables } from "../hasura-env.js";
import { selectorLabels } from "./labels.js";

/** Hasura waits this long for in-flight work on SIGTERM (HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT, seconds; its default is 60). */
export const GRACEFUL_SHUTDOWN_SECONDS = 30;
/** The preStop pause before SIGTERM, while the Service stops routing to the pod. */
export const PRE_STOP_SECONDS = 10;
/** How long a new pod may take to start and pass its first readiness check, in a healthy rollout. */
const POD_START_ALLOWANCE_SECONDS = 60;
/** Scheduling, the first image pull and the autoscaler's own steps: once per rollout. */
const ROLLOUT_BASE_SECONDS = 600;

/**
 * How long `pulumi up` waits for Hasura's rollout (the provider's `pulumi.com/timeoutSeconds`; its default
 * is 10 minutes, DefaultDeploymentTimeoutMins in pulumi/pulumi-kubernetes provider/pkg/await/deployment.go,
 * which fails only at that timeout, a ProgressDeadlineExceeded condition being just a warning there).
 * With maxSurge 1 and maxUnavailable 0 the pods are replaced one at a time, each counting only after
 * minReadySeconds: so the wait grows with the most replicas the autoscaler may be running.
 */
export function rolloutTimeoutSeconds(maxReplicas: number): number {
  return ROLLOUT_BASE_SECONDS + maxReplicas * (POD_START_ALLOWANCE_SECONDS + PRE_STOP_SECONDS + GRACEFUL_SHUTDOWN_SECONDS);
}

/** The image's own `hasura` user (packaging/graphql-engine-base/ubuntu.dockerfile: useradd -u 1001); the image sets no USER. */
const HASURA_UID = 1001;

export interface KubernetesHasuraArgs {
  /** The namespace, a plain name (it is part of the selector labels). */
  namespace: string;
  settings: HasuraSettings;
  replicas: KubernetesSettings["hasura"];
  ingress?: KubernetesSettings["ingress"];
  databaseUrl: pulumi.Output<string>;
  adminSecret: pulumi.Output<string>;
  jwtSecret: pulumi.Output<string>;
  labels: Record<string, string>;
}

export class KubernetesHasura extends pulumi.ComponentResource {
  /** The in-cluster URL the step Jobs use, e.g. http://hasura.<namespace>.svc. */
  public readonly serviceUrl: pulumi.Output<string>;
  /** The Secret holding the admin secret (key HASURA_GRAPHQL_ADMIN_SECRET), for the step Jobs. */
  public readonly secretName: pulumi.Output<string>;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly ingress?: k8s.networking.v1.Ingress;
  /** What the step Jobs wait for: the rollout and the Service (not the Ingress, whose address may never be published). */
  public readonly serving: pulumi.Resource[];

  constructor(name: string, args: KubernetesHasuraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:kubernetes:Hasura", name, {}, opts);
    // A component's dependsOn does not reach its children: each waits for what the component waits for.
    const waits = dependencies(opts);
    const child = { parent: this, dependsOn: waits };
    const after = (...resources: pulumi.Resource[]) => ({ parent: this, dependsOn: [...waits, ...resources] });
    const selector = selectorLabels(args.namespace, "hasura");
    const podLabels = { ...args.labels, ...selector };

    const variables = pulumi
      .all([args.databaseUrl, args.adminSecret, args.jwtSecret])
      .apply(([databaseUrl, adminSecret, jwtSecret]) => hasuraVariables({ ...args.settings, databaseUrl, adminSecret, jwtSecret }));
    const secret = new k8s.core.v1.Secret(
      `${name}-env`,
      {
        metadata: { name: `${name}-env`, namespace: args.namespace, labels: args.labels },
        stringData: pulumi.secret(variables.apply((vs) => Object.fromEntries(vs.filter((v) => v.secret).map((v) => [v.name, v.value])))),
      },
      child,
    );
    this.secretName = secret.metadata.name;
    // Not a Pulumi secret on purpose: a secret anywhere in the pod template makes the whole Deployment
    // spec secret, and `pulumi preview --diff` would show nothing of it. A SHA-256 over all the values
    // together gives none of them away: the generated passwords have 40 random characters, and configured
    // ones on production meet the strength rule (core/settings/config-values.ts).
    const envDigest = pulumi.unsecret(
      variables.apply((vs) =>
        createHash("sha256")
          .update(JSON.stringify(vs.map((v) => [v.name, v.value])))
          .digest("hex"),
      ),
    );
    // Built from the variables' names and plain values only (the credentials stay in the Secret), so the
    // env list is no Pulumi secret and `pulumi preview --diff` shows a changed CORS origin or API list.
    const layout = hasuraVariables({ ...args.settings, databaseUrl: "", adminSecret: "", jwtSecret: "" });
    const env = [
      ...layout.map((v) =>
        v.secret ? { name: v.name, valueFrom: { secretKeyRef: { name: `${name}-env`, key: v.name } } } : { name: v.name, value: v.value },
      ),
      // The metadata-storage pool per replica (the connection budget counts it), and how long a stopping pod finishes its work.
      { name: "HASURA_GRAPHQL_PG_CONNECTIONS", value: String(METADATA_POOL_PER_REPLICA) },
      { name: "HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT", value: String(GRACEFUL_SHUTDOWN_SECONDS) },
    ];

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: {
          name,
          namespace: args.namespace,
          labels: args.labels,
          annotations: { "pulumi.com/timeoutSeconds": String(rolloutTimeoutSeconds(args.replicas.maxReplicas)) },
        },
        spec: {
          // No `replicas`: the autoscaler owns it, and a value here would fight it on every update
          // under server-side apply (pulumi/pulumi-kubernetes#2491).
          selector: { matchLabels: selector },
          // A new pod must be ready before an old one goes: capacity never drops during a rollout.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          // A new pod counts as available only once the old one it replaces could have stopped: at most one
          // pod is ever stopping, which the connection budget counts (core/settings/kubernetes.ts).
          minReadySeconds: PRE_STOP_SECONDS + GRACEFUL_SHUTDOWN_SECONDS,
          template: {
            // A changed Secret (a rotated admin secret, another JWT policy) changes this digest and so rolls
            // the pods; the Secret itself is updated in place and pods read env only when they start.
            metadata: { labels: podLabels, annotations: { "kinde-hasura/env-sha256": envDigest } },
            spec: {
              // Above the graceful shutdown timeout, so Kubernetes never kills a pod still finishing its work.
              terminationGracePeriodSeconds: PRE_STOP_SECONDS + GRACEFUL_SHUTDOWN_SECONDS + 15,
              securityContext: { runAsNonRoot: true, runAsUser: HASURA_UID, runAsGroup: HASURA_UID },
              containers: [hasuraContainer(args.settings.image, env)],
            },
          },
        },
      },
      after(secret),
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: { name, namespace: args.namespace, labels: args.labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
      child,
    );
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name, namespace: args.namespace, labels: args.labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicas: args.replicas.minReplicas,
          maxReplicas: args.replicas.maxReplicas,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
        },
      },
      after(this.deployment),
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name, namespace: args.namespace, labels: args.labels },
        spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
      child,
    );
    this.serviceUrl = pulumi.interpolate`http://${service.metadata.name}.${args.namespace}.svc`;
    this.serving = [this.deployment, service];

    if (args.ingress) this.ingress = hasuraIngress(name, args.namespace, args.ingress, args.labels, after(service));
    this.registerOutputs({});
  }
}

/** The resources a component was told to wait for, as a list its children can wait for too. */
function dependencies(opts: pulumi.ComponentResourceOptions | undefined): pulumi.Resource[] {
  const d = opts?.dependsOn;
  if (!d) return [];
  return (Array.isArray(d) ? d : [d]) as pulumi.Resource[];
}

/** Hasura's container: its port, environment, resources, probes and how it stops. */
function hasuraContainer(image: string, env: pulumi.Input<k8s.types.input.core.v1.EnvVar[]>): k8s.types.input.core.v1.Container {
  return {
    name: "hasura",
    image,
    ports: [{ name: "http", containerPort: HASURA_INTERNAL_PORT }],
    env,
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    // Start: fetching Kinde's JWKS and loading the metadata may take a while; up to 5 minutes.
    startupProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5, failureThreshold: 60 },
    // Ready: plain /healthz (200 also with inconsistent metadata). ?strict=true answers 500 while the stored
    // metadata lags a new migration, which would stall the rollout before the metadata Job that fixes it
    // could run (migrations -> rollout -> metadata).
    readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5, failureThreshold: 3 },
    // Alive: the port answers. /healthz turns 500 while the database is unreachable, and restarting every
    // pod on a database blip makes it worse (hasura/graphql-engine#5468).
    livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
    // Endpoints drop a stopping pod only after a moment: keep serving through it, then stop gracefully.
    lifecycle: { preStop: { exec: { command: ["sleep", String(PRE_STOP_SECONDS)] } } },
  };
}

/** The Ingress: TLS for the public host, and exactly /v1/graphql and /healthz; the metadata API, the console and everything else stay inside the cluster. */
function hasuraIngress(
  name: string,
  namespace: string,
  ing: NonNullable<KubernetesSettings["ingress"]>,
  labels: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.Ingress {
  const exact = (path: string) => ({ path, pathType: "Exact", backend: { service: { name, port: { name: "http" } } } });
  return new k8s.networking.v1.Ingress(
    `${name}-ingress`,
    {
      metadata: {
        name,
        namespace,
        labels,
        annotations: {
          // Many controllers never publish an address on the Ingress (NodePort, bare metal): waiting for one
          // would stall every `pulumi up` (pulumi/pulumi-kubernetes#1812).
          "pulumi.com/skipAwait": "true",
          ...(ing.clusterIssuer ? { "cert-manager.io/cluster-issuer": ing.clusterIssuer } : {}),
        },
      },
      spec: {
        ...(ing.className ? { ingressClassName: ing.className } : {}),
        tls: [{ hosts: [ing.host], secretName: ing.tlsSecret }],
        rules: [{ host: ing.host, http: { paths: [exact("/v1/graphql"), exact("/healthz")] } }],
      },
    },
    opts,
  );
}

// The Kubernetes target: the stack in a namespace of its own on the cluster of the kubeconfig context.
// This function is the deploy list, in order: Postgres (CloudNativePG or external), the migrations Job
// against the primary, the Hasura rollout, the metadata Job (which reaches every replica through
// Hasura's schema sync), and the smoke Job as the deployment gate. Hasura never applies metadata itself.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT } from "../../core/project-root.js";
import type { KubernetesSettings } from "../../core/settings/kubernetes.js";
import { STEPS, type StepContract } from "../../core/steps.js";
import { toolsContent } from "../../core/tools-content.js";
import type { StackConfig } from "../config.js";
import type { Credentials } from "../credentials.js";
import { jwtSecretJson } from "../hasura-env.js";
import { kindeStepInputs, type StepValues, smokeStepInputs } from "../step-inputs.js";
import { deploySteps } from "../step-table.js";
import type { TargetOutputs } from "../target-outputs.js";
import { KubernetesHasura } from "./hasura.js";
import { kubernetesLabels } from "./labels.js";
import { KubernetesPostgres } from "./postgres.js";
import { type EnvSource, StepJob, type StepJobArgs } from "./step-job.js";

/** What a row gives its Job besides what every Job of the stack shares (namespace, image, labels). */
type JobRow = Omit<StepJobArgs<StepContract>, "namespace" | "toolsImage" | "toolsContent" | "labels">;

/** A row's Job arguments, checked against its step's contract, then as the table holds them. */
function jobArgs<S extends StepContract>(args: Omit<StepJobArgs<S>, "namespace" | "toolsImage" | "toolsContent" | "labels">): JobRow {
  return args as unknown as JobRow;
}

import { stepSecretData } from "./step-secrets.js";

export function kubernetesStack(config: StackConfig, k: KubernetesSettings, credentials: Credentials): TargetOutputs {
  const { jwt, production } = config;
  const provider = new k8s.Provider("kubernetes", { ...(k.context ? { context: k.context } : {}) });
  const labels = kubernetesLabels(k.namespace, production);
  // Deleting a namespace deletes everything in it, the database's volumes included: protected on production.
  const namespace = new k8s.core.v1.Namespace("namespace", { metadata: { name: k.namespace, labels } }, { provider, protect: production });
  const ns = namespace.metadata.name;
  const inStack = { provider, dependsOn: [namespace] };
  const job = { namespace: ns, toolsImage: k.toolsImage, toolsContent: toolsContent(PROJECT_ROOT), labels };

  const postgres = new KubernetesPostgres(
    "postgres",
    {
      namespace: ns,
      clusterName: "postgres",
      database: k.database,
      databaseUrl: config.secrets.databaseUrl,
      hasuraPassword: credentials.hasuraDbPassword,
      labels,
      production,
    },
    inStack,
  );
  // Credentials the Jobs read, by key: the admin secret, the dev signing key and Kinde's client secrets.
  const stepSecrets = new k8s.core.v1.Secret(
    "step-secrets",
    { metadata: { name: "step-secrets", namespace: ns, labels }, stringData: stepSecretData(config, credentials) },
    inStack,
  );
  const fromSteps = (key: string): EnvSource => ({ secret: { name: stepSecrets.metadata.name, key } });
  // On Kubernetes a step's inputs are plain env values or keys of the step Secret.
  const values: StepValues<EnvSource> = { plain: (value) => ({ value }), secret: fromSteps };
  const database = k.database.kind === "cnpg" ? `cnpg:${k.database.image}` : "external";

  // The schema, as the database owner on the primary (the runner's session advisory lock needs a direct connection).
  const databaseUrl: EnvSource = { secret: postgres.migrationsUrl };
  const jwksUrl = jwt.trust.kind === "kinde" ? jwt.trust.jwksUrl : undefined;
  const createJob = (name: string, args: JobRow, dependsOn: pulumi.Resource[]) => new StepJob(name, { ...job, ...args }, { provider, dependsOn });

  // Before the rollout, in order.
  const before = deploySteps(
    { namespace, postgres: postgres.ready },
    [
      // Three attempts: a replica that fails over mid-run is retried (each migration is one transaction, under the runner's lock).
      {
        name: "migrations",
        waitsFor: ["postgres"],
        args: jobArgs({ step: STEPS.migrations, inputs: { databaseUrl }, rerunWhen: [database], attempts: 3, timeoutSeconds: 1800 }),
      },
      {
        name: "seeds",
        when: config.seedOnUp,
        waitsFor: ["migrations"],
        args: jobArgs({ step: STEPS.seeds, inputs: { databaseUrl }, rerunWhen: [database] }),
      },
      // Kinde mode: Hasura stops when its first JWKS fetch fails; fetch it from inside the cluster first.
      {
        name: "jwks-check",
        when: jwksUrl !== undefined,
        waitsFor: ["namespace"],
        args: jwksUrl
          ? jobArgs({ step: STEPS.jwksCheck, inputs: { jwksUrl: { value: jwksUrl } }, rerunWhen: [jwksUrl, config.hasura.image] })
          : undefined,
      },
    ],
    createJob,
  );

  // The rollout after the migrations (and in Kinde mode the JWKS check), not the seeds: every new replica starts on the new schema.
  const hasura = new KubernetesHasura(
    "hasura",
    {
      namespace: k.namespace,
      settings: config.hasura,
      replicas: k.hasura,
      ingress: k.ingress,
      databaseUrl: postgres.hasuraUrl,
      adminSecret: credentials.hasuraAdminSecret,
      jwtSecret: jwtSecretJson(jwt, credentials.devPublicKeyPem),
      labels,
    },
    { provider, dependsOn: [namespace, before.migrations, before["jwks-check"]].filter((r): r is pulumi.Resource => r !== undefined) },
  );
  const rollout = [config.hasura.image, JSON.stringify(config.hasura), JSON.stringify(jwt), database];
  const hasuraAdmin = { endpoint: { value: hasura.serviceUrl }, adminSecret: fromSteps("adminSecret") };
  const kindeInputs = kindeStepInputs(config, values);

  // After the rollout, in order.
  deploySteps(
    { namespace, hasura: hasura.serving },
    [
      { name: "migrations-sync", waitsFor: ["hasura"], args: jobArgs({ step: STEPS.migrationsSync, inputs: { databaseUrl }, rerunWhen: rollout }) },
      // The metadata reaches every replica through Hasura's schema sync.
      {
        name: "metadata",
        waitsFor: ["hasura"],
        args: jobArgs({
          step: STEPS.metadata,
          inputs: { ...hasuraAdmin, sourcePool: { value: String(k.hasura.poolSize) } },
          rerunWhen: [...rollout, String(k.hasura.poolSize)],
        }),
      },
      {
        name: "kinde",
        when: kindeInputs !== undefined,
        waitsFor: ["namespace"],
        args: kindeInputs && jobArgs({ step: STEPS.kinde, ...kindeInputs }),
      },
      // The deployment gate: a few attempts, for replicas that have not picked up the new metadata yet.
      {
        name: "smoke",
        when: config.smokeOnUp,
        waitsFor: ["metadata", "kinde"],
        args: jobArgs({
          step: STEPS.smoke,
          inputs: smokeStepInputs(config, hasuraAdmin, values, credentials.devSigningKey !== undefined),
          rerunWhen: [...rollout, String(k.hasura.poolSize)],
          attempts: 3,
        }),
      },
    ],
    createJob,
  );

  return {
    hasuraUrl: hasura.serviceUrl,
    graphqlUrl: k.ingress ? pulumi.output(`https://${k.ingress.host}/v1/graphql`) : pulumi.interpolate`${hasura.serviceUrl}/v1/graphql`,
  };
}

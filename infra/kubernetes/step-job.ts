// One step of `pulumi up` on Kubernetes: a Job in the stack's namespace that runs one of this
// repository's scripts from the tools image, with the inputs the step contract names (core/steps.ts).
// A Job's template cannot change and a finished Job is not run again under the same name, so the name
// carries a hash of everything the run depends on: new inputs, new Job; same inputs, nothing to do.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hashDirectory } from "../../core/content-hash.js";
import { inProject } from "../../core/project-root.js";
import { type StepContract, type StepInputs, stepArgv } from "../../core/steps.js";
import { TOOLS_CONTENT_FILE } from "../../core/tools-content.js";
import type { SecretKeyRef } from "./postgres.js";

/** A step input as a container gets it: a plain value, or a key of a Secret. */
export type EnvSource = { value: pulumi.Input<string> } | { secret: SecretKeyRef };

export interface StepJobArgs<S extends StepContract> {
  step: S;
  inputs: StepInputs<S, EnvSource>;
  namespace: pulumi.Input<string>;
  toolsImage: string;
  /** What the image must hold (core/tools-content.ts): the Job refuses to run the step from any other. */
  toolsContent: string;
  /** Plain values that also make a new run (e.g. the Hasura image the rollout used). */
  rerunWhen: string[];
  labels: Record<string, string>;
  /** Attempts before the step fails the update (the smoke retries replicas not yet in sync). Default 1. */
  attempts?: number;
  /** How long `pulumi up` waits for the Job. Default 10 minutes (the provider's own default). */
  timeoutSeconds?: number;
}

/**
 * Runs the step only from an image that holds this deploy's scripts, migrations and metadata: otherwise
 * a new Job would run an old image's migrations and report success.
 */
export function toolsContentGuard(file = TOOLS_CONTENT_FILE): string {
  return (
    `held="$(cat ${file} 2>/dev/null)"; if [ "$held" != "$TOOLS_CONTENT" ]; then ` +
    `echo "The tools image holds \${held:-nothing known}, this deploy's checkout $TOOLS_CONTENT: rebuild it (npm run tools-image) and set toolsImage" >&2; ` +
    `exit 1; fi; exec "$@"`
  );
}

/** The Job's name: the step's and a hash of its script, arguments, tools image, watched folders and rerunWhen. */
export function stepJobName(name: string, step: StepContract, toolsImage: string, rerunWhen: string[], toolsContent = ""): string {
  const hash = createHash("sha256");
  for (const part of [step.script, ...step.args, toolsImage, toolsContent, ...step.watch.map((dir) => hashDirectory(inProject(dir))), ...rerunWhen]) {
    hash.update(part).update("\0");
  }
  return `${name}-${hash.digest("hex").slice(0, 10)}`;
}

export class StepJob<S extends StepContract> extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: StepJobArgs<S>, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:kubernetes:StepJob", name, {}, opts);
    const jobName = stepJobName(name, args.step, args.toolsImage, args.rerunWhen, args.toolsContent);
    const env: k8s.types.input.core.v1.EnvVar[] = [];
    for (const [key, variable] of Object.entries(args.step.env)) {
      const source = (args.inputs as Record<string, EnvSource | undefined>)[key];
      if (source)
        env.push(
          "value" in source ? { name: variable.name, value: source.value } : { name: variable.name, valueFrom: { secretKeyRef: source.secret } },
        );
    }
    this.job = new k8s.batch.v1.Job(
      name,
      {
        metadata: {
          name: jobName,
          namespace: args.namespace,
          labels: { ...args.labels, "app.kubernetes.io/name": name },
          annotations: {
            // A Job that failed is replaced on the next `pulumi up` instead of awaited again
            // (pulumi/pulumi-kubernetes provider/pkg/provider/provider.go, Jobs only).
            "pulumi.com/replaceUnready": "true",
            "pulumi.com/timeoutSeconds": String(args.timeoutSeconds ?? 600),
          },
        },
        spec: {
          backoffLimit: (args.attempts ?? 1) - 1,
          // No ttlSecondsAfterFinished: a Job that disappears would be created again on the next up.
          template: {
            metadata: { labels: { ...args.labels, "app.kubernetes.io/name": name } },
            spec: {
              restartPolicy: "Never",
              securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
              containers: [
                {
                  name: "step",
                  image: args.toolsImage,
                  command: ["sh", "-c", toolsContentGuard(), "step", ...stepArgv(args.step)],
                  env: [{ name: "TOOLS_CONTENT", value: args.toolsContent }, ...env],
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                  // A failed step writes its error to stderr, not to /dev/termination-log: the kubelet then puts
                  // the log's tail into the terminated state's message, which the provider's pod check puts into
                  // the `pulumi up` error (pulumi/cloud-ready-checks pkg/kubernetes/pod/check.go, containerTerminatedError).
                  terminationMessagePolicy: "FallbackToLogsOnError",
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({});
  }
}

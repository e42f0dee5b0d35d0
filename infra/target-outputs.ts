import type * as pulumi from "@pulumi/pulumi";

/** What a target (infra/docker/stack.ts, infra/kubernetes/stack.ts) hands back for the stack's outputs. */
export interface TargetOutputs {
  /** Hasura where the deploying machine reaches it: the host's loopback, or the in-cluster Service. */
  hasuraUrl: pulumi.Output<string>;
  /** What apps call. */
  graphqlUrl: pulumi.Output<string>;
  consoleUrl?: pulumi.Output<string>;
  /** Docker target: Postgres on the host's loopback. */
  postgresPort?: pulumi.Output<number>;
  /** Docker target with scheduled backups: their volume. */
  backupVolume?: pulumi.Output<string>;
}

import type * as pulumi from "@pulumi/pulumi";

/** Where a stack's container goes: its Docker names, its labels and the stack's own network. */
export interface ContainerPlacement {
  /** Prefix of every Docker name, e.g. `kinde-hasura-dev`: project and stack, so stacks never collide. */
  namePrefix: string;
  /** Docker labels of the stack (core/naming.ts dockerLabels), on containers and volumes. */
  labels: Array<{ label: string; value: string }>;
  /** The stack's bridge network; containers reach each other there by name. */
  networkName: pulumi.Input<string>;
}

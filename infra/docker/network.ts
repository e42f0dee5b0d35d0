import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface StackNetworkArgs {
  /** Docker network name; includes project and stack so stacks never share a network. */
  name: string;
}

/** The stack's private bridge network: Hasura reaches Postgres by container name on it. */
export class StackNetwork extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: StackNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:StackNetwork", name, {}, opts);
    // Not `internal`: Hasura must reach Kinde's JWKS URL at boot (a failed first fetch is fatal).
    const network = new docker.Network(`${name}-bridge`, { name: args.name, driver: "bridge" }, { parent: this });
    this.name = network.name;
    this.registerOutputs({ name: this.name });
  }
}

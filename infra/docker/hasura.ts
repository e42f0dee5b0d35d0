import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HASURA_INTERNAL_PORT, LOOPBACK } from "../../core/naming.js";
import type { HasuraSettings } from "../../core/settings/stack-settings.js";
import { type HasuraEnvArgs, hasuraVariables } from "../hasura-env.js";
import type { ContainerPlacement } from "./placement.js";
import { loopbackPort, publishedPort } from "./ports.js";

export interface HasuraArgs extends ContainerPlacement {
  settings: HasuraSettings;
  /** Connection URL as the least-privilege `hasura` role, for the metadata catalog and the `default` source. */
  databaseUrl: pulumi.Output<string>;
  adminSecret: pulumi.Output<string>;
  /** HASURA_GRAPHQL_JWT_SECRET as JSON (jwtSecretJson builds it). */
  jwtSecret: pulumi.Input<string>;
}

/** Hasura GraphQL Engine that trusts the stack's JWT policy, healthy before `pulumi up` goes on. */
export class Hasura extends pulumi.ComponentResource {
  /** Base URL on the host, e.g. http://127.0.0.1:8080. */
  public readonly url: pulumi.Output<string>;
  public readonly hostPort: pulumi.Output<number>;
  public readonly container: docker.Container;

  constructor(name: string, args: HasuraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:Hasura", name, {}, opts);

    const image = new docker.RemoteImage(`${name}-image`, { name: args.settings.image, keepLocally: true }, { parent: this });

    const envs = pulumi
      .all([args.databaseUrl, args.adminSecret, args.jwtSecret])
      .apply(([databaseUrl, adminSecret, jwtSecret]) => hasuraEnvironment({ ...args.settings, databaseUrl, adminSecret, jwtSecret }));

    this.container = new docker.Container(
      name,
      {
        name: `${args.namePrefix}-hasura`,
        image: image.imageId,
        labels: args.labels,
        envs: pulumi.secret(envs),
        networksAdvanced: [{ name: args.networkName }],
        ports: [loopbackPort(HASURA_INTERNAL_PORT, args.settings.port)],
        healthcheck: {
          // /healthz is public and cannot be disabled; it answers 500 while the catalog is unreachable.
          // The v2 image keeps curl "to support health checks" (packaging/graphql-engine-base/ubuntu.dockerfile).
          tests: ["CMD-SHELL", `curl -fsS http://127.0.0.1:${HASURA_INTERNAL_PORT}/healthz || exit 1`],
          interval: "3s",
          timeout: "5s",
          retries: 40,
          startPeriod: "10s",
        },
        wait: true,
        waitTimeout: 180,
        restart: "unless-stopped",
      },
      {
        parent: this,
        // A component's dependsOn does not reach its children: Hasura must wait for its role and grants.
        dependsOn: opts?.dependsOn,
        deleteBeforeReplace: true,
        replaceOnChanges: ["healthcheck"],
      },
    );

    this.hostPort = publishedPort(this.container, `${args.namePrefix}-hasura`);
    this.url = pulumi.interpolate`http://${LOOPBACK}:${this.hostPort}`;
    this.registerOutputs({ url: this.url, hostPort: this.hostPort });
  }
}

/** The container's environment as KEY=VALUE strings (infra/hasura-env.ts, the same for both targets). */
export function hasuraEnvironment(args: HasuraEnvArgs): string[] {
  return hasuraVariables(args).map((v) => `${v.name}=${v.value}`);
}

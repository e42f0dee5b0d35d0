import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { caddyfile } from "../../core/caddyfile.js";
import type { EdgeSettings } from "../../core/settings/stack-settings.js";
import type { ContainerPlacement } from "./placement.js";
import { stackVolume } from "./volume.js";

export interface EdgeArgs extends ContainerPlacement {
  settings: EdgeSettings;
  /** Hasura inside the stack network, e.g. `kinde-hasura-prod-hasura:8080`. */
  upstream: string;
  /** Protect the certificate volume (production): a lost volume means new certificates and rate limits. */
  protectData?: boolean;
}

/**
 * The public TLS edge: Caddy with automatic HTTPS, the only container published beyond loopback (80
 * for the ACME challenge and the redirect, 443), serving /v1/graphql and /healthz only
 * (core/caddyfile.ts). A changed Caddyfile replaces the container (uploads force replacement).
 */
export class Edge extends pulumi.ComponentResource {
  public readonly url: string;
  public readonly container: docker.Container;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:Edge", name, {}, opts);
    const image = new docker.RemoteImage(`${name}-image`, { name: args.settings.image, keepLocally: true }, { parent: this });
    // Certificates and the ACME account live here (the image's /data); a new volume means new orders.
    const data = stackVolume(this, name, { dockerName: `${args.namePrefix}-caddy-data`, labels: args.labels, protect: args.protectData ?? false });
    this.container = new docker.Container(
      name,
      {
        name: `${args.namePrefix}-edge`,
        image: image.imageId,
        labels: [...args.labels, { label: "kinde-hasura.role", value: "edge" }],
        networksAdvanced: [{ name: args.networkName }],
        ports: [
          { internal: 80, external: 80, ip: "0.0.0.0" },
          { internal: 443, external: 443, ip: "0.0.0.0" },
        ],
        uploads: [
          {
            file: "/etc/caddy/Caddyfile",
            content: caddyfile({ siteAddress: args.settings.host, tls: { kind: "acme", email: args.settings.email }, upstream: args.upstream }),
          },
        ],
        volumes: [{ volumeName: data.name, containerPath: "/data" }],
        restart: "unless-stopped",
        destroyGraceSeconds: 10,
      },
      // Fixed host ports: the old container must go before the new one binds them.
      { parent: this, dependsOn: opts?.dependsOn, deleteBeforeReplace: true },
    );
    this.url = `https://${args.settings.host}`;
    this.registerOutputs({ url: this.url });
  }
}

// Postgres on the Docker target: the pinned image with its data on a named volume, published on the
// host's 127.0.0.1 only, healthy before anything else may use it.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { APP_DATABASE, LOOPBACK, POSTGRES_INTERNAL_PORT } from "../../core/naming.js";
import { postgresUrl } from "../../core/postgres-url.js";
import { majorVersion, parseImageReference } from "../../core/settings/config-values.js";
import type { PostgresSettings } from "../../core/settings/stack-settings.js";
import type { ContainerPlacement } from "./placement.js";
import { loopbackPort, publishedPort } from "./ports.js";
import { stackVolume } from "./volume.js";

/** The container answers on the stack network as `<namePrefix>-postgres`. */
export interface PostgresArgs extends ContainerPlacement {
  settings: PostgresSettings;
  /** Password of the `postgres` superuser. */
  superuserPassword: pulumi.Output<string>;
  /** Protect the data volume from `pulumi destroy` and replacement (production). Default false. */
  protectData?: boolean;
}

/** Postgres with its data on a named volume, healthy before anything else may use it. */
export class Postgres extends pulumi.ComponentResource {
  /** Host name of the container inside the stack network. */
  public readonly internalHost: pulumi.Output<string>;
  /** The port published on 127.0.0.1 (Docker's choice when hostPort is 0). */
  public readonly hostPort: pulumi.Output<number>;
  public readonly volumeName: pulumi.Output<string>;
  /** The pulled image, for the backup container (its pg_dump must match the server). */
  public readonly imageId: pulumi.Output<string>;
  public readonly container: docker.Container;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:Postgres", name, {}, opts);

    // keepLocally: stacks share the daemon's image store; destroying one must not pull an image
    // from under another stack's running container.
    const image = new docker.RemoteImage(`${name}-image`, { name: args.settings.image, keepLocally: true }, { parent: this });

    // Production keeps its data through destroy and renames.
    const volume = stackVolume(this, name, { dockerName: `${args.namePrefix}-pgdata`, labels: args.labels, protect: args.protectData ?? false });

    const envs = pulumi
      .all([args.superuserPassword])
      .apply(([password]) => [`POSTGRES_PASSWORD=${password}`, "POSTGRES_USER=postgres", `POSTGRES_DB=${APP_DATABASE}`]);

    this.container = new docker.Container(
      name,
      {
        name: `${args.namePrefix}-postgres`,
        image: image.imageId,
        labels: args.labels,
        envs: pulumi.secret(envs),
        networksAdvanced: [{ name: args.networkName }],
        ports: [loopbackPort(POSTGRES_INTERNAL_PORT, args.settings.port)],
        volumes: [{ volumeName: volume.name, containerPath: postgresDataPath(args.settings.image) }],
        healthcheck: {
          // -h: over TCP. Through the socket pg_isready answers for the init-time server and reports
          // healthy too early on a fresh volume (keploy/samples-java#152).
          tests: ["CMD-SHELL", `pg_isready -h 127.0.0.1 -U postgres -d ${APP_DATABASE}`],
          interval: "2s",
          timeout: "5s",
          retries: 30,
          startPeriod: "5s",
        },
        wait: true,
        waitTimeout: 120,
        restart: "unless-stopped",
        // Delete stops with timeout 0 unless told otherwise; give Postgres time to shut down cleanly.
        destroyGraceSeconds: 30,
      },
      {
        parent: this,
        // Fixed name and port: the old container must go before the new one starts.
        deleteBeforeReplace: true,
        // The provider "updates" a healthcheck without applying it; replace instead.
        replaceOnChanges: ["healthcheck"],
      },
    );

    this.internalHost = this.container.name;
    this.hostPort = publishedPort(this.container, `${args.namePrefix}-postgres`);
    this.volumeName = volume.name;
    this.imageId = image.imageId;
    this.registerOutputs({ internalHost: this.internalHost, hostPort: this.hostPort, volumeName: this.volumeName });
  }

  /** The app database as containers on the stack network reach it (Hasura). Secret, as the password is. */
  networkUrl(user: string, password: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi
      .all([this.internalHost, password])
      .apply(([host, pw]) => postgresUrl({ user, password: pw, host, port: POSTGRES_INTERNAL_PORT, database: APP_DATABASE }));
  }

  /** The app database on the host's loopback port, for the steps that run beside Pulumi. Secret, as the password is. */
  loopbackUrl(user: string, password: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi
      .all([this.hostPort, password])
      .apply(([port, pw]) => postgresUrl({ user, password: pw, host: LOOPBACK, port, database: APP_DATABASE }));
  }
}

/**
 * Where the image keeps its data: Postgres 18+ images moved PGDATA under /var/lib/postgresql/18/docker
 * and refuse to start with data in the old place (docker-library/docs#2582).
 */
export function postgresDataPath(image: string): string {
  // From the parsed tag: a registry port (`registry.local:5000/postgres:17.6`) is not a version.
  const major = majorVersion(parseImageReference(image)?.tag) ?? 0;
  return major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

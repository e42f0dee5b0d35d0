import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { backupScript } from "../../core/backup-schedule.js";
import { APP_DATABASE, POSTGRES_INTERNAL_PORT } from "../../core/naming.js";
import type { BackupSettings } from "../../core/settings/stack-settings.js";
import type { ContainerPlacement } from "./placement.js";
import { stackVolume } from "./volume.js";

export interface BackupArgs extends ContainerPlacement {
  /** The stack's Postgres: its pulled image (whose pg_dump matches the server) and its name on the network. */
  postgres: { imageId: pulumi.Input<string>; internalHost: pulumi.Input<string> };
  /** The `postgres` superuser's password: pg_dump reads every schema, hdb_catalog included. */
  superuserPassword: pulumi.Output<string>;
  schedule: BackupSettings;
  /** Protect the backups volume (production): `pulumi destroy` must not take the backups with it. */
  protectData?: boolean;
}

/**
 * Scheduled backups: a container of the stack's Postgres image running core/backup-schedule.ts
 * (the image has no cron), writing to the `<prefix>-backups` volume and, with hostDir, also to a host
 * directory for an off-host shipper. Nothing is published; it reaches Postgres over the stack network.
 */
export class Backup extends pulumi.ComponentResource {
  public readonly volumeName: pulumi.Output<string>;
  public readonly container: docker.Container;

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:Backup", name, {}, opts);
    const volume = stackVolume(this, name, { dockerName: `${args.namePrefix}-backups`, labels: args.labels, protect: args.protectData ?? false });
    const envs = pulumi
      .all([args.postgres.internalHost, args.superuserPassword])
      .apply(([host, password]) => [
        `PGHOST=${host}`,
        `PGPORT=${POSTGRES_INTERNAL_PORT}`,
        "PGUSER=postgres",
        `PGDATABASE=${APP_DATABASE}`,
        `PGPASSWORD=${password}`,
        "BACKUP_DIR=/backups",
      ]);
    this.container = new docker.Container(
      name,
      {
        name: `${args.namePrefix}-backup`,
        image: args.postgres.imageId,
        labels: [...args.labels, { label: "kinde-hasura.role", value: "backup" }],
        // The image's entrypoint runs any command other than `postgres` as given (docker-entrypoint.sh).
        command: ["sh", "-c", backupScript(args.schedule)],
        envs: pulumi.secret(envs),
        networksAdvanced: [{ name: args.networkName }],
        volumes: [
          { volumeName: volume.name, containerPath: "/backups" },
          ...(args.schedule.hostDir ? [{ hostPath: args.schedule.hostDir, containerPath: "/host-copy" }] : []),
        ],
        restart: "unless-stopped",
        destroyGraceSeconds: 10,
      },
      // Fixed name: the old container must go before the new one starts.
      { parent: this, dependsOn: opts?.dependsOn, deleteBeforeReplace: true },
    );
    this.volumeName = volume.name;
    this.registerOutputs({ volumeName: this.volumeName });
  }
}

// Postgres for the Kubernetes target: a CloudNativePG cluster in the stack's namespace (the operator
// installed by a pinned Helm release, or already present), or an external database from the
// databaseUrl secret. Either way it hands out how Hasura and the migrations reach the primary directly:
// the runner's session advisory lock and Hasura's metadata connection need a real session.

// Typed by the Cluster CRD's schema (@kubernetes-models/cloudnative-pg, generated from CloudNativePG's CRDs): a
// misspelt field fails `tsc`, a wrong value the schema test (tests/program/stack-kubernetes.test.ts).
import type { ICluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_DATABASE, HASURA_DB_ROLE } from "../../core/naming.js";
import { postgresUrl } from "../../core/postgres-url.js";
import type { DatabaseSettings } from "../../core/settings/kubernetes.js";
import { CNPG_BOOTSTRAP_SQL } from "./cnpg-bootstrap.js";

/** CloudNativePG's chart (cloudnative-pg/charts charts/cloudnative-pg/Chart.yaml): chart 0.29.0 is operator 1.30.0. */
export const CNPG_CHART = { name: "cloudnative-pg", version: "0.29.0", repo: "https://cloudnative-pg.github.io/charts" };
export const CNPG_NAMESPACE = "cnpg-system";

/** An environment variable's value from a Secret key: how credentials reach a container. */
export interface SecretKeyRef {
  name: pulumi.Input<string>;
  key: string;
}

export interface KubernetesPostgresArgs {
  namespace: pulumi.Input<string>;
  /** The CloudNativePG cluster's name, also the prefix of its Services and Secrets. */
  clusterName: string;
  database: DatabaseSettings;
  /** The external database's URL (postgresProvider: external). */
  databaseUrl?: pulumi.Output<string>;
  /** The `hasura` login role's password (cnpg). */
  hasuraPassword: pulumi.Output<string>;
  labels: Record<string, string>;
  production: boolean;
}

export class KubernetesPostgres extends pulumi.ComponentResource {
  /** Hasura's connection URL as the `hasura` role (external: the configured URL). Secret. */
  public readonly hasuraUrl: pulumi.Output<string>;
  /** Where the migrations Job reads its DATABASE_URL: the database owner's URL on the primary. */
  public readonly migrationsUrl: SecretKeyRef;
  /** What the Hasura rollout and the migrations wait for. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: KubernetesPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:kubernetes:Postgres", name, {}, opts);
    const child = { parent: this };
    if (args.database.kind === "external") {
      if (!args.databaseUrl) throw new pulumi.RunError("postgresProvider external needs the databaseUrl secret");
      const secret = new k8s.core.v1.Secret(
        `${name}-external`,
        { metadata: { name: `${args.clusterName}-external`, namespace: args.namespace, labels: args.labels }, stringData: { url: args.databaseUrl } },
        child,
      );
      this.hasuraUrl = pulumi.secret(args.databaseUrl);
      this.migrationsUrl = { name: secret.metadata.name, key: "url" };
      this.ready = [secret];
      this.registerOutputs({});
      return;
    }

    const db = args.database;
    // One operator per cluster, cluster-wide: a fixed release name, so a second stack that also says
    // `install` fails at once instead of fighting over the CRDs; protected on production, since removing
    // it leaves every CloudNativePG cluster on the cluster without failover.
    const operator = db.installOperator
      ? new k8s.helm.v3.Release(
          `${name}-operator`,
          {
            name: "cnpg",
            chart: CNPG_CHART.name,
            version: CNPG_CHART.version,
            repositoryOpts: { repo: CNPG_CHART.repo },
            namespace: CNPG_NAMESPACE,
            createNamespace: true,
            // The operator's CRDs must exist before the Cluster; the release waits for its pods.
            atomic: true,
          },
          { ...child, protect: args.production },
        )
      : undefined;
    // CloudNativePG reads a managed role's password from a basic-auth Secret (api/v1/cluster_types.go RoleConfiguration).
    const roleSecretName = `${args.clusterName}-hasura`;
    const roleSecret = new k8s.core.v1.Secret(
      `${name}-hasura-role`,
      {
        metadata: { name: roleSecretName, namespace: args.namespace, labels: { ...args.labels, "cnpg.io/reload": "true" } },
        type: "kubernetes.io/basic-auth",
        stringData: { username: HASURA_DB_ROLE, password: args.hasuraPassword },
      },
      child,
    );
    const cluster = new k8s.apiextensions.CustomResource(
      `${name}-cluster`,
      {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: {
          name: args.clusterName,
          namespace: args.namespace,
          labels: args.labels,
          // The provider waits for custom resources only when told what to wait for: the Jobs start on a ready primary.
          // A first cluster of 3 instances takes a while: up to 30 minutes, not the provider's 10.
          annotations: { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "1800" },
        },
        spec: cnpgClusterSpec(db, roleSecretName),
      },
      { ...child, dependsOn: operator ? [operator, roleSecret] : [roleSecret], protect: args.production },
    );
    const host = pulumi.interpolate`${args.clusterName}-rw.${args.namespace}.svc`;
    this.hasuraUrl = pulumi.secret(
      pulumi
        .all([host, args.hasuraPassword])
        .apply(([h, password]) => postgresUrl({ user: HASURA_DB_ROLE, password, host: h, port: 5432, database: APP_DATABASE })),
    );
    // CloudNativePG's `<cluster>-app` Secret: the owner's `uri`, on the -rw Service, i.e. the primary
    // (pkg/specs/secrets.go; internal/controller/cluster_create.go).
    this.migrationsUrl = { name: `${args.clusterName}-app`, key: "uri" };
    this.ready = [cluster];
    this.registerOutputs({});
  }
}

/**
 * The Cluster's spec. The app database belongs to its own owner (`app`), which runs the migrations;
 * Hasura connects as the least-privilege `hasura` role: created at bootstrap so it can own its catalog
 * schema, then given its password and kept by the operator as a managed role.
 */
export function cnpgClusterSpec(db: Extract<DatabaseSettings, { kind: "cnpg" }>, hasuraRoleSecret: string): ICluster["spec"] {
  return {
    instances: db.instances,
    imageName: db.image,
    // One instance has no standby to move to: a PDB would only block node drains.
    enablePDB: db.instances > 1,
    storage: { size: db.storageSize },
    postgresql: { parameters: { max_connections: String(db.maxConnections) } },
    bootstrap: {
      initdb: {
        database: APP_DATABASE,
        owner: APP_DATABASE,
        // As a superuser in the app database, once: pgcrypto needs one, and so does a schema owned by another role.
        postInitApplicationSQL: CNPG_BOOTSTRAP_SQL,
      },
    },
    managed: { roles: [{ name: HASURA_DB_ROLE, ensure: "present", login: true, superuser: false, passwordSecret: { name: hasuraRoleSecret } }] },
  };
}

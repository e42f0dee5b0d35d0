import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { APP_DATABASE, HASURA_DB_ROLE, LOOPBACK } from "../../core/naming.js";

export interface HasuraDatabaseArgs {
  /** Host port of the healthy Postgres container on 127.0.0.1 (an Output, so the provider waits for it). */
  hostPort: pulumi.Input<number>;
  /** Password of the `postgres` superuser, used only by the provider to create the role. */
  superuserPassword: pulumi.Output<string>;
  /** Password for the `hasura` login role. */
  hasuraPassword: pulumi.Output<string>;
  /**
   * Let Hasura create tables in `public` (CREATE on the schema): for stacks whose console makes
   * schema changes. Default false: tables come from migrations only and Hasura gets just the grants
   * the migrations give it.
   */
  allowSchemaChanges?: boolean;
}

/**
 * The least-privilege login role Hasura connects as: not a superuser, owner of its own catalog
 * schema, CONNECT on the app database and USAGE on `public`. Table rights come from the migrations
 * that create the tables (migrations/), so Hasura can touch exactly the tables it is given.
 */
export class HasuraDatabase extends pulumi.ComponentResource {
  public readonly roleName: pulumi.Output<string>;
  /** The provider that manages this database as `postgres`; migrations run after it is ready. */
  public readonly provider: postgresql.Provider;

  constructor(name: string, args: HasuraDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:HasuraDatabase", name, {}, opts);

    this.provider = new postgresql.Provider(
      `${name}-admin`,
      {
        host: LOOPBACK,
        port: args.hostPort,
        username: "postgres",
        password: args.superuserPassword,
        database: APP_DATABASE,
        // lib/pq defaults to sslmode=require, which a local container refuses (pulumi-postgresql #524).
        sslmode: "disable",
        superuser: true,
        connectTimeout: 30,
      },
      // A component's dependsOn does not reach its children: the provider must wait for healthy Postgres.
      { parent: this, dependsOn: opts?.dependsOn },
    );
    const child = { parent: this, provider: this.provider };

    const role = new postgresql.Role(
      `${name}-role`,
      {
        name: HASURA_DB_ROLE,
        login: true,
        password: args.hasuraPassword,
        superuser: false,
        createDatabase: false,
        createRole: false,
        inherit: true,
      },
      child,
    );

    // Hasura creates its catalog on first start; owning the schema beforehand means it needs no
    // CREATE on the database. pgcrypto needs a superuser to install, so it is installed here.
    new postgresql.Schema(`${name}-catalog`, { name: "hdb_catalog", database: APP_DATABASE, owner: role.name }, child);
    new postgresql.Extension(`${name}-pgcrypto`, { name: "pgcrypto", database: APP_DATABASE, schema: "public" }, child);
    new postgresql.Grant(`${name}-connect`, { database: APP_DATABASE, role: role.name, objectType: "database", privileges: ["CONNECT"] }, child);
    new postgresql.Grant(
      `${name}-public-schema`,
      {
        database: APP_DATABASE,
        role: role.name,
        objectType: "schema",
        schema: "public",
        privileges: args.allowSchemaChanges ? ["USAGE", "CREATE"] : ["USAGE"],
      },
      child,
    );

    // Dependents wait for the whole component (`dependsOn: [database]`), so for every grant too.
    this.roleName = role.name;
    this.registerOutputs({ roleName: this.roleName });
  }
}

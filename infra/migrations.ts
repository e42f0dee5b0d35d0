import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hashDirectory } from "../scripts/lib/content-hash.js";

export interface MigrationsArgs {
  /** Superuser URL of the app database as seen from this machine (a secret). */
  databaseUrl: pulumi.Output<string>;
  /** The migrations directory, relative to the project root. Default `migrations/default`. */
  dir?: string;
}

/**
 * Runs `scripts/migrate.ts up` on the machine running `pulumi up`. It re-runs only when a file under
 * the migrations directory changes (content hash trigger), and a failing migration fails the update.
 */
export class Migrations extends pulumi.ComponentResource {
  public readonly command: command.local.Command;

  constructor(name: string, args: MigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kinde-hasura:index:Migrations", name, {}, opts);
    const dir = args.dir ?? "migrations/default";
    const run = `node --import tsx scripts/migrate.ts up --dir ${dir}`;
    this.command = new command.local.Command(
      `${name}-up`,
      {
        // Relative paths, no `dir`: commands run in the project root, and an absolute checkout path
        // would differ between teammates' machines and replace the command on every up.
        create: run,
        update: run,
        // The only way the URL (and its password) reaches the command: never in the command line.
        environment: { DATABASE_URL: args.databaseUrl },
        triggers: [hashDirectory(dir)],
        // The runner prints no secret, but its output is kept out of logs and state all the same.
        logging: "none",
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: opts?.dependsOn, additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.registerOutputs({});
  }
}

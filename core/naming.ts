// Docker names are global to a daemon, so every one carries project and stack: `dev` and `pr-42`
// live side by side. Pulumi's logical names stay short; these are the names Docker sees.

export function dockerNamePrefix(project: string, stack: string): string {
  return `${project}-${stack}`.toLowerCase().replace(/[^a-z0-9_.-]/g, "-");
}

/** Inside the stack network the database answers on this fixed port, whatever the host port is. */
export const POSTGRES_INTERNAL_PORT = 5432;
export const HASURA_INTERNAL_PORT = 8080;
/** The application database created by the Postgres image on first start. */
export const APP_DATABASE = "app";
/** The least-privilege login role Hasura connects as; migrations grant it the app tables. */
export const HASURA_DB_ROLE = "hasura";
/** Host ports are published on loopback only: nothing is reachable from other machines by default. */
export const LOOPBACK = "127.0.0.1";

/** Labels on every Docker object: who owns it, and whether it is production (policies read this). */
export function dockerLabels(stack: string, production: boolean): Array<{ label: string; value: string }> {
  return [
    { label: "kinde-hasura.stack", value: stack },
    { label: "kinde-hasura.production", value: String(production) },
  ];
}

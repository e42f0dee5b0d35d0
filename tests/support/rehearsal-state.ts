// What the program generated in a rehearsal, read back from the rehearsal's (encrypted) state.
import { join } from "node:path";
import pg from "pg";
import { PostgresStandIn } from "../../dev/rehearsal/postgres-standin.js";
import { RehearsalState } from "../../dev/rehearsal/state.js";
import { reveal } from "../../dev/rehearsal/values.js";
import { freePort } from "../../scripts/lib/net/free-port.js";

/** Generated credentials by logical name: `credentials-postgres-password` → its value, the key's PKCS#8 PEM. */
export function generatedCredentials(stateRoot: string, stack: string): Record<string, string> {
  const state = new RehearsalState(stateRoot, stack);
  const out: Record<string, string> = {};
  for (const urn of state.resourceUrns()) {
    const record = state.resource(urn);
    const outputs = reveal(record?.outputs).plain as Record<string, unknown>;
    const name = urn.split("::").pop() as string;
    if (record?.type === "random:index/randomPassword:RandomPassword") out[name] = String(outputs.result);
    if (record?.type === "tls:index/privateKey:PrivateKey") out[name] = String(outputs.privateKeyPemPkcs8);
  }
  return out;
}

/**
 * The stack's Postgres volume opened again after a rehearsal, as a new container would open it: a
 * client as `postgres` on the `app` database, and how to stop the server.
 */
export async function openRehearsedDatabase(stateRoot: string, stack: string): Promise<{ client: pg.Client; close(): Promise<void> }> {
  const password = generatedCredentials(stateRoot, stack)["credentials-postgres-password"] as string;
  const port = await freePort();
  const server = new PostgresStandIn({
    env: [`POSTGRES_PASSWORD=${password}`, "POSTGRES_DB=app"],
    volumeDir: join(stateRoot, stack, "volumes", `kinde-hasura-${stack}-pgdata`),
    port,
  });
  await server.start();
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password, database: "app" });
  await client.connect();
  return {
    client,
    async close() {
      await client.end();
      await server.stop();
    },
  };
}

// One way for the CLIs to open their database connection: the connect bounded in time (a silent port
// fails in 15 s instead of hanging) and a refusal reported with the URL redacted. Queries are not
// bounded here: a long migration or index build must be able to finish.
import pg from "pg";
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { redactUrl } from "../../../core/postgres-url.js";

export class DatabaseConnectError extends ExpectedFailure {}

export async function connectDatabase(url: string, timeoutMs = 15_000): Promise<pg.Client> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  } catch {
    // pg parses the URL here; its own error would quote nothing useful (and the URL may hold a password).
    throw new DatabaseConnectError(
      `${redactUrl(url)} is not a connection URL pg can read; percent-encode @ : / # ? in the password (encodeURIComponent)`,
    );
  }
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new DatabaseConnectError(`Cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
  }
  return client;
}

/** Runs `work` on its own connection and closes it afterwards, also when `work` fails. */
export async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectDatabase(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// One way for the CLIs to open their database connection: bounded in time (a silent port fails in
// 15 s instead of hanging), and a refusal reported with the URL redacted.
import pg from "pg";
import { redactUrl } from "./postgres-url.js";

export class DatabaseConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseConnectError";
  }
}

export async function connectDatabase(url: string, timeoutMs = 15_000): Promise<pg.Client> {
  // Every query is bounded too: a server that accepts and then stalls must not hang a deploy.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: 300_000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new DatabaseConnectError(`Cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
  }
  return client;
}

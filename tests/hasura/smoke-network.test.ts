// The smoke test when the network or the server misbehaves (127.0.0.1 servers that drop, hang or
// answer what Hasura would not; they stand in for failures, not for Hasura): every request is
// bounded, the message names the step and the URL, and a failed cleanup is reported with the ids
// left behind after the first error, never instead of it.
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { runSmoke, SmokeError, waitForHealthy } from "../../scripts/lib/smoke/smoke.js";
import { signingKeyFromPem } from "../../scripts/lib/smoke/tokens.js";
import { rsaKeyPair } from "../support/fixtures.js";

const keys = rsaKeyPair();
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server that answers /healthz as Hasura does, the first GraphQL request (the seed) with data, then `then`. */
async function misbehaving(then: "drop" | "hang"): Promise<string> {
  let graphqlRequests = 0;
  server = createServer((req, res) => {
    if (req.url === "/healthz") return void res.end("OK");
    graphqlRequests += 1;
    if (graphqlRequests === 1) return void res.end(JSON.stringify({ data: { insert_users: { affected_rows: 2 } } }));
    if (then === "drop") req.socket.destroy();
    // "hang": never answer.
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

async function smokeAgainst(endpoint: string, log: string[]) {
  return runSmoke({
    endpoint,
    adminSecret: "a".repeat(32),
    policy: { issuer: "https://local-signer.invalid/kinde-hasura/dev", audience: "hasura", claims: "namespace" },
    mode: "local",
    signingKey: await signingKeyFromPem(keys.privateKeyPem),
    publicKeyPem: keys.publicKeyPem,
    userCanInsert: true,
    healthTimeoutMs: 2_000,
    requestTimeoutMs: 300,
    log: (l) => log.push(l),
  });
}

describe("the smoke test on a failing network", () => {
  it("names the step and URL when the connection drops mid-run, and reports the users it could not remove", async () => {
    const endpoint = await misbehaving("drop");
    const log: string[] = [];
    const error = await smokeAgainst(endpoint, log).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SmokeError);
    expect((error as Error).message).toMatch(new RegExp(`^the first check: POST ${endpoint}/v1/graphql failed: `));
    expect(log.at(-1)).toMatch(
      /^WARNING: could not remove the smoke users smoke-[0-9a-f]{8}-a, smoke-[0-9a-f]{8}-b \(remove them by id\): removing the smoke users: POST /,
    );
  });

  it("gives up on a request that hangs after its timeout, with a message instead of an uncaught TimeoutError", { timeout: 10_000 }, async () => {
    const endpoint = await misbehaving("hang");
    const log: string[] = [];
    const error = await smokeAgainst(endpoint, log).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SmokeError);
    expect((error as Error).message).toBe(`the first check: POST ${endpoint}/v1/graphql failed: no answer within 300 ms`);
  });

  it("does not take any 200 from /healthz for a healthy Hasura", async () => {
    server = createServer((_req, res) => res.end("<html>a proxy's page</html>"));
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await expect(waitForHealthy(endpoint, 800, () => {})).rejects.toThrow(
      `Hasura at ${endpoint}/healthz did not answer as Hasura does (200 "OK") within 1 s (last: HTTP 200 <html>a proxy's page</html>)`,
    );
  });
});

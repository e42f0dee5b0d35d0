// The JWKS check before Hasura starts, and what Hasura will do with the keys (127.0.0.1 JWKS servers
// answering as a JWKS endpoint does; they stand in for Kinde's, whose caching headers are UNVERIFIED).
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { checkJwks, describeRefresh, jwksExpiry } from "../../scripts/lib/kinde/jwks.js";
import { freePort } from "../../scripts/lib/net/free-port.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function jwks(status: number, body: string, headers: Record<string, string> = {}): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body);
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}/.well-known/jwks`;
}

const KEYS = JSON.stringify({ keys: [{ kty: "RSA", kid: "k1", n: "AQAB", e: "AQAB" }] });

describe("the JWKS check", () => {
  it("says Hasura keeps the keys until restart when the answer has no Cache-Control or Expires", async () => {
    const facts = await checkJwks(await jwks(200, KEYS));
    expect(facts).toMatchObject({ keys: 1, refreshAfterSeconds: undefined });
    expect(describeRefresh(facts)).toMatch(/sends no Cache-Control or Expires: Hasura keeps these keys until it restarts/);
  });

  it("says when Hasura fetches again from max-age, no-cache or Expires", async () => {
    expect((await checkJwks(await jwks(200, KEYS, { "cache-control": "public, max-age=3600" }))).refreshAfterSeconds).toBe(3600);
    expect(jwksExpiry(new Headers({ "cache-control": "no-store" }))).toBe(1);
    expect(jwksExpiry(new Headers({ expires: new Date(Date.now() + 60_000).toUTCString() }))).toBeGreaterThan(55);
    expect(jwksExpiry(new Headers({}))).toBeUndefined();
  });

  it("fails naming the URL and the reason on a closed port, an error status, or no keys", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/.well-known/jwks`;
    await expect(checkJwks(closed)).rejects.toThrow(`Cannot fetch the JWKS at ${closed}: ECONNREFUSED. Hasura would exit at start`);
    const notFound = await jwks(404, "not here");
    await expect(checkJwks(notFound)).rejects.toThrow(`The JWKS at ${notFound} answered HTTP 404, not 200: not here`);
    await new Promise<void>((r) => server?.close(() => r()));
    const empty = await jwks(200, JSON.stringify({ keys: [] }));
    await expect(checkJwks(empty)).rejects.toThrow(`The JWKS at ${empty} has no keys`);
  });

  it("gives up on a JWKS that never answers", { timeout: 5_000 }, async () => {
    server = createServer(() => {});
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
    await expect(checkJwks(url, 300)).rejects.toThrow(`Cannot fetch the JWKS at ${url}: no answer within 300 ms`);
  });
});

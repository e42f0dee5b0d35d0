// CORS as a browser enforces it, against the rehearsal's Hasura stand-in (a test double of Hasura: it
// proves that the stand-in answers as Hasura's corsMiddleware does, server/src-lib/Hasura/Server/
// Middleware.hs, and that a page on an origin outside hasuraCorsDomains is refused by Chromium itself;
// it proves nothing about Hasura). Two pages on 127.0.0.1, one on the allowed origin and one on another
// port, each call the stand-in over HTTP (a preflighted POST with the admin secret header) and open a
// graphql-transport-ws subscription socket.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HasuraStandIn } from "../../dev/rehearsal/hasura-standin/server.js";
import { freePort } from "../../scripts/lib/net/free-port.js";
import { launchChromium, type TestBrowser } from "../support/browser.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";

const ADMIN_SECRET = "browser-cors-admin-secret-0123456789abcdef";

let database: TestDatabase;
let hasura: HasuraStandIn;
let hasuraUrl: string;
let pages: Server;
let allowedOrigin: string;
let otherOrigin: string;
let browser: TestBrowser;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  database = await freshDatabase("cors");
  const port = await freePort();
  // The page's origin must be known before the stand-in starts: it is the stand-in's CORS list.
  pages = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>page</title>"));
  allowedOrigin = await listen(pages);
  const other = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>other</title>"));
  otherOrigin = await listen(other);
  pages.on("close", () => other.close());
  hasura = new HasuraStandIn({
    env: [
      `HASURA_GRAPHQL_DATABASE_URL=${database.url}`,
      `HASURA_GRAPHQL_ADMIN_SECRET=${ADMIN_SECRET}`,
      `HASURA_GRAPHQL_CORS_DOMAIN=${allowedOrigin}`,
    ],
    resolve: (host, p) => ({ host, port: p }),
    port,
  });
  await hasura.start();
  hasuraUrl = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await hasura?.stop();
  pages?.close();
  await database?.drop();
});

type PageAnswer = { status?: number; body?: unknown; error?: string };

/**
 * What the page sees, checked while the page is open (a failure leaves its screenshot): the answer's
 * status and body, or the error fetch throws (a CORS refusal is a TypeError).
 */
async function graphqlFrom(origin: string, name: string, check: (answer: PageAnswer) => void): Promise<void> {
  await browser.onPage(name, async (page) => {
    await page.goto(`${origin}/`);
    const answer: PageAnswer = await page.evaluate(
      async ({ url, secret }) => {
        try {
          const response = await fetch(`${url}/v1/graphql`, {
            method: "POST",
            // A custom header and a JSON body: the browser sends an OPTIONS preflight first.
            headers: { "content-type": "application/json", "x-hasura-admin-secret": secret },
            body: JSON.stringify({ query: "{ __typename }" }),
          });
          return { status: response.status, body: await response.json() };
        } catch (err) {
          return { error: `${(err as Error).name}: ${(err as Error).message}` };
        }
      },
      { url: hasuraUrl, secret: ADMIN_SECRET },
    );
    check(answer);
  });
}

/** Opens a subscription socket from the page: "ack" once Hasura acknowledged connection_init, else how it closed. */
async function socketFrom(origin: string, name: string, check: (outcome: string) => void): Promise<void> {
  await browser.onPage(name, async (page) => {
    await page.goto(`${origin}/`);
    const outcome = await page.evaluate(
      ({ url, secret }) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url, "graphql-transport-ws");
          const timer = setTimeout(() => resolve("no answer in 5 s"), 5000);
          socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { headers: { "x-hasura-admin-secret": secret } } }));
          socket.onmessage = (event) => {
            clearTimeout(timer);
            resolve(JSON.parse(String(event.data)).type === "connection_ack" ? "ack" : `message ${String(event.data)}`);
            socket.close();
          };
          socket.onclose = (event) => {
            clearTimeout(timer);
            resolve(`closed ${event.code}`);
          };
        }),
      { url: `${hasuraUrl.replace("http:", "ws:")}/v1/graphql`, secret: ADMIN_SECRET },
    );
    check(outcome);
  });
}

describe("CORS in Chromium against the Hasura stand-in (hasuraCorsDomains)", () => {
  it("lets a page on the allowed origin call /v1/graphql, preflight and all", { timeout: 30_000 }, async () => {
    await graphqlFrom(allowedOrigin, "cors-allowed-http", (answer) => {
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: { __typename: "query_root" } });
    });
  });

  it("refuses a page on another origin (here only the port differs): the browser never hands it the answer", { timeout: 30_000 }, async () => {
    await graphqlFrom(otherOrigin, "cors-refused-http", (answer) => expect(answer).toEqual({ error: "TypeError: Failed to fetch" }));
  });

  it("answers the preflight as Hasura does: 204 with the origin, credentials, methods and the requested headers", async () => {
    const response = await fetch(`${hasuraUrl}/v1/graphql`, {
      method: "OPTIONS",
      headers: {
        origin: allowedOrigin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-hasura-admin-secret",
      },
    });
    expect(response.status).toBe(204);
    expect(Object.fromEntries([...response.headers].filter(([k]) => k.startsWith("access-control-")))).toEqual({
      "access-control-allow-origin": allowedOrigin,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
      "access-control-allow-headers": "content-type,x-hasura-admin-secret",
      "access-control-max-age": "1728000",
    });
    const refused = await fetch(`${hasuraUrl}/v1/graphql`, { method: "OPTIONS", headers: { origin: otherOrigin } });
    expect([...refused.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
  });

  it("opens a subscription socket from the allowed origin and refuses one from another origin", { timeout: 30_000 }, async () => {
    await socketFrom(allowedOrigin, "cors-allowed-ws", (outcome) => expect(outcome).toBe("ack"));
    await socketFrom(otherOrigin, "cors-refused-ws", (outcome) => expect(outcome).toMatch(/^closed (4403|1006)$/));
  });
});

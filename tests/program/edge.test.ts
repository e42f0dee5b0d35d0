// The TLS edge's Caddyfile, served by a real Caddy (Debian's 2.6, `tls internal`, 127.0.0.1) in front
// of a 127.0.0.1 upstream that records what reaches it (it stands in for Hasura's port; it is not
// Hasura). Caddy's path matcher cleans the path and ignores case while reverse_proxy sends the raw
// path, so each tricky spelling must either be refused or reach the upstream as exactly /v1/graphql.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caddyfile, HSTS } from "../../core/caddyfile.js";
import { type RunningCaddy, startCaddy } from "../support/caddy.js";

interface Seen {
  path: string;
  authorization?: string;
  upgrade?: string;
}

let upstream: Server;
let caddy: RunningCaddy;
const seen: Seen[] = [];

beforeAll(async () => {
  upstream = createServer((req: IncomingMessage, res) => {
    seen.push({ path: req.url ?? "", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    res.end(JSON.stringify({ data: {} }));
  });
  upstream.on("upgrade", (req: IncomingMessage, socket) => {
    seen.push({ path: req.url ?? "", upgrade: String(req.headers.upgrade) });
    socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  caddy = await startCaddy(`127.0.0.1:${(upstream.address() as { port: number }).port}`);
}, 30_000);

afterAll(async () => {
  await caddy?.stop();
  upstream?.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
});

/** One request with the path exactly as given (no client-side normalisation). */
function send(path: string, headers: Record<string, string> = {}): Promise<{ status: number; hsts?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: caddy.port, path, method: "POST", ca: caddy.ca, servername: "127.0.0.1", headers }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers["strict-transport-security"] ? { hsts: String(res.headers["strict-transport-security"]) } : {}),
        }),
      );
    });
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer for ${path}`)));
    req.end("{}");
  });
}

async function through(path: string, headers: Record<string, string> = {}): Promise<{ status: number; reached?: Seen; hsts?: string }> {
  const before = seen.length;
  const answer = await send(path, headers);
  return { ...answer, ...(seen.length > before ? { reached: seen[seen.length - 1] } : {}) };
}

describe("the TLS edge (a real Caddy in front of a recording upstream)", () => {
  it("proxies GraphQL with the client's Authorization header and sends HSTS", async () => {
    const r = await through("/v1/graphql", { authorization: "Bearer a.b.c" });
    expect(r.status).toBe(200);
    expect(r.reached).toEqual({ path: "/v1/graphql", authorization: "Bearer a.b.c" });
    expect(r.hsts).toBe(HSTS);
  });

  it("proxies /healthz, and answers 404 to every other API, the metadata API and the console included", async () => {
    expect((await through("/healthz")).reached?.path).toBe("/healthz");
    for (const path of ["/v1/metadata", "/v2/query", "/v1/query", "/console", "/v1/version", "/v1/graphql/extra", "/"]) {
      const r = await through(path);
      expect(r.status, path).toBe(404);
      expect(r.reached, path).toBeUndefined();
    }
  });

  it("sends the upstream exactly /v1/graphql for spellings Caddy's matcher folds into it, or refuses them", async () => {
    for (const path of [
      "/v1/metadata/../graphql",
      "//v1/graphql",
      "/v1%2Fgraphql",
      "/V1/GRAPHQL",
      "/v1/graphql?type=replace_metadata",
      "/v1/./graphql",
    ]) {
      const r = await through(path);
      if (r.reached) expect(r.reached.path, path).toBe("/v1/graphql");
      else expect(r.status, path).toBe(404);
    }
    // The metadata API stays out of reach whatever the spelling.
    for (const path of ["/v1/graphql/../metadata", "/V1/METADATA", "/v1%2Fmetadata", "//v1/metadata"]) {
      const r = await through(path);
      expect(r.reached?.path ?? "(not proxied)", path).not.toMatch(/metadata/i);
    }
  });

  it("passes WebSocket upgrades (subscriptions) to /v1/graphql", async () => {
    const before = seen.length;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port: caddy.port,
        path: "/v1/graphql",
        ca: caddy.ca,
        servername: "127.0.0.1",
        headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
      });
      req.on("upgrade", (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on("response", (res) => resolve(res.statusCode ?? 0));
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(101);
    expect(seen.slice(before)).toEqual([{ path: "/v1/graphql", upgrade: "websocket" }]);
  });
});

describe("the generated Caddyfile", () => {
  it("asks Let's Encrypt for the public host with the operator's email, and turns the admin API off", () => {
    const text = caddyfile({
      siteAddress: "api.example.com",
      tls: { kind: "acme", email: "ops@example.com" },
      upstream: "kinde-hasura-prod-hasura:8080",
    });
    expect(text).toContain("\temail ops@example.com\n");
    expect(text).toContain("\tadmin off\n");
    expect(text).toContain("api.example.com {\n");
    expect(text).not.toContain("tls internal");
    expect(text).toContain("reverse_proxy kinde-hasura-prod-hasura:8080");
  });

  it("is byte for byte what deployed stacks run (its text is uploaded: any change replaces the edge container)", () => {
    // Recorded from the generator as of commit 3339082, before it moved to core/caddyfile.ts.
    const deployed = [
      "# Generated by scripts/lib/edge.ts from the stack's settings; edit the settings, not this file.",
      "{",
      "\tadmin off",
      "\temail ops@example.com",
      "}",
      "",
      "api.example.com {",
      '\theader Strict-Transport-Security "max-age=31536000; includeSubDomains"',
      '\t@allowed0 expression `{http.request.uri} == "/v1/graphql" || {http.request.uri}.startsWith("/v1/graphql?")`',
      "\thandle @allowed0 {",
      "\t\trewrite * /v1/graphql?",
      "\t\treverse_proxy kinde-hasura-prod-hasura:8080",
      "\t}",
      '\t@allowed1 expression `{http.request.uri} == "/healthz" || {http.request.uri}.startsWith("/healthz?")`',
      "\thandle @allowed1 {",
      "\t\trewrite * /healthz?",
      "\t\treverse_proxy kinde-hasura-prod-hasura:8080",
      "\t}",
      "\thandle {",
      "\t\trespond 404",
      "\t}",
      "}",
      "",
    ].join("\n");
    expect(
      caddyfile({ siteAddress: "api.example.com", tls: { kind: "acme", email: "ops@example.com" }, upstream: "kinde-hasura-prod-hasura:8080" }),
    ).toBe(deployed);
  });
});

// Serves the example app on 127.0.0.1: the page, its bundle (esbuild, built once at start), the config it
// reads (/config.json, nothing secret), and /hasura-status, which lets the page tell a CORS refusal from
// a Hasura that is down (a browser reports both as the same TypeError). In local signing mode it also
// runs the local sign-in (local-sign-in.ts) and points the page's Kinde SDK at it.
import { readFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import { inProject } from "../../core/project-root.js";
// What the page reads from /config.json, declared once beside the page that reads it.
import type { AppConfig } from "./app/config.js";
import { type LocalSignIn, startLocalSignIn } from "./local-sign-in.js";
import { isLoopbackHost, listenOnLoopback } from "./loopback-server.js";
import { LOCAL_CLIENT_ID, type WebPlan } from "./web-config.js";

const APP_DIR = inProject("examples/web/app");

export interface WebAppOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** The local sign-in's port (local signing mode); 0 picks a free one. */
  signInPort: number;
  /** Seconds a local access token lives. */
  accessTokenLifetime: number;
}

export interface WebApp {
  url: string;
  /** Local signing mode: the local sign-in's URL. */
  signInUrl?: string;
  stop(): Promise<void>;
}

export async function startWebApp(plan: WebPlan, o: WebAppOptions): Promise<WebApp> {
  const bundle = await bundleApp();
  const server = createServer();
  const { url, port, close } = await listenOnLoopback(server, o.port);
  let signIn: LocalSignIn | undefined;
  try {
    if (plan.signIn.kind === "local")
      signIn = await startLocalSignIn({ signer: plan.signIn.signer, appOrigin: url, port: o.signInPort, accessTokenLifetime: o.accessTokenLifetime });
  } catch (err) {
    await close();
    throw err;
  }
  const config: AppConfig = {
    stack: plan.stack,
    graphqlUrl: plan.graphqlUrl,
    audience: plan.audience,
    signInDomain: signIn ? signIn.url : plan.signIn.kind === "kinde" ? plan.signIn.domain : "",
    clientId: plan.signIn.kind === "kinde" ? plan.signIn.clientId : LOCAL_CLIENT_ID,
    signIn: plan.signIn.kind,
  };
  const index = readFileSync(join(APP_DIR, "index.html"), "utf8");
  const csp = contentSecurityPolicy(config);
  server.on("request", (req, res) => {
    if (!isLoopbackHost(req.headers.host, port)) return send(res, 403, "text/plain", `serving 127.0.0.1:${port} only`);
    let path: string;
    try {
      path = new URL(req.url ?? "/", url).pathname;
    } catch {
      return send(res, 400, "text/plain", "not a URL");
    }
    if (req.method !== "GET") return send(res, 405, "text/plain", "GET only");
    if (path === "/" || path === "/index.html") return send(res, 200, "text/html; charset=utf-8", index, { "content-security-policy": csp });
    if (path === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", bundle);
    if (path === "/config.json") return send(res, 200, "application/json", JSON.stringify(config));
    if (path === "/hasura-status") {
      void hasuraStatus(plan.graphqlUrl).then((status) => send(res, 200, "application/json", JSON.stringify(status)));
      return;
    }
    send(res, 404, "text/plain", "not found");
  });
  return {
    url,
    ...(signIn ? { signInUrl: signIn.url } : {}),
    async stop() {
      await Promise.all([close(), signIn?.stop()]);
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, {
      "content-type": type,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      ...headers,
    })
    .end(body);
}

/** The page may talk to itself, Hasura (HTTP and WebSocket) and the sign-in domain, and nothing else. */
function contentSecurityPolicy(config: AppConfig): string {
  const graphql = new URL(config.graphqlUrl);
  const socket = `${graphql.protocol === "https:" ? "wss:" : "ws:"}//${graphql.host}`;
  const connect = ["'self'", graphql.origin, socket, ...(config.signInDomain ? [new URL(config.signInDomain).origin] : [])];
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src ${connect.join(" ")}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;
}

/** Hasura's /healthz as this server sees it (no CORS here), within 3 s. */
async function hasuraStatus(graphqlUrl: string): Promise<{ up: boolean; detail: string }> {
  const healthz = new URL("/healthz", graphqlUrl).toString();
  try {
    const response = await fetch(healthz, { signal: AbortSignal.timeout(3000) });
    return { up: response.ok, detail: `${healthz} answered ${response.status}` };
  } catch (err) {
    return { up: false, detail: `${healthz} did not answer: ${(err as Error).message}` };
  }
}

/** The app, bundled once: TypeScript and Kinde's SDK into one ES module for the browser. */
async function bundleApp(): Promise<string> {
  const result = await build({
    entryPoints: [join(APP_DIR, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    sourcemap: "inline",
  });
  return result.outputFiles[0]?.text ?? "";
}

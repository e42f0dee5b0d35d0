// The local sign-in of `npm run web` on a local-signing-mode stack: an OAuth 2.0 authorization server on
// 127.0.0.1 that speaks the authorization-code + PKCE flow Kinde's SPA SDK uses, at Kinde's paths
// (/oauth2/auth, /oauth2/token, /logout; @kinde/js-utils generateAuthUrl, exchangeAuthCode), and signs
// with the stack's own dev key and issuer, so the stack's Hasura accepts its access tokens. The
// protocol is oidc-provider's (OpenID certified, panva/node-oidc-provider); this file only configures it
// and serves the one page it leaves to us: "who are you?", answered with any user id, no password.
import { createPrivateKey, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { calculateJwkThumbprint, type JWK } from "jose";
import Provider, { type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { userTokenClaims } from "../../core/jwt-policy.js";
import { isLoopbackHost, listenOnLoopback } from "./loopback-server.js";
import { LOCAL_CLIENT_ID, type LocalSignerConfig } from "./web-config.js";

export interface LocalSignInOptions {
  signer: LocalSignerConfig;
  /** The example app's origin (http://127.0.0.1:<port>): with its localhost spelling, the only redirect, logout and CORS origins the client is given. */
  appOrigin: string;
  port: number;
  /** Seconds an access token lives (Kinde's default is a day; short here so the app's renewal is seen). */
  accessTokenLifetime: number;
}

export interface LocalSignIn {
  url: string;
  stop(): Promise<void>;
}

/** The one resource server: tokens for it carry the stack's audience, as Kinde's do for a registered API. */
const HASURA_RESOURCE = "https://local-signer.invalid/hasura";
/** What Kinde's SDK asks for; "offline" is Kinde's name for a refresh token. */
const SCOPES = "openid profile email offline";
/** A user id as Hasura will see it in X-Hasura-User-Id: Kinde's look like kp_0123…; no spaces or controls. */
const USER_ID = /^[A-Za-z0-9_.@:-]{1,128}$/;

export async function startLocalSignIn(o: LocalSignInOptions): Promise<LocalSignIn> {
  const jwk = await signingJwk(o.signer.signingKeyPem);
  const provider = new Provider(o.signer.issuer, configuration(o, jwk));
  // Its issuer is an https URL under .invalid while it is served over http on loopback: it must not
  // think a proxy terminates TLS for it, or it builds https URLs for its own pages.
  provider.proxy = false;
  // oidc-provider's request handler, composed once (its callback() builds the middleware chain on each call).
  const handleProtocol = provider.callback();
  const server = createServer((req, res) => {
    void route(provider, handleProtocol, o, req, res).catch((err: Error) => page(res, 500, "Local sign-in failed", `<p>${html(err.message)}</p>`));
  });
  const { url, close } = await listenOnLoopback(server, o.port);
  return { url, stop: close };
}

function configuration(o: LocalSignInOptions, jwk: JWK): Configuration {
  const { signer } = o;
  const origins = [o.appOrigin, o.appOrigin.replace("//127.0.0.1:", "//localhost:")];
  // Both spellings of each: Kinde's SDK strips the trailing slash (js-utils sanitizeUrl); a person may not.
  const uris = origins.flatMap((origin) => [origin, `${origin}/`]);
  return {
    clients: [
      {
        client_id: LOCAL_CLIENT_ID,
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: uris,
        post_logout_redirect_uris: uris,
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    routes: { authorization: "/oauth2/auth", token: "/oauth2/token", jwks: "/.well-known/jwks", end_session: "/session/end" },
    scopes: SCOPES.split(" "),
    claims: { openid: ["sub"], profile: ["name"], email: ["email"] },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id, email: `${id}@local-signer.invalid` }) }),
    // The app is the only client and first-party: the grant is given, no consent page.
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope(SCOPES);
      grant.addResourceScope(HASURA_RESOURCE, SCOPES);
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    clientBasedCORS: (_ctx, origin) => origins.includes(origin),
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource },
      resourceIndicators: {
        enabled: true,
        // Kinde's SDK sends `audience`, not `resource`: every token is for Hasura, as a registered API's would be.
        defaultResource: () => HASURA_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPES,
          audience: signer.audience,
          accessTokenFormat: "jwt",
          accessTokenTTL: o.accessTokenLifetime,
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    // The Hasura session, as the hasuraUserClaims workflow writes it into a Kinde token (namespace mode);
    // in sub mode Hasura's claims_map reads `sub`, which oidc-provider sets to the account id.
    extraTokenClaims: (_ctx, token) => {
      if (token.kind !== "AccessToken" || !token.accountId) return undefined;
      const { sub: _sub, ...claims } = userTokenClaims(signer.claims, token.accountId);
      return claims;
    },
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = pageHtml("Local sign-in: error", `<p>${html(String(out.error))}: ${html(String(out.error_description ?? ""))}</p>`);
    },
    ttl: { AccessToken: o.accessTokenLifetime, IdToken: 3600, RefreshToken: 86_400, Session: 86_400, Interaction: 600, Grant: 86_400 },
    adapter: memoryAdapter(new Map()),
  };
}

type Stored = Map<string, { payload: AdapterPayload; expiresAt: number }>;

/**
 * oidc-provider's storage, in memory, one store per sign-in server. Its own in-memory adapter does the
 * same but warns on every start that state is lost on restart, which is just what a dev sign-in wants.
 */
function memoryAdapter(store: Stored): new (model: string) => Adapter {
  return class MemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}
    private key(id: string): string {
      return `${this.model}:${id}`;
    }
    private findWhere(match: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
      for (const [key, entry] of store)
        if (key.startsWith(`${this.model}:`) && entry.expiresAt >= Date.now() && match(entry.payload)) return entry.payload;
      return undefined;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      store.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      const entry = store.get(this.key(id));
      return entry && entry.expiresAt >= Date.now() ? entry.payload : undefined;
    }
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findWhere((p) => p.uid === uid);
    }
    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findWhere((p) => p.userCode === userCode);
    }
    async consume(id: string): Promise<void> {
      const entry = store.get(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
    }
  };
}

/** Kinde's logout is `/logout?redirect=<url>` (pkce-js logout); oidc-provider's is RP-initiated logout. */
function kindeLogoutToEndSession(url: URL): string {
  const redirect = url.searchParams.get("redirect");
  const params = new URLSearchParams({ client_id: LOCAL_CLIENT_ID, ...(redirect ? { post_logout_redirect_uri: redirect } : {}) });
  return `/session/end?${params}`;
}

/** oidc-provider asks whether to end the session; the SDK already cleared the app's tokens, so yes. */
async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  ctx.type = "html";
  ctx.body = pageHtml(
    "Signing out",
    `${form}<p>Signing out…</p><script>const f = document.getElementById("op.logoutForm"); const i = document.createElement("input"); i.type = "hidden"; i.name = "logout"; i.value = "yes"; f.append(i); f.submit();</script>`,
  );
}

async function route(
  provider: Provider,
  handleProtocol: ReturnType<Provider["callback"]>,
  o: LocalSignInOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const port = (req.socket.localPort ?? 0) as number;
  if (!isLoopbackHost(req.headers.host, port)) {
    page(res, 403, "Local sign-in", `<p>This sign-in answers for 127.0.0.1:${port} only.</p>`);
    return;
  }
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method === "GET" && url.pathname === "/logout") {
    res.writeHead(302, { location: kindeLogoutToEndSession(url) }).end();
    return;
  }
  const interaction = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/.exec(url.pathname);
  if (!interaction) {
    handleProtocol(req, res);
    return;
  }
  const details = await provider.interactionDetails(req, res).catch(() => undefined);
  if (!details || details.uid !== interaction[1]) {
    page(res, 400, "Local sign-in: this sign-in has expired", `<p>Go back to <a href="${html(o.appOrigin)}">the app</a> and sign in again.</p>`);
    return;
  }
  if (req.method === "POST" && interaction[2]) {
    const userId = new URLSearchParams(await body(req)).get("user")?.trim() ?? "";
    if (!USER_ID.test(userId)) {
      loginPage(
        res,
        details.uid,
        `A user id is 1 to 128 letters, digits or _ . @ : - such as kp_seed_ada; got ${JSON.stringify(userId.slice(0, 80))}`,
      );
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: userId } }, { mergeWithLastSubmission: false });
    return;
  }
  if (req.method === "GET" && !interaction[2] && details.prompt.name === "login") {
    loginPage(res, details.uid);
    return;
  }
  // Any other prompt (consent is granted by loadExistingGrant): nothing to ask.
  await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
}

function loginPage(res: ServerResponse, uid: string, error?: string): void {
  page(
    res,
    error ? 400 : 200,
    "Local sign-in",
    `<p>No Kinde account needed: this dev stack trusts its own key. Sign in as any user id; a seed user such as <code>kp_seed_ada</code> has a row already.</p>
<form method="post" action="/interaction/${html(uid)}/login">
  <label>User id <input name="user" id="user" autocomplete="off" required maxlength="128" autofocus></label>
  <button type="submit" id="sign-in">Sign in</button>
</form>${error ? `<p role="alert" id="error">${html(error)}</p>` : ""}`,
  );
}

function page(res: ServerResponse, status: number, title: string, content: string): void {
  if (res.headersSent) return;
  res
    .writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY" })
    .end(pageHtml(title, content));
}

function pageHtml(title: string, content: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title></head><body><h1>${html(title)}</h1>${content}</body></html>`;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A form post of a few fields: more than 4 KiB is not a sign-in. */
async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 4096) throw new Error("the sign-in form was larger than 4 KiB");
  }
  return text;
}

/** The dev key as the JWK oidc-provider signs with; the kid is its thumbprint (RFC 7638). */
async function signingJwk(pem: string): Promise<JWK> {
  const jwk = createPrivateKey(pem).export({ format: "jwk" }) as JWK;
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: "RS256", use: "sig" };
}

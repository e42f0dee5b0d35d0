// The local sign-in (examples/web/local-sign-in.ts: oidc-provider configured for Kinde's paths) driven
// with fetch through the exact requests Kinde's SPA SDK sends: the authorize URL as @kinde/js-utils
// generateAuthUrl builds it (client_id, response_type, redirect_uri without its trailing slash, audience,
// scope "openid profile email offline", state, nonce, S256 code_challenge, supports_reauth), the code
// exchange as exchangeAuthCode posts it, and the refresh as refreshToken posts it. The access token is
// then verified the way the stack's Hasura is configured to (core/jwt-policy.ts hasuraJwtSecret): RS256
// with the dev key's public half, the stack's issuer and audience.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASURA_CLAIMS_NAMESPACE, localIssuer, USER_ROLE } from "../../core/jwt-policy.js";
import { type LocalSignIn, startLocalSignIn } from "../../examples/web/local-sign-in.js";
import { LOCAL_CLIENT_ID } from "../../examples/web/web-config.js";

const APP = "http://127.0.0.1:39999";
const ISSUER = localIssuer("kinde-hasura", "dev");
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();

let signIn: LocalSignIn;
beforeAll(async () => {
  signIn = await startLocalSignIn({
    signer: { issuer: ISSUER, audience: "hasura", claims: "namespace", signingKeyPem },
    appOrigin: APP,
    port: 0,
    accessTokenLifetime: 120,
  });
});
afterAll(() => signIn?.stop());

/** A browser's cookie jar for the sign-in's origin, enough for its session and interaction cookies. */
class Browser {
  private readonly cookies = new Map<string, string>();
  async get(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(new URL(path, signIn.url), {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = (pair ?? "").split("=");
      if (name) this.cookies.set(name, value ?? "");
    }
    return response;
  }
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.get(path, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(39).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(challenge: string, redirect = APP): string {
  const params = new URLSearchParams({
    client_id: LOCAL_CLIENT_ID,
    response_type: "code",
    redirect_uri: redirect,
    audience: "hasura",
    scope: "openid profile email offline",
    supports_reauth: "true",
    state: "state-123",
    nonce: "nonce-456",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `/oauth2/auth?${params}`;
}

/** Through the login page to the code, as the browser follows the redirects. */
async function signInAs(browser: Browser, user: string, challenge: string): Promise<URL> {
  const start = await browser.get(authorizeUrl(challenge));
  expect(start.status).toBe(303);
  const interaction = start.headers.get("location") ?? "";
  expect(interaction).toMatch(/^\/interaction\/[\w-]+$/);
  expect((await browser.get(interaction)).status).toBe(200);
  const login = await browser.post(`${interaction}/login`, { user });
  const resume = login.headers.get("location") ?? "";
  expect(login.status, await login.clone().text()).toBe(303);
  const back = await browser.get(new URL(resume, signIn.url).pathname);
  expect(back.status).toBe(303);
  return new URL(back.headers.get("location") ?? "");
}

async function tokens(browser: Browser, form: Record<string, string>, origin = APP) {
  const response = await browser.post("/oauth2/token", { client_id: LOCAL_CLIENT_ID, ...form }, { origin });
  return { response, body: (await response.json()) as Record<string, string> };
}

describe("the local sign-in, through the requests Kinde's SPA SDK sends", () => {
  it("signs a user in with PKCE and issues an access token the stack's Hasura accepts, then refreshes it", async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const redirect = await signInAs(browser, "kp_seed_ada", challenge);
    expect(redirect.origin).toBe(APP);
    expect(redirect.searchParams.get("state")).toBe("state-123");
    const code = redirect.searchParams.get("code") ?? "";

    const exchanged = await tokens(browser, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: APP });
    expect(exchanged.response.status).toBe(200);
    // The app's origin may read the answer; the SDK needs all three tokens (exchangeAuthCode).
    expect(exchanged.response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(Object.keys(exchanged.body)).toEqual(expect.arrayContaining(["access_token", "id_token", "refresh_token", "expires_in"]));

    const publicKey = createPublicKey(privateKey);
    const { payload, protectedHeader } = await jwtVerify(exchanged.body.access_token as string, publicKey, { issuer: ISSUER, audience: "hasura" });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.sub).toBe("kp_seed_ada");
    expect(payload[HASURA_CLAIMS_NAMESPACE]).toEqual({
      "x-hasura-user-id": "kp_seed_ada",
      "x-hasura-default-role": USER_ROLE,
      "x-hasura-allowed-roles": [USER_ROLE],
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);

    const refreshed = await tokens(browser, { grant_type: "refresh_token", refresh_token: exchanged.body.refresh_token as string });
    expect(refreshed.response.status).toBe(200);
    const again = await jwtVerify(refreshed.body.access_token as string, publicKey, { issuer: ISSUER, audience: "hasura" });
    expect(again.payload.sub).toBe("kp_seed_ada");
    expect(again.payload.jti).not.toBe(payload.jti);
  });

  it("refuses a code without its PKCE verifier, and answers no other origin's CORS request", async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    const code = (await signInAs(browser, "kp_seed_grace", challenge)).searchParams.get("code") ?? "";
    const wrongVerifier = await tokens(browser, { grant_type: "authorization_code", code, code_verifier: pkce().verifier, redirect_uri: APP });
    expect(wrongVerifier.response.status).toBe(400);
    expect(wrongVerifier.body).toMatchObject({ error: "invalid_grant", error_description: "grant request is invalid" });
    const otherOrigin = await tokens(
      browser,
      { grant_type: "authorization_code", code, code_verifier: pkce().verifier, redirect_uri: APP },
      "http://127.0.0.1:1",
    );
    expect(otherOrigin.response.status).toBe(400);
    expect(otherOrigin.response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("sends no code to a redirect URI the app did not register", async () => {
    const response = await new Browser().get(authorizeUrl(pkce().challenge, "http://127.0.0.1:1/steal"));
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("redirect_uri did not match any of the client&#39;s registered redirect_uris");
  });

  it("refuses a user id that is not one, showing it escaped", async () => {
    const browser = new Browser();
    const interaction = (await browser.get(authorizeUrl(pkce().challenge))).headers.get("location") ?? "";
    const response = await browser.post(`${interaction}/login`, { user: '<script>alert("x")</script>' });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).not.toContain("<script>alert");
    expect(page).toContain("A user id is 1 to 128 letters, digits or _ . @ : - such as kp_seed_ada; got &#34;&#60;script&#62;");
  });

  it("turns Kinde's /logout?redirect= into oidc-provider's end of session for the app's client only", async () => {
    const response = await new Browser().get(`/logout?redirect=${encodeURIComponent(APP)}`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/session/end?client_id=${LOCAL_CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent(APP)}`);
    // A redirect the client never registered: oidc-provider refuses it rather than sending the browser there.
    const elsewhere = await new Browser().get(
      `/session/end?client_id=${LOCAL_CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent("https://evil.example")}`,
    );
    expect(elsewhere.status).toBe(400);
  });
});

// The Hasura stand-in's reading of HASURA_GRAPHQL_JWT_SECRET, rule by rule as hasura/graphql-engine
// server/src-lib/Hasura/Server/Auth/JWT.hs applies them (through hs-jose): `aud` and `iss` are checked
// only when the token has them, `aud: []` never matches, allowed_skew widens exp/nbf/iat, and
// claims_map takes JSON paths or literals. A stand-in that got these wrong would let the rehearsal
// pass tokens a real Hasura refuses, or the reverse.

import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { exportJWK, importPKCS8, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { AuthError, JwtVerifier, parseJwtSecret } from "../../dev/rehearsal/hasura-standin/jwt.js";
import { freePort } from "../../scripts/lib/net/free-port.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const NS = "https://hasura.io/jwt/claims";
const userClaims = { [NS]: { "x-hasura-user-id": "kp_1", "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"] } };
const now = Math.floor(Date.now() / 1000);

async function token(claims: Record<string, unknown>, omit: Array<"iss" | "aud"> = []): Promise<string> {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256" })
    .setIssuedAt(now)
    .setExpirationTime(now + 300);
  if (!omit.includes("iss")) jwt = jwt.setIssuer("https://acme.kinde.com");
  if (!omit.includes("aud") && !("aud" in claims)) jwt = jwt.setAudience(["hasura"]);
  return jwt.sign(await importPKCS8(privateKey, "RS256"));
}

const keyed = (extra: Record<string, unknown> = {}) =>
  new JwtVerifier(parseJwtSecret(JSON.stringify({ type: "RS256", key: publicKey, issuer: "https://acme.kinde.com", audience: "hasura", ...extra })));

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AuthError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return "accepted";
}

describe("the Hasura stand-in's JWT rules (as JWT.hs)", () => {
  it("accepts a token with the right issuer and audience and takes the session from the namespace", async () => {
    const session = await keyed().session(`Bearer ${await token(userClaims)}`, undefined);
    // expiresAt: the token's exp, which ends a websocket opened with it.
    expect(session).toEqual({ role: "user", variables: { "x-hasura-role": "user", "x-hasura-user-id": "kp_1" }, expiresAt: expect.any(Number) });
    expect(session.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it("checks aud and iss only when the token has them, and never matches aud: []", async () => {
    const v = keyed();
    expect(await refusal(v.session(`Bearer ${await token(userClaims, ["aud", "iss"])}`, undefined))).toBe("accepted");
    expect(await refusal(v.session(`Bearer ${await token({ ...userClaims, aud: [] })}`, undefined))).toBe(
      "invalid-jwt: Could not verify JWT: JWTNotInAudience",
    );
    expect(await refusal(v.session(`Bearer ${await token({ ...userClaims, aud: ["other"] })}`, undefined))).toBe(
      "invalid-jwt: Could not verify JWT: JWTNotInAudience",
    );
  });

  it("widens exp and iat by allowed_skew, and only by it", async () => {
    const future = await new SignJWT(userClaims)
      .setProtectedHeader({ alg: "RS256" })
      .setIssuedAt(now + 20)
      .setExpirationTime(now + 300)
      .sign(await importPKCS8(privateKey, "RS256"));
    expect(await refusal(keyed().session(`Bearer ${future}`, undefined, now))).toBe("invalid-jwt: Could not verify JWT: JWTIssuedAtFuture");
    expect(await refusal(keyed({ allowed_skew: 30 }).session(`Bearer ${future}`, undefined, now))).toBe("accepted");
    expect(await refusal(keyed({ allowed_skew: 10 }).session(`Bearer ${future}`, undefined, now))).toBe(
      "invalid-jwt: Could not verify JWT: JWTIssuedAtFuture",
    );
    const notYet = await new SignJWT(userClaims)
      .setProtectedHeader({ alg: "RS256" })
      .setIssuedAt(now)
      .setNotBefore(now + 60)
      .setExpirationTime(now + 300)
      .sign(await importPKCS8(privateKey, "RS256"));
    expect(await refusal(keyed().session(`Bearer ${notYet}`, undefined, now))).toBe("invalid-jwt: Could not verify JWT: JWTNotYetValid");
    const expired = await new SignJWT(userClaims)
      .setProtectedHeader({ alg: "RS256" })
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 10)
      .sign(await importPKCS8(privateKey, "RS256"));
    expect(await refusal(keyed().session(`Bearer ${expired}`, undefined, now))).toBe("invalid-jwt: Could not verify JWT: JWTExpired");
    expect(await refusal(keyed({ allowed_skew: 30 }).session(`Bearer ${expired}`, undefined, now))).toBe("accepted");
  });

  it("maps claims with claims_map JSON paths and literals, and refuses a role not allowed", async () => {
    const v = keyed({ claims_map: { "x-hasura-allowed-roles": ["user"], "x-hasura-default-role": "user", "x-hasura-user-id": { path: "$.sub" } } });
    const t = `Bearer ${await token({ sub: "kp_2" })}`;
    expect(await v.session(t, undefined)).toEqual({
      role: "user",
      variables: { "x-hasura-role": "user", "x-hasura-user-id": "kp_2" },
      expiresAt: expect.any(Number),
    });
    expect(await refusal(v.session(t, "admin"))).toBe("access-denied: Your requested role is not in allowed roles");
    expect(await refusal(v.session(`Bearer ${await token({})}`, undefined))).toBe(
      "jwt-invalid-claims: JWT claim from claims_map, x-hasura-user-id not found",
    );
  });

  it("refuses what Hasura refuses at start: both or neither of key and jwk_url, a claims_map without roles", () => {
    expect(() => parseJwtSecret(JSON.stringify({ key: "k", jwk_url: "https://x/j" }))).toThrow("key, jwk_url both cannot be present");
    expect(() => parseJwtSecret(JSON.stringify({ issuer: "x" }))).toThrow("key and jwk_url both cannot be empty");
    expect(() => parseJwtSecret(JSON.stringify({ key: "k", type: "RS256", claims_map: { "x-hasura-default-role": "user" } }))).toThrow(
      "x-hasura-allowed-roles is expected but not found in claims_map",
    );
  });

  it("fetches jwk_url at start, fails start when it cannot, and refreshes only on cache headers (recorded JWKS answers)", async () => {
    const jwk = { ...(await exportJWK(await importPKCS8(privateKey, "RS256", { extractable: true }))), kid: "k1" };
    const { d, p, q, dp, dq, qi, ...publicJwk } = jwk;
    void [d, p, q, dp, dq, qi];
    let headers: Record<string, string> = {};
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks`;
    try {
      const plain = new JwtVerifier(parseJwtSecret(JSON.stringify({ jwk_url: url, issuer: "https://acme.kinde.com", audience: "hasura" })));
      await plain.start();
      expect(plain.jwksRefreshes).toBe(false);
      const signed = await new SignJWT(userClaims)
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer("https://acme.kinde.com")
        .setAudience("hasura")
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(await importPKCS8(privateKey, "RS256"));
      expect((await plain.session(`Bearer ${signed}`, undefined)).role).toBe("user");
      headers = { "cache-control": "max-age=600" };
      const cached = new JwtVerifier(parseJwtSecret(JSON.stringify({ jwk_url: url })));
      await cached.start();
      expect(cached.jwksRefreshes).toBe(true);
      const unreachable = new JwtVerifier(parseJwtSecret(JSON.stringify({ jwk_url: `http://127.0.0.1:${await freePort()}/.well-known/jwks` })));
      await expect(unreachable.start()).rejects.toThrow(/^Error fetching JWK: ConnectionFailure ECONNREFUSED/);
    } finally {
      server.close();
    }
  });
});

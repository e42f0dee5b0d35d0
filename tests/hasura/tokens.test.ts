// Tokens the smoke test and `npm run token` sign: exact claims per mode, and accepted by exactly the
// key the program puts in Hasura's JWT secret, or by a JWKS the way Hasura fetches Kinde's.
import { createServer } from "node:http";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { hasuraJwtSecret } from "../../core/jwt-policy.js";
import { parseStackSettings } from "../../core/settings/stack-settings.js";
import { devToken, type ResolvedStack } from "../../scripts/lib/smoke/target.js";
import { hmacWithPublicKey, signingKeyFromPem, signUserToken, strangerKey, unsignedToken } from "../../scripts/lib/smoke/tokens.js";
import { devConfig, rsaKeyPair } from "../support/fixtures.js";

const keys = rsaKeyPair();
const settings = parseStackSettings((k) => devConfig(keys.privateKeyPem)[k], { project: "kinde-hasura", stack: "dev" });

describe("signed user tokens", () => {
  it("carry exactly the namespaced Hasura claims, issuer, audience array and a short expiry", async () => {
    const key = await signingKeyFromPem(keys.privateKeyPem);
    const token = await signUserToken(settings.jwt, key, "kp_alice");
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(["aud", "exp", "https://hasura.io/jwt/claims", "iat", "iss", "sub"]);
    expect(claims).toMatchObject({
      sub: "kp_alice",
      iss: "https://local-signer.invalid/kinde-hasura/dev",
      aud: ["hasura"],
      "https://hasura.io/jwt/claims": { "x-hasura-user-id": "kp_alice", "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"] },
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "RS256", kid: key.kid, typ: "JWT" });
  });

  it("carry only sub in sub mode", async () => {
    const token = await signUserToken({ ...settings.jwt, claims: "sub" }, await signingKeyFromPem(keys.privateKeyPem), "kp_bob");
    expect(Object.keys(decodeJwt(token)).sort()).toEqual(["aud", "exp", "iat", "iss", "sub"]);
  });

  it("verify against the public key in the JWT secret the program builds for the same stack, and only that key", async () => {
    const secret = hasuraJwtSecret(settings.jwt);
    const publicKey = await importSPKI(secret.key as string, "RS256");
    const verify = (token: string) => jwtVerify(token, publicKey, { issuer: secret.issuer, audience: secret.audience, algorithms: ["RS256"] });
    const good = await signUserToken(settings.jwt, await signingKeyFromPem(keys.privateKeyPem), "kp_alice");
    expect((await verify(good)).payload.sub).toBe("kp_alice");
    await expect(verify(await signUserToken(settings.jwt, await strangerKey(), "kp_alice"))).rejects.toThrow(/signature verification failed/);
    await expect(verify(unsignedToken(settings.jwt, "kp_alice"))).rejects.toThrow();
    await expect(verify(await hmacWithPublicKey(settings.jwt, secret.key as string, "kp_alice"))).rejects.toThrow();
    const key = await signingKeyFromPem(keys.privateKeyPem);
    await expect(verify(await signUserToken(settings.jwt, key, "kp_alice", { issuer: "https://evil.example" }))).rejects.toThrow(/"iss" claim/);
    await expect(verify(await signUserToken(settings.jwt, key, "kp_alice", { audience: ["other"] }))).rejects.toThrow(/"aud" claim/);
    const now = Math.floor(Date.now() / 1000);
    await expect(verify(await signUserToken(settings.jwt, key, "kp_alice", { issuedAt: now - 600, expiresAt: now - 60 }))).rejects.toThrow(
      /"exp" claim/,
    );
  });

  it("verify against a JWKS served over HTTP from 127.0.0.1, as Hasura fetches Kinde's", async () => {
    const key = await signingKeyFromPem(keys.privateKeyPem);
    const jwk = { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: "RS256", use: "sig" };
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks`));
      const { payload } = await jwtVerify(await signUserToken(settings.jwt, key, "kp_carol"), jwks, {
        issuer: settings.jwt.issuer,
        audience: "hasura",
      });
      expect(payload.sub).toBe("kp_carol");
      await expect(jwtVerify(await signUserToken(settings.jwt, await strangerKey(), "kp_carol"), jwks)).rejects.toThrow(/no applicable key found/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("npm run token", () => {
  const local = (extra: Partial<ResolvedStack> = {}): ResolvedStack => ({
    endpoint: "http://127.0.0.1:8080",
    adminSecret: "x",
    policy: { issuer: settings.jwt.issuer, audience: "hasura", claims: "namespace", mode: "local" },
    devSigningKey: keys.privateKeyPem,
    production: false,
    source: "stack dev",
    ...extra,
  });

  it("signs a token for the given user with the requested lifetime that the stack's key verifies", async () => {
    const token = await devToken(local(), "kp_dev", "2h");
    const { payload } = await jwtVerify(token, await importSPKI(keys.publicKeyPem, "RS256"), { issuer: settings.jwt.issuer, audience: "hasura" });
    expect(payload.sub).toBe("kp_dev");
    expect((payload.exp as number) - (payload.iat as number)).toBe(7200);
  });

  it("refuses production stacks, Kinde-mode stacks and a malformed --ttl", async () => {
    await expect(devToken(local({ production: true, source: "stack prod" }), "kp", "1h")).rejects.toThrow(
      "Refusing: stack prod is a production stack; tokens for it come from Kinde only",
    );
    const kinde = local({
      policy: { issuer: "https://acme.kinde.com", audience: "hasura", claims: "namespace", mode: "kinde" },
      source: "stack staging",
    });
    await expect(devToken(kinde, "kp", "1h")).rejects.toThrow(
      "Refusing: stack staging trusts Kinde (https://acme.kinde.com), not a dev key; get an access token from Kinde instead",
    );
    for (const ttl of ["forever", "0s", "-1h", "25h", "2d", "99999999999s", "1.5h"]) {
      await expect(devToken(local(), "kp", ttl), ttl).rejects.toThrow(
        `--ttl must be from 1s to 24h, a number with s, m, h or d such as 1h; got ${JSON.stringify(ttl)}`,
      );
    }
    expect(await devToken(local(), "kp", "24h")).toMatch(/^eyJ/);
  });

  it("refuses a blank or odd --sub", async () => {
    for (const sub of ["", "   ", " kp_1", "kp_1\n", "kp\u0000x", "x".repeat(256)]) {
      await expect(devToken(local(), sub, "1h"), JSON.stringify(sub)).rejects.toThrow(/^--sub must be a user id such as kp_1234/);
    }
  });
});

import { describe, expect, it } from "vitest";
import { hasuraJwtSecret, type JwtPolicy, userTokenClaims } from "../../core/jwt-policy.js";

const kinde = (claims: "namespace" | "sub"): JwtPolicy => ({
  issuer: "https://acme.kinde.com",
  audience: "hasura",
  claims,
  allowedSkew: 30,
  trust: { kind: "kinde", jwksUrl: "https://acme.kinde.com/.well-known/jwks" },
});

describe("Hasura JWT secret", () => {
  it("points Kinde namespace mode at the JWKS with issuer, audience and Hasura's claims namespace", () => {
    expect(JSON.stringify(hasuraJwtSecret(kinde("namespace")))).toBe(
      '{"jwk_url":"https://acme.kinde.com/.well-known/jwks","issuer":"https://acme.kinde.com","audience":"hasura","allowed_skew":30,' +
        '"claims_namespace":"https://hasura.io/jwt/claims"}',
    );
  });

  it("maps the user id from $.sub and the role as a literal in Kinde sub mode", () => {
    expect(JSON.stringify(hasuraJwtSecret(kinde("sub")))).toBe(
      '{"jwk_url":"https://acme.kinde.com/.well-known/jwks","issuer":"https://acme.kinde.com","audience":"hasura","allowed_skew":30,' +
        '"claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user","x-hasura-user-id":{"path":"$.sub"}}}',
    );
  });

  it("trusts the dev key's public PEM with RS256 in local signing mode", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    const secret = hasuraJwtSecret({
      issuer: "https://local-signer.invalid/kinde-hasura/dev",
      audience: "hasura",
      claims: "namespace",
      allowedSkew: 30,
      trust: { kind: "local", publicKeyPem: pem },
    });
    expect(secret).toEqual({
      type: "RS256",
      key: pem,
      issuer: "https://local-signer.invalid/kinde-hasura/dev",
      audience: "hasura",
      allowed_skew: 30,
      claims_namespace: "https://hasura.io/jwt/claims",
    });
    expect(secret).not.toHaveProperty("jwk_url");
  });
});

describe("user token claims", () => {
  it("carry the Hasura session under the namespace exactly as Kinde's workflow writes it", () => {
    expect(userTokenClaims("namespace", "kp_123")).toEqual({
      sub: "kp_123",
      "https://hasura.io/jwt/claims": {
        "x-hasura-user-id": "kp_123",
        "x-hasura-default-role": "user",
        "x-hasura-allowed-roles": ["user"],
      },
    });
  });

  it("carry only sub in sub mode", () => {
    expect(userTokenClaims("sub", "kp_123")).toEqual({ sub: "kp_123" });
  });
});

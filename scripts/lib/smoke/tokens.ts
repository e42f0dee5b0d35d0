// Access tokens shaped like Kinde's for a stack's JWT policy, signed with jose: the smoke test's
// tokens, good and deliberately bad, and `npm run token`'s dev tokens.
import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, SignJWT, UnsecuredJWT } from "jose";
import { type ClaimsMode, userTokenClaims } from "../../../core/jwt-policy.js";
import { UsageError } from "../cli/env.js";

export interface TokenPolicy {
  issuer: string;
  audience: string;
  claims: ClaimsMode;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** RFC 7638 thumbprint of the public key, sent as `kid` (as Kinde's tokens carry one). */
  kid: string;
}

export async function signingKeyFromPem(privateKeyPem: string): Promise<SigningKey> {
  const { createPrivateKey } = await import("node:crypto");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    // Never the key's text: it is the secret.
    throw new UsageError("The dev signing key (DEV_SIGNING_KEY or the stack's devSigningKey) is not a PEM private key; its contents are not shown");
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: await calculateJwkThumbprint(await exportJWK(publicKey)) };
}

/** A key no stack trusts: for the denial checks. */
export async function strangerKey(): Promise<SigningKey> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return signingKeyFromPem(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
}

export interface TokenOptions {
  /** Lifetime from now, in jose's notation ("5m", "1h"). Default 5 minutes. */
  expiresIn?: string;
  /** Issued-at in seconds since the epoch; default now. */
  issuedAt?: number;
  /** Explicit expiry in seconds since the epoch (overrides expiresIn), e.g. in the past. */
  expiresAt?: number;
  issuer?: string;
  audience?: string | string[];
}

/** An RS256 access token for `userId` with exactly the claims the policy's mode expects. */
export async function signUserToken(policy: TokenPolicy, key: SigningKey, userId: string, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(userTokenClaims(policy.claims, userId))
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setIssuedAt(options.issuedAt)
    .setIssuer(options.issuer ?? policy.issuer)
    // Kinde always sends `aud` as an array.
    .setAudience(options.audience ?? [policy.audience])
    .setExpirationTime(options.expiresAt ?? options.expiresIn ?? "5m");
  return jwt.sign(key.privateKey);
}

/** `alg: none`: a token with no signature at all. */
export function unsignedToken(policy: TokenPolicy, userId: string): string {
  return new UnsecuredJWT(userTokenClaims(policy.claims, userId))
    .setIssuedAt()
    .setIssuer(policy.issuer)
    .setAudience([policy.audience])
    .setExpirationTime("5m")
    .encode();
}

/** The algorithm-confusion attack: HS256 "signed" with the stack's public key as the HMAC secret. */
export async function hmacWithPublicKey(policy: TokenPolicy, publicKeyPem: string, userId: string): Promise<string> {
  return new SignJWT(userTokenClaims(policy.claims, userId))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setIssuer(policy.issuer)
    .setAudience([policy.audience])
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(publicKeyPem));
}

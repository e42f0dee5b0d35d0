// Who a stack trusts and what its tokens look like: one decision, used by the Pulumi program (to build
// Hasura's JWT secret), by the smoke test and by the token CLI (to sign tokens Hasura will accept).
// It talks in issuers, audiences and keys and knows nothing of Docker or Pulumi.
// Facts: Kinde's Hasura guide (kinde-oss/documentation src/content/docs/integrate/third-party-tools/kinde-hasura.mdx,
// about-access-tokens.mdx) and Hasura's JWT config (hasura/graphql-engine docs/docs/auth/authentication/jwt.mdx).

/** Hasura's default claims namespace; Kinde's Hasura guide has a workflow write the claims here. */
export const HASURA_CLAIMS_NAMESPACE = "https://hasura.io/jwt/claims";

/** The one role end users get; metadata/ grants it its own row. */
export const USER_ROLE = "user";

/**
 * How a token carries the Hasura session:
 * - `namespace`: a Kinde workflow writes `x-hasura-*` claims under {@link HASURA_CLAIMS_NAMESPACE};
 * - `sub`: no workflow; Hasura's `claims_map` takes the user id from `$.sub` (set by Kinde on user
 *   tokens only: M2M tokens have none; never
 *   overridable) and the role as a literal.
 */
export type ClaimsMode = "namespace" | "sub";
export const CLAIMS_MODES: readonly ClaimsMode[] = ["namespace", "sub"];

/** Where Hasura gets the keys that verify a token. */
export type TokenTrust =
  | { kind: "kinde"; jwksUrl: string }
  /** The dev signing key's public half; absent while the program is still to generate the key. */
  | { kind: "local"; publicKeyPem?: string };

export interface JwtPolicy {
  /** Compared by Hasura with the token's `iss`. */
  issuer: string;
  /** Must appear in the token's `aud`; Kinde adds it only for an API registered with this audience. */
  audience: string;
  claims: ClaimsMode;
  trust: TokenTrust;
  /**
   * Seconds of clock difference Hasura forgives on exp, nbf and iat: a token minted on a machine whose
   * clock runs ahead fails with JWTIssuedAtFuture otherwise (hasura/graphql-engine #2109, #4025, #6423).
   */
  allowedSkew: number;
}

/** What a token signer needs of a policy: issuer, audience, claims, and whom the stack trusts. */
export interface SigningPolicy {
  issuer: string;
  audience: string;
  claims: ClaimsMode;
  mode: TokenTrust["kind"];
  /** Kinde mode: the JWKS Hasura trusts, so the smoke can say whether Hasura will refresh its keys. */
  jwksUrl?: string;
}

/** The policy without its key material: what the deployment gate passes to the smoke test. */
export function signingPolicy(policy: JwtPolicy): SigningPolicy {
  return {
    issuer: policy.issuer,
    audience: policy.audience,
    claims: policy.claims,
    mode: policy.trust.kind,
    ...(policy.trust.kind === "kinde" ? { jwksUrl: policy.trust.jwksUrl } : {}),
  };
}

/** Kinde's issuer is the domain with https and no trailing slash (about-access-tokens.mdx). */
export function kindeIssuer(domain: string): string {
  return `https://${domain}`;
}

/** The JWKS path that Kinde's OIDC discovery document names. */
export function defaultKindeJwksUrl(domain: string): string {
  return `https://${domain}/.well-known/jwks`;
}

/**
 * Local signing mode: an issuer no real identity provider uses, distinct per project and stack. An
 * https URL under `.invalid` (RFC 6761: never resolves, so no one can serve it): the local sign-in of
 * `npm run web` (oidc-provider) accepts only a web URL as its issuer (lib/provider.js, isWebUri), and
 * its tokens must carry this `iss`. The path keeps stack names out of DNS label rules.
 */
export function localIssuer(project: string, stack: string): string {
  return `https://local-signer.invalid/${encodeURIComponent(project)}/${encodeURIComponent(stack)}`;
}

/** The JSON Hasura reads from HASURA_GRAPHQL_JWT_SECRET (Hasura v2 docs, auth/authentication/jwt). */
export interface HasuraJwtSecret {
  type?: "RS256";
  key?: string;
  jwk_url?: string;
  issuer: string;
  audience: string;
  claims_namespace?: string;
  claims_map?: Record<string, unknown>;
  allowed_skew: number;
}

export function hasuraJwtSecret(policy: JwtPolicy): HasuraJwtSecret {
  if (policy.trust.kind === "local" && !policy.trust.publicKeyPem) throw new Error("hasuraJwtSecret: local signing mode needs the public key");
  const keySource =
    policy.trust.kind === "kinde" ? { jwk_url: policy.trust.jwksUrl } : { type: "RS256" as const, key: policy.trust.publicKeyPem as string };
  // Both issuer and audience: Hasura lets a token without `aud`/`iss` through either check alone.
  const base = { ...keySource, issuer: policy.issuer, audience: policy.audience, allowed_skew: policy.allowedSkew };
  if (policy.claims === "namespace") return { ...base, claims_namespace: HASURA_CLAIMS_NAMESPACE };
  return {
    ...base,
    claims_map: {
      "x-hasura-allowed-roles": [USER_ROLE],
      "x-hasura-default-role": USER_ROLE,
      "x-hasura-user-id": { path: "$.sub" },
    },
  };
}

/**
 * The claims (besides iss/aud/iat/exp) of an access token for `userId` that this policy accepts:
 * what Kinde issues for a signed-in user, and what the smoke test and token CLI sign.
 */
export function userTokenClaims(claims: ClaimsMode, userId: string): Record<string, unknown> {
  if (claims === "sub") return { sub: userId };
  return {
    sub: userId,
    [HASURA_CLAIMS_NAMESPACE]: {
      "x-hasura-user-id": userId,
      "x-hasura-default-role": USER_ROLE,
      "x-hasura-allowed-roles": [USER_ROLE],
    },
  };
}

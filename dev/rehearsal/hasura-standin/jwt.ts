// HASURA_GRAPHQL_JWT_SECRET read and applied the way Hasura v2 does (hasura/graphql-engine
// server/src-lib/Hasura/Server/Auth/JWT.hs and docs auth/authentication/jwt.mdx), for the rehearsal's
// stand-in. What matters for this project is kept exact: `key`+`type` or `jwk_url` (fetched at start,
// fatal when it fails, refreshed only when the answer carries Cache-Control or Expires), `issuer`
// (checked only when the token has `iss`), `audience` (checked only when the token has `aud`;
// `aud: []` never matches), `allowed_skew` on exp/nbf/iat, `claims_namespace` or `claims_map` with
// JSON paths and literals, roles from the claims and the X-Hasura-Role header only.

import { get as httpsGet } from "node:https";
import { rootCertificates } from "node:tls";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, importSPKI, importX509, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { jwksExpiry } from "../../../scripts/lib/kinde/jwks.js";
import { describeFetchError } from "../../../scripts/lib/net/fetch-error.js";

export const DEFAULT_CLAIMS_NAMESPACE = "https://hasura.io/jwt/claims";

export class JwtConfigError extends Error {}

/** A refusal as Hasura words it: the code goes into errors[0].extensions.code. */
export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface JwtSecret {
  type?: string;
  key?: string;
  jwk_url?: string;
  claims_namespace?: string;
  claims_namespace_path?: string;
  claims_format?: "json" | "stringified_json";
  audience?: string | string[];
  issuer?: string;
  claims_map?: Record<string, unknown>;
  allowed_skew?: number;
  header?: { type: string; name?: string };
}

export interface Session {
  role: string;
  /** x-hasura-* session variables, names lower-case. */
  variables: Record<string, string>;
  /** The token's exp (seconds): a websocket opened with it ends then (Hasura's tokenExpiryHandler). */
  expiresAt?: number;
}

const KNOWN_FIELDS = [
  "type",
  "key",
  "jwk_url",
  "claims_namespace",
  "claims_namespace_path",
  "claims_format",
  "audience",
  "issuer",
  "claims_map",
  "allowed_skew",
  "header",
];

export function parseJwtSecret(raw: string): JwtSecret {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new JwtConfigError("HASURA_GRAPHQL_JWT_SECRET is not valid JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new JwtConfigError("HASURA_GRAPHQL_JWT_SECRET must be a JSON object");
  const secret = value as JwtSecret;
  const unknown = Object.keys(secret).filter((k) => !KNOWN_FIELDS.includes(k));
  if (unknown.length > 0) throw new JwtConfigError(`HASURA_GRAPHQL_JWT_SECRET has fields Hasura does not read: ${unknown.join(", ")}`);
  if (secret.key && secret.jwk_url) throw new JwtConfigError("key, jwk_url both cannot be present");
  if (!secret.key && !secret.jwk_url) throw new JwtConfigError("key and jwk_url both cannot be empty");
  if (secret.claims_namespace && secret.claims_namespace_path)
    throw new JwtConfigError("claims_namespace and claims_namespace_path both cannot be set");
  if (secret.allowed_skew !== undefined && !(Number.isInteger(secret.allowed_skew) && secret.allowed_skew >= 0)) {
    throw new JwtConfigError("allowed_skew must be a whole number of seconds");
  }
  if (secret.header && secret.header.type !== "Authorization")
    throw new JwtConfigError("the rehearsal's stand-in reads tokens from the Authorization header only");
  if (secret.claims_map) {
    for (const required of ["x-hasura-allowed-roles", "x-hasura-default-role"]) {
      if (!(required in lowerKeys(secret.claims_map))) throw new JwtConfigError(`${required} is expected but not found in claims_map`);
    }
    for (const entry of Object.values(secret.claims_map)) if (isPathEntry(entry)) parseJsonPath(entry.path);
  }
  return secret;
}

/**
 * A fetch of jwk_url that also trusts `ca` (a self-signed stand-in certificate): node:https with the
 * CA added, the answer as a Response (status, headers, body) for the verifier; bounded to 10 s.
 */
export function fetchTrusting(ca: string): (url: string) => Promise<Response> {
  return (url) =>
    new Promise((resolve, reject) => {
      const req = httpsGet(url, { ca: [...rootCertificates, ca], timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
        });
      });
      req.on("timeout", () => req.destroy(new Error("timed out after 10 s")));
      req.on("error", reject);
    });
}

/** Verifies tokens against one JWT secret; `start()` fetches a JWKS first, as Hasura does at boot. */
export class JwtVerifier {
  private keys: JWTVerifyGetKey | undefined;
  private jwksExpiresAt = Number.POSITIVE_INFINITY;
  /** How often the JWKS was fetched (the first fetch included). */
  jwksFetches = 0;
  /** Whether the JWKS answer told Hasura to refresh (Cache-Control max-age/no-cache/no-store or Expires). */
  jwksRefreshes = false;

  constructor(
    readonly secret: JwtSecret,
    private readonly fetchUrl: (url: string) => Promise<Response> = (url) => fetch(url, { signal: AbortSignal.timeout(10_000) }),
  ) {}

  async start(): Promise<void> {
    if (this.secret.jwk_url) await this.fetchJwks();
  }

  /** The session for an `Authorization` header value, or an AuthError with Hasura's code and message. */
  async session(authorization: string, requestedRole: string | undefined, now = Date.now() / 1000): Promise<Session> {
    const words = authorization.trim().split(/\s+/);
    if (words.length !== 2 || words[0]?.toLowerCase() !== "bearer") throw new AuthError("invalid-headers", "Malformed Authorization header");
    const token = words[1] as string;
    const payload = await this.verifySignature(token);
    this.verifyClaims(payload, now);
    const session = sessionFromClaims(this.secret, payload, requestedRole);
    return typeof payload.exp === "number" ? { ...session, expiresAt: payload.exp } : session;
  }

  private async verifySignature(token: string): Promise<Record<string, unknown>> {
    let header: { alg?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AuthError("invalid-jwt", "Could not verify JWT: JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)");
    }
    try {
      const { payload } = await compactVerify(token, await this.keyFor(header.alg));
      return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw new AuthError("invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature");
    }
  }

  private async keyFor(alg: string | undefined): Promise<Parameters<typeof compactVerify>[1]> {
    if (this.secret.jwk_url) {
      if (Date.now() / 1000 >= this.jwksExpiresAt) await this.fetchJwks().catch(() => undefined);
      if (!this.keys) throw new AuthError("invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys");
      return this.keys;
    }
    const type = this.secret.type ?? "";
    if (alg !== type) throw new AuthError("invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature");
    const key = this.secret.key as string;
    if (type.startsWith("HS")) return new TextEncoder().encode(key);
    return key.includes("BEGIN CERTIFICATE") ? importX509(key, type) : importSPKI(key, type);
  }

  private async fetchJwks(): Promise<void> {
    const url = this.secret.jwk_url as string;
    let response: Response;
    try {
      response = await this.fetchUrl(url);
    } catch (err) {
      throw new JwtConfigError(`Error fetching JWK: ConnectionFailure ${describeFetchError(err)} (${url})`);
    }
    if (response.status !== 200) throw new JwtConfigError(`Error fetching JWK: Non-200 response ${response.status} from ${url}`);
    let jwks: JSONWebKeySet;
    try {
      jwks = (await response.json()) as JSONWebKeySet;
      this.keys = createLocalJWKSet(jwks);
    } catch {
      throw new JwtConfigError(`Error parsing JWK from url: ${url}`);
    }
    this.jwksFetches += 1;
    const expiry = jwksExpiry(response.headers);
    this.jwksRefreshes = expiry !== undefined;
    this.jwksExpiresAt = expiry === undefined ? Number.POSITIVE_INFINITY : Date.now() / 1000 + expiry;
  }

  private verifyClaims(payload: Record<string, unknown>, now: number): void {
    const skew = this.secret.allowed_skew ?? 0;
    const fail = (what: string) => {
      throw new AuthError("invalid-jwt", `Could not verify JWT: ${what}`);
    };
    if (typeof payload.exp === "number" && now - skew > payload.exp) fail("JWTExpired");
    if (typeof payload.nbf === "number" && now + skew < payload.nbf) fail("JWTNotYetValid");
    if (typeof payload.iat === "number" && payload.iat > now + skew) fail("JWTIssuedAtFuture");
    if (this.secret.audience !== undefined && payload.aud !== undefined) {
      const wanted = ([] as string[]).concat(this.secret.audience);
      const got = ([] as unknown[]).concat(payload.aud);
      if (!got.some((a) => typeof a === "string" && wanted.includes(a))) fail("JWTNotInAudience");
    }
    if (this.secret.issuer !== undefined && payload.iss !== undefined && payload.iss !== this.secret.issuer) fail("JWTNotInIssuer");
  }
}

function sessionFromClaims(secret: JwtSecret, payload: Record<string, unknown>, requestedRole: string | undefined): Session {
  const claims = secret.claims_map ? fromClaimsMap(secret.claims_map, payload) : fromNamespace(secret, payload);
  const allowed = claims["x-hasura-allowed-roles"];
  const fallback = claims["x-hasura-default-role"];
  if (!Array.isArray(allowed) || !allowed.every((r) => typeof r === "string")) {
    throw new AuthError("jwt-missing-role-claims", "JWT claim does not contain x-hasura-allowed-roles");
  }
  if (typeof fallback !== "string") throw new AuthError("jwt-missing-role-claims", "JWT claim does not contain x-hasura-default-role");
  const role = requestedRole ?? fallback;
  if (!allowed.includes(role)) throw new AuthError("access-denied", "Your requested role is not in allowed roles");
  const variables: Record<string, string> = { "x-hasura-role": role };
  for (const [name, value] of Object.entries(claims)) {
    if (name === "x-hasura-allowed-roles" || name === "x-hasura-default-role" || !name.startsWith("x-hasura-")) continue;
    if (typeof value !== "string") throw new AuthError("jwt-invalid-claims", `invalid x-hasura-* claim ${name}: expected a string`);
    variables[name] = value;
  }
  return { role, variables };
}

function fromNamespace(secret: JwtSecret, payload: Record<string, unknown>): Record<string, unknown> {
  const namespace = secret.claims_namespace ?? DEFAULT_CLAIMS_NAMESPACE;
  let raw: unknown = secret.claims_namespace_path ? evaluatePath(parseJsonPath(secret.claims_namespace_path), payload) : payload[namespace];
  if (raw === undefined) throw new AuthError("jwt-invalid-claims", `claims key: '${secret.claims_namespace_path ?? namespace}' not found`);
  if (secret.claims_format === "stringified_json" && typeof raw === "string") raw = JSON.parse(raw) as unknown;
  if (!raw || typeof raw !== "object") throw new AuthError("jwt-invalid-claims", "claims should be a JSON object");
  return lowerKeys(raw as Record<string, unknown>);
}

function fromClaimsMap(map: Record<string, unknown>, payload: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(lowerKeys(map))) {
    if (!isPathEntry(entry)) {
      out[name] = entry;
      continue;
    }
    const value = evaluatePath(parseJsonPath(entry.path), payload) ?? entry.default;
    if (value === undefined) throw new AuthError("jwt-invalid-claims", `JWT claim from claims_map, ${name} not found`);
    out[name] = value;
  }
  return out;
}

function isPathEntry(v: unknown): v is { path: string; default?: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { path?: unknown }).path === "string";
}

function lowerKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

/** `$.a.b`, `$['a.b']`, `$.list[0]`: the JSONPath subset Hasura's claims_map documents. */
export function parseJsonPath(path: string): Array<string | number> {
  if (!path.startsWith("$")) throw new JwtConfigError(`claims_map path ${JSON.stringify(path)} must start with $`);
  const segments: Array<string | number> = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new JwtConfigError(`claims_map path ${JSON.stringify(path)} is not a JSON path the stand-in understands`);
    segments.push(m[2] !== undefined ? Number(m[2]) : ((m[1] ?? m[3] ?? m[4]) as string));
  }
  return segments;
}

function evaluatePath(segments: Array<string | number>, value: unknown): unknown {
  return segments.reduce<unknown>((v, s) => (v && typeof v === "object" ? (v as Record<string | number, unknown>)[s] : undefined), value);
}

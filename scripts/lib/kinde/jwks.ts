// A JWKS as Hasura reads it: fetched once at start (a failure there is fatal for Hasura, hasura/
// graphql-engine server/src-lib/Hasura/Server/Auth.hs mkJwtCtx), then refreshed only when the answer
// says when it expires (Cache-Control max-age/s-maxage, no-cache, no-store, must-revalidate, or
// Expires; docs auth/authentication/jwt.mdx "Rotating JWKs"). Without those Hasura keeps the first
// keys until it restarts, so a provider's key rotation needs a Hasura restart.
import { ExpectedFailure } from "../../../core/expected-failure.js";

export class JwksError extends ExpectedFailure {}

export interface JwksFacts {
  url: string;
  keys: number;
  /** Seconds until Hasura would fetch again, or undefined: it never refreshes these keys. */
  refreshAfterSeconds: number | undefined;
  /** The caching headers as sent, for the report. */
  cacheHeaders: string;
}

/** Seconds until the JWKS expires, from Cache-Control or Expires; undefined when neither says (no refresh). */
export function jwksExpiry(headers: Headers, now = Date.now()): number | undefined {
  const cacheControl = headers.get("cache-control")?.toLowerCase() ?? "";
  if (/\b(no-cache|no-store)\b/.test(cacheControl)) return 1;
  const maxAge = /\b(?:s-maxage|max-age)=(\d+)/.exec(cacheControl);
  if (maxAge) return Math.max(1, Number(maxAge[1]));
  if (/\bmust-revalidate\b/.test(cacheControl)) return 1;
  const expires = headers.get("expires");
  if (expires && !Number.isNaN(Date.parse(expires))) return Math.max(1, (Date.parse(expires) - now) / 1000);
  return undefined;
}

/** Fetches the JWKS from this machine, as Hasura will at start; the error names the URL and what failed. */
export async function checkJwks(url: string, timeoutMs = 10_000): Promise<JwksFacts> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
    const reason = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new JwksError(
      `Cannot fetch the JWKS at ${url}: ${reason}. Hasura would exit at start (it fetches the JWKS first); check kindeDomain/kindeJwksUrl and that this host reaches it`,
    );
  }
  const text = await response.text();
  if (response.status !== 200) throw new JwksError(`The JWKS at ${url} answered HTTP ${response.status}, not 200: ${text.slice(0, 120)}`);
  let keys: unknown;
  try {
    keys = (JSON.parse(text) as { keys?: unknown }).keys;
  } catch {
    throw new JwksError(`The JWKS at ${url} is not JSON: ${text.slice(0, 120)}`);
  }
  if (!Array.isArray(keys) || keys.length === 0) throw new JwksError(`The JWKS at ${url} has no keys ({"keys": [...]} expected)`);
  const cacheHeaders = ["cache-control", "expires"]
    .map((h) => (response.headers.get(h) ? `${h}: ${response.headers.get(h)}` : ""))
    .filter(Boolean)
    .join("; ");
  return { url, keys: keys.length, refreshAfterSeconds: jwksExpiry(response.headers), cacheHeaders };
}

/** One line on what Hasura will do with these keys. */
export function describeRefresh(facts: JwksFacts): string {
  return facts.refreshAfterSeconds === undefined
    ? `The JWKS at ${facts.url} (${facts.keys} key(s)) sends no Cache-Control or Expires: Hasura keeps these keys until it ` +
        `restarts, so after your identity provider rotates its keys, restart Hasura (docs/kinde.md, Kinde's keys).`
    : `The JWKS at ${facts.url} (${facts.keys} key(s)) sends ${facts.cacheHeaders}: ` +
        `Hasura fetches it again after ${Math.round(facts.refreshAfterSeconds)} s, so key rotations are picked up.`;
}

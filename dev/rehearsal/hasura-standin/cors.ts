// HASURA_GRAPHQL_CORS_DOMAIN as Hasura reads it (server/src-lib/Hasura/Server/Cors.hs): unset or "*"
// allows every origin; otherwise a comma-separated list of origins with scheme and port, where a
// "*." label matches any one subdomain (https://*.acme.com). Used for the websocket handshake, which
// Hasura refuses outright for an origin outside the list, and for HTTP as corsHeaders below does it.

export function corsAllows(domains: string | undefined, origin: string | undefined): boolean {
  if (origin === undefined || domains === undefined || domains.trim() === "" || domains.trim() === "*") return true;
  return domains
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "")
    .some((domain) => {
      if (domain === origin) return true;
      const wildcard = /^([a-z][a-z0-9+.-]*:\/\/)\*\.(.+)$/i.exec(domain);
      if (!wildcard) return false;
      const [, scheme, rest] = wildcard as unknown as [string, string, string];
      return origin.startsWith(scheme) && origin.endsWith(`.${rest}`) && !origin.slice(scheme.length, -rest.length - 1).includes(".");
    });
}

/** Hasura's default CORS methods (server/src-lib/Hasura/Server/Cors.hs, CorsPolicy's cpMethods). */
const CORS_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS";

/**
 * HTTP CORS as Hasura's corsMiddleware answers it (server/src-lib/Hasura/Server/Middleware.hs): a
 * request from an allowed origin gets Access-Control-Allow-Origin (that origin), -Credentials and
 * -Methods; its preflight (OPTIONS) is answered 204 at once, with the requested headers allowed and a
 * max age of 1728000 s. An origin outside the list gets no CORS header at all and the request goes on
 * as if it had none: the browser, not Hasura, then refuses the page the answer.
 */
export function corsHeaders(
  domains: string | undefined,
  method: string | undefined,
  headers: { origin?: string; "access-control-request-headers"?: string },
): { preflight: boolean; headers: Record<string, string> } | undefined {
  const origin = headers.origin;
  if (origin === undefined || !corsAllows(domains, origin)) return undefined;
  const cors = { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", "access-control-allow-methods": CORS_METHODS };
  if (method !== "OPTIONS") return { preflight: false, headers: cors };
  return {
    preflight: true,
    headers: { ...cors, "access-control-max-age": "1728000", "access-control-allow-headers": headers["access-control-request-headers"] ?? "" },
  };
}

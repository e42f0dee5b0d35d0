// HASURA_GRAPHQL_CORS_DOMAIN as Hasura reads it (server/src-lib/Hasura/Server/Cors.hs): unset or "*"
// allows every origin; otherwise a comma-separated list of origins with scheme and port, where a
// "*." label matches any one subdomain (https://*.acme.com). Used for the websocket handshake, which
// Hasura refuses outright for an origin outside the list.

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

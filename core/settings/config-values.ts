// Parsers for the values in a stack's config that are more than words: container image references,
// browser origins, secrets. Each takes the raw string and returns a typed value or undefined; the
// settings turn undefined into a message. Parsed, never matched by a loose regex: a registry port
// (`registry.local:5000/postgres:17.6`) is not a tag, and `https://a.kinde.com@evil.example` is not
// a Kinde host.

export interface ImageReference {
  /** `registry.local:5000`, or undefined for Docker Hub. */
  registry?: string;
  /** The path without registry, Docker Hub's `library/` removed: `postgres`, `hasura/graphql-engine`. */
  repository: string;
  tag?: string;
  digest?: string;
}

// Docker's reference grammar (distribution/reference): lower-case path components, a tag of up to
// 128 word characters, dots and dashes, a sha256 digest.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageReference(raw: string): ImageReference | undefined {
  const [name, digest, ...extra] = raw.split("@");
  if (!name || extra.length > 0 || (digest !== undefined && !DIGEST.test(digest))) return undefined;
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const [path, tag] = colon > slash ? [name.slice(0, colon), name.slice(colon + 1)] : [name, undefined];
  if (tag !== undefined && !TAG.test(tag)) return undefined;
  const parts = path.split("/");
  // The first part names a registry when it has a dot or a port, or is localhost (Docker's rule).
  const registry = parts.length > 1 && /[.:]|^localhost$/.test(parts[0] as string) ? parts.shift() : undefined;
  if (registry !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(registry)) return undefined;
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
  const dockerHub = registry === undefined || registry === "docker.io" || registry === "index.docker.io";
  if (dockerHub && parts[0] === "library" && parts.length === 2) parts.shift();
  return { ...(registry ? { registry } : {}), repository: parts.join("/"), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The major version of an exact-version tag such as `17.6`, `17.6-bookworm` or `v2.48.16` (not `17`, not `latest`). */
export function majorVersion(tag: string | undefined): number | undefined {
  const match = /^v?(\d+)\.\d+/.exec(tag ?? "");
  return match ? Number(match[1]) : undefined;
}

export interface Origin {
  scheme: "http" | "https";
  raw: string;
}

/** A browser origin as Hasura's HASURA_GRAPHQL_CORS_DOMAIN takes it: scheme, host, optional port, optional `*.` wildcard. */
export function parseOrigin(raw: string): Origin | undefined {
  const match = /^(https?):\/\/(\*\.)?([^/?#]+)$/.exec(raw);
  if (!match) return undefined;
  let url: URL;
  try {
    url = new URL(`${match[1]}://${match[3]}`);
  } catch {
    return undefined;
  }
  // new URL accepts what an origin is not: credentials, paths, a port outside 1-65535 (it throws there).
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) return undefined;
  if (`${url.host}` !== match[3]?.toLowerCase()) return undefined;
  return { scheme: match[1] as "http" | "https", raw };
}

/**
 * What a password or admin secret may hold: printable ASCII without spaces. A control character,
 * newline or non-ASCII byte cannot travel in an HTTP header (`X-Hasura-Admin-Secret`) and breaks
 * connection URLs; `openssl rand -base64 64` output with its newline is the usual culprit.
 */
export function isHeaderSafeSecret(value: string): boolean {
  return /^[\x21-\x7e]+$/.test(value);
}

/** The production strength rule for secrets, stated once for messages and docs/configuration.md. */
export const STRONG_SECRET_RULE =
  "at least 32 characters, with at least 3 of lower case, upper case, digits and symbols, and no character more than 4 times in a row";

export function isStrongSecret(value: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
  return value.length >= 32 && classes >= 3 && !/(.)\1{4}/.test(value);
}

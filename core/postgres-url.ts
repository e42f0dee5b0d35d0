// One way to spell a PostgreSQL connection URL, so a password with @, / or : never breaks it.

export interface PostgresTarget {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

export function postgresUrl(t: PostgresTarget): string {
  return `postgres://${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}@${t.host}:${t.port}/${encodeURIComponent(t.database)}`;
}

/**
 * The URL for messages and logs: everything between the scheme and the last `@` (user and password,
 * however oddly spelled: a raw `@`, `/`, `?` or `#` in a password moves what a URL parser calls the
 * host) becomes `<user>:***`, then password-like query parameters are hidden too. A string that does
 * not parse as a URL is not echoed at all (it may be a password itself).
 */
export function redactUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url)?.[1];
  if (!scheme) return "<a value that is not a URL; not shown>";
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
  const user = userinfo === undefined ? undefined : userinfo.includes(":") ? `${userinfo.split(":")[0]}:***` : userinfo;
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}${hostPart}`);
  } catch {
    return "<a value that is not a URL; not shown>";
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, "***");
  }
  const shown = parsed.toString();
  return user === undefined ? shown : `${scheme}${user}@${shown.slice(scheme.length)}`;
}

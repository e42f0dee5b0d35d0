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
 * The URL for messages and logs: parsed, the password and any password-like query parameter replaced
 * by ***. A string that does not parse as a URL is not echoed at all (it may be a password itself).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<a value that is not a URL; not shown>";
  }
  if (parsed.password) parsed.password = "***";
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, "***");
  }
  return parsed.toString();
}

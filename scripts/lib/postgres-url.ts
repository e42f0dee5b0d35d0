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

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, "$1***@");
}

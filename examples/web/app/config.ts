// What the page reads from /config.json (examples/web/web-server.ts writes it): nothing secret.
export interface AppConfig {
  stack: string;
  graphqlUrl: string;
  audience: string;
  /** Kinde's SPA SDK `domain`: https://<kindeDomain>, or the local sign-in's URL. */
  signInDomain: string;
  clientId: string;
  /** For the page's text: "kinde" or "local" (the local sign-in, no Kinde account). */
  signIn: "kinde" | "local";
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json");
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}; restart npm run web`);
  return (await response.json()) as AppConfig;
}

/** A JWT's payload, unverified: the page reads its own token's sub and exp, nothing is trusted on it. */
export function tokenClaims(token: string): { sub?: string; exp?: number } {
  try {
    const part = token.split(".")[1] ?? "";
    return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: string; exp?: number };
  } catch {
    return {};
  }
}

// One GraphQL request to Hasura with the user's access token, and every way it can fail told apart in
// words a person can act on. A browser reports a CORS refusal and an unreachable server as the same
// TypeError, so on one the page asks its own server (/hasura-status) whether Hasura is up.
import type { AppConfig } from "./config.js";

export class HasuraError extends Error {
  constructor(
    message: string,
    /** The session is over (Hasura refused the token): the page offers to sign in again. */
    readonly sessionExpired = false,
  ) {
    super(message);
  }
}

interface GraphqlAnswer<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export async function graphql<T>(config: AppConfig, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(config.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new HasuraError(await unreachable(config));
  }
  if (!response.ok) throw new HasuraError(`Hasura answered HTTP ${response.status} for ${config.graphqlUrl}`);
  const answer = (await response.json()) as GraphqlAnswer<T>;
  if (answer.errors?.length) {
    const codes = answer.errors.map((e) => e.extensions?.code ?? "");
    const text = answer.errors.map((e) => e.message).join("; ");
    // Hasura's code for a token it cannot verify or that has expired (JWTExpired, JWTInvalidClaims, ...).
    if (codes.includes("invalid-jwt")) throw new HasuraError(`Hasura refused your access token: ${text}. Sign in again.`, true);
    throw new HasuraError(`Hasura answered with an error: ${text}`);
  }
  if (!answer.data) throw new HasuraError("Hasura answered without data or errors");
  return answer.data;
}

/** Why fetch threw: Hasura up (so the browser refused its answer: CORS) or not answering at all. */
export async function unreachable(config: AppConfig): Promise<string> {
  const status = await fetch("/hasura-status")
    .then((r) => r.json() as Promise<{ up: boolean; detail: string }>)
    .catch(() => undefined);
  if (status?.up)
    return (
      `The browser refused Hasura's answer: Hasura is up (${status.detail}), but this page's origin ${location.origin} is not in stack ${config.stack}'s hasuraCorsDomains. ` +
      `Add it (pulumi config set hasuraCorsDomains "<the list>,${location.origin}" --stack ${config.stack}) and run npm run up.`
    );
  return `Hasura is not answering at ${config.graphqlUrl} (${status?.detail ?? "npm run web is not answering either"}). Is stack ${config.stack} up? npm run up`;
}

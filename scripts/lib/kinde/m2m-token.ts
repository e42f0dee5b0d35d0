// A real Kinde access token for a machine client: the OAuth client-credentials grant with the Hasura
// audience (Kinde docs: register-manage-apis, "Audience in an M2M token"). Every call counts toward
// Kinde's M2M token allowance, so the smoke test asks for one token per run.

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { describeFetchError } from "../net/fetch-error.js";

export class KindeTokenError extends ExpectedFailure {}

export interface ClientCredentials {
  /** https://<kinde domain>/oauth2/token */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  audience: string;
}

export function kindeTokenUrl(domain: string): string {
  return `https://${domain.replace(/^https:\/\//, "").replace(/\/+$/, "")}/oauth2/token`;
}

export async function fetchClientCredentialsToken(c: ClientCredentials, timeoutMs = 15_000): Promise<string> {
  let response: Response;
  try {
    response = await fetch(c.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.clientId, client_secret: c.clientSecret, audience: c.audience }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new KindeTokenError(`Cannot reach Kinde at ${c.tokenUrl}: ${describeFetchError(err, timeoutMs)}`);
  }
  const text = await response.text();
  let body: { access_token?: string; error?: string; error_description?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // reported below with the status
  }
  if (!response.ok || !body.access_token) {
    const reason = body.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ""}` : text.slice(0, 200);
    throw new KindeTokenError(
      `Kinde refused a token for M2M application ${c.clientId} with audience ${c.audience} (HTTP ${response.status}: ${reason}). ` +
        "Check kindeSmokeClientId/kindeSmokeClientSecret and that the application is authorized for the audience (npm run kinde -- ensure).",
    );
  }
  return body.access_token;
}

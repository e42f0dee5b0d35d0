// The example front-end (examples/web): where it is served, so that `kinde ensure` registers that URL as
// the Kinde application's callback and logout URL and `npm run web` serves there; and the access-token
// lifetime `kinde ensure` sets on that application.
import { parseOrigin } from "./config-values.js";
import type { SettingsReader } from "./reader.js";

/** Where `npm run web` serves by default: an origin Kinde's SPA SDK treats as development (local storage). */
export const DEFAULT_WEB_APP_URL = "http://127.0.0.1:3000";

/** Kinde's own bounds: it advises against access tokens that live longer than a day (configure-tokens.mdx). */
export const MIN_ACCESS_TOKEN_LIFETIME = 60;
export const MAX_ACCESS_TOKEN_LIFETIME = 86_400;

export interface WebAppSettings {
  /** The app's origin; none on a production stack that sets none (it has its own front-end). */
  url?: string;
  /** Seconds; unset leaves the Kinde application's lifetime as it is (Kinde's default is 24 h). */
  accessTokenLifetime?: number;
}

/**
 * The default applies to local-signing-mode stacks only: on a Kinde stack the URL becomes a callback URL
 * of the team's real front-end application, which only the team may decide.
 */
export function readWebApp(r: SettingsReader, production: boolean, localMode: boolean): WebAppSettings {
  const raw = r.value("webAppUrl").trim();
  let url: string | undefined = raw === "" && localMode && !production ? DEFAULT_WEB_APP_URL : undefined;
  if (raw !== "") {
    const origin = parseOrigin(raw.replace(/\/$/, ""));
    if (!origin || raw.includes("*"))
      r.fail("webAppUrl", "an origin such as http://127.0.0.1:3000 or https://app.example.com (scheme, host, port; no path)", raw);
    else if (production && origin.scheme !== "https")
      r.fail("webAppUrl", "an https:// origin on a production stack (production: true), or empty", raw);
    // Lower case and no trailing slash: the form Kinde's SDK sends as redirect_uri (js-utils sanitizeUrl).
    else url = new URL(origin.raw).origin;
  }
  const lifetimeRaw = r.value("kindeAccessTokenLifetime").trim();
  const rule = `a whole number of seconds from ${MIN_ACCESS_TOKEN_LIFETIME} to ${MAX_ACCESS_TOKEN_LIFETIME} (a day), or empty to leave Kinde's setting`;
  const accessTokenLifetime =
    lifetimeRaw === ""
      ? undefined
      : r.wholeNumber("kindeAccessTokenLifetime", lifetimeRaw, MIN_ACCESS_TOKEN_LIFETIME, MAX_ACCESS_TOKEN_LIFETIME, rule);
  return { ...(url ? { url } : {}), ...(accessTokenLifetime !== undefined ? { accessTokenLifetime } : {}) };
}

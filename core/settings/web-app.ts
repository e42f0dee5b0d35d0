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
 * An origin as Kinde's SDK sends it as redirect_uri (js-utils sanitizeUrl: lower case, no trailing
 * slash), or undefined when `raw` is not one (a path, a wildcard, no scheme). The one rule for
 * webAppUrl, KINDE_APP_URL and the app's own URL.
 */
export function webAppOrigin(raw: string): { origin: string; scheme: "http" | "https" } | undefined {
  if (raw.includes("*")) return undefined;
  const parsed = parseOrigin(raw.replace(/\/$/, ""));
  return parsed ? { origin: new URL(parsed.raw).origin, scheme: parsed.scheme } : undefined;
}

/** Whole seconds within Kinde's bounds ({@link MIN_ACCESS_TOKEN_LIFETIME} to {@link MAX_ACCESS_TOKEN_LIFETIME}), or undefined. */
export function accessTokenLifetime(raw: string): number | undefined {
  const seconds = Number(raw);
  return /^\d{1,5}$/.test(raw) && seconds >= MIN_ACCESS_TOKEN_LIFETIME && seconds <= MAX_ACCESS_TOKEN_LIFETIME ? seconds : undefined;
}

/**
 * The default applies to local-signing-mode stacks only: on a Kinde stack the URL becomes a callback URL
 * of the team's real front-end application, which only the team may decide.
 */
export function readWebApp(r: SettingsReader, production: boolean, localMode: boolean): WebAppSettings {
  const raw = r.value("webAppUrl").trim();
  let url: string | undefined = raw === "" && localMode && !production ? DEFAULT_WEB_APP_URL : undefined;
  if (raw !== "") {
    const app = webAppOrigin(raw);
    if (!app) r.fail("webAppUrl", "an origin such as http://127.0.0.1:3000 or https://app.example.com (scheme, host, port; no path)", raw);
    else if (production && app.scheme !== "https") r.fail("webAppUrl", "an https:// origin on a production stack (production: true), or empty", raw);
    else url = app.origin;
  }
  const lifetimeRaw = r.value("kindeAccessTokenLifetime").trim();
  const lifetime = lifetimeRaw === "" ? undefined : accessTokenLifetime(lifetimeRaw);
  if (lifetimeRaw !== "" && lifetime === undefined)
    r.fail(
      "kindeAccessTokenLifetime",
      `a whole number of seconds from ${MIN_ACCESS_TOKEN_LIFETIME} to ${MAX_ACCESS_TOKEN_LIFETIME} (a day), or empty to leave Kinde's setting`,
      lifetimeRaw,
    );
  return { ...(url ? { url } : {}), ...(lifetime !== undefined ? { accessTokenLifetime: lifetime } : {}) };
}

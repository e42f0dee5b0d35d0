// Who issues the tokens Hasura trusts: Kinde (kindeDomain set) or the stack's own dev key (local mode),
// and how Hasura checks them (audience, claims layout, clock skew, JWKS URL).
import { CLAIMS_MODES, type ClaimsMode } from "../jwt-policy.js";
import type { SettingsReader } from "./reader.js";

/** More forgiveness than five minutes would keep an expired token alive too long. */
export const MAX_ALLOWED_SKEW = 300;

export interface TokenSettings {
  /** No Kinde domain: the stack signs its own tokens with a dev key. */
  localMode: boolean;
  /** Where users sign in: the issuer and JWKS host ("" in local mode). */
  kindeDomain: string;
  /** kindeManagementDomain as set ("" when unset). */
  managementOverride: string;
  audience: string;
  /** The audience is well formed (further audience rules only judge a valid one). */
  audienceValid: boolean;
  claims: ClaimsMode;
  allowedSkew: number;
  /** kindeJwksUrl as set ("" when unset). */
  jwksOverride: string;
}

export function readTokenSettings(r: SettingsReader): TokenSettings {
  const domainRaw = r.value("kindeDomain").trim();
  const kindeDomain = r.host("kindeDomain", domainRaw, "a host such as acme.kinde.com or auth.example.com");
  const managementRaw = r.value("kindeManagementDomain").trim();
  const managementOverride = r.host("kindeManagementDomain", managementRaw, "a Kinde domain such as acme.kinde.com");
  if (managementOverride && !isKindeHost(managementOverride))
    r.fail("kindeManagementDomain", "a Kinde domain such as acme.kinde.com (a *.kinde.com host)", managementRaw);

  const audience = r.value("kindeAudience");
  const audienceValid = /^[\x21-\x7e]+$/.test(audience);
  if (!audienceValid) r.fail("kindeAudience", "a non-empty audience of printable characters without spaces such as hasura", audience);

  const skewRule = `a whole number of seconds from 0 to ${MAX_ALLOWED_SKEW}`;
  const allowedSkew = r.wholeNumber("jwtAllowedSkew", r.value("jwtAllowedSkew"), 0, MAX_ALLOWED_SKEW, skewRule) ?? 0;

  const claimsRaw = r.value("kindeClaims");
  const claims: ClaimsMode = CLAIMS_MODES.includes(claimsRaw as ClaimsMode) ? (claimsRaw as ClaimsMode) : "namespace";
  if (claims !== claimsRaw) r.fail("kindeClaims", `one of ${CLAIMS_MODES.map((m) => `"${m}"`).join(", ")}`, claimsRaw);

  const jwksOverride = r.value("kindeJwksUrl").trim();
  if (jwksOverride !== "") {
    const rule = "an https:// URL such as https://acme.kinde.com/.well-known/jwks";
    if (!isJwksUrl(jwksOverride)) {
      r.fail("kindeJwksUrl", rule, jwksOverride);
    } else if (domainRaw === "") {
      r.report(`${r.name("kindeJwksUrl")} is set but ${r.name("kindeDomain")} is empty; set kindeDomain too, or remove kindeJwksUrl`);
    }
  }
  const localMode = kindeDomain === "" && domainRaw === "";
  return { localMode, kindeDomain, managementOverride, audience, audienceValid, claims, allowedSkew, jwksOverride };
}

export function isKindeHost(host: string): boolean {
  return host.endsWith(".kinde.com");
}

/** An https:// URL with a host and a path, and no credentials: Hasura fetches the keys it trusts over TLS only. */
function isJwksUrl(raw: string): boolean {
  if (/\s/.test(raw)) return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password || url.pathname === "/" || url.hostname === "") return false;
  return url.protocol === "https:";
}

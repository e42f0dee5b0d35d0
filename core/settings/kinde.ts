// Kinde automation: the management, front-end and smoke M2M application ids (plain config) and their
// secrets (encrypted), each pair complete or absent, and only in Kinde mode.
import type { ConfiguredSecrets } from "./credentials.js";
import type { SettingsReader } from "./reader.js";
import { isKindeHost, type TokenSettings } from "./token.js";

/** The audience the Kinde workflows in kindeSrc/ recognise (a test keeps it equal to HASURA_AUDIENCE there). */
export const KINDE_WORKFLOW_AUDIENCE = "hasura";

export interface KindeSettings {
  /** Where users sign in: the token issuer and the JWKS host (a custom domain is allowed). */
  domain: string;
  /** Where the management API and M2M tokens live: always the *.kinde.com domain. */
  managementDomain: string;
  /** Management API credentials: when set, `pulumi up` ensures the API and app authorization. */
  managementClientId?: string;
  /** The front-end application to authorize for the audience. */
  appClientId?: string;
  /** An M2M application whose Kinde token the smoke test uses for its allowed checks. */
  smokeClientId?: string;
}

export function readKinde(r: SettingsReader, token: TokenSettings, secrets: ConfiguredSecrets): KindeSettings {
  const ids = {
    managementClientId: r.value("kindeManagementClientId").trim(),
    appClientId: r.value("kindeAppClientId").trim(),
    smokeClientId: r.value("kindeSmokeClientId").trim(),
  };
  const { kindeManagementClientSecret, kindeSmokeClientSecret } = secrets;
  const setKeys = [
    ...(ids.managementClientId ? ["kindeManagementClientId"] : []),
    ...(ids.appClientId ? ["kindeAppClientId"] : []),
    ...(ids.smokeClientId ? ["kindeSmokeClientId"] : []),
    ...(kindeManagementClientSecret ? ["kindeManagementClientSecret"] : []),
    ...(kindeSmokeClientSecret ? ["kindeSmokeClientSecret"] : []),
  ];
  if (token.localMode && setKeys.length > 0) {
    r.report(
      `Kinde automation keys (${setKeys.map((k) => r.name(k)).join(", ")}) need Kinde mode, but ${r.name("kindeDomain")} is empty; set kindeDomain or remove them`,
    );
  } else {
    checkPair(r, "kindeManagementClientId", ids.managementClientId, "kindeManagementClientSecret", kindeManagementClientSecret);
    checkPair(r, "kindeSmokeClientId", ids.smokeClientId, "kindeSmokeClientSecret", kindeSmokeClientSecret);
    checkKindeMode(r, token, ids);
  }
  return {
    domain: token.kindeDomain,
    managementDomain: token.managementOverride || token.kindeDomain,
    ...(ids.managementClientId ? { managementClientId: ids.managementClientId } : {}),
    ...(ids.appClientId ? { appClientId: ids.appClientId } : {}),
    ...(ids.smokeClientId ? { smokeClientId: ids.smokeClientId } : {}),
  };
}

function checkPair(r: SettingsReader, idKey: string, id: string, secretKey: string, secret: string | undefined): void {
  if (id !== "" && !secret)
    r.report(
      `${r.name(secretKey)} is required when ${r.name(idKey)} is set; set it with \`pulumi config set --secret ${r.name(secretKey)} <value>\``,
    );
  if (id === "" && secret) r.report(`${r.name(idKey)} is required when ${r.name(secretKey)} is set`);
}

/** What the Kinde side needs of the token settings: its management domain, the workflows' audience, M2M tokens' claims. */
function checkKindeMode(r: SettingsReader, token: TokenSettings, ids: { managementClientId: string; smokeClientId: string }): void {
  const { kindeDomain, claims, audience } = token;
  // Kinde: "Even if you use custom domains, you need to use your Kinde domain for Kinde Management
  // API access and machine-to-machine applications."
  if (kindeDomain && ids.managementClientId !== "" && !token.managementOverride && !isKindeHost(kindeDomain)) {
    r.report(
      `${r.name("kindeManagementDomain")} is required when ${r.name("kindeDomain")} is a custom domain (${kindeDomain}) and a management client is set: ` +
        "Kinde serves the management API on your *.kinde.com domain only; set it to that domain",
    );
  }
  // Kinde issues M2M tokens from the *.kinde.com domain only, and tokens from the two domains "are not
  // interchangeable" (Kinde's custom-domain docs): Hasura, trusting the custom domain as issuer, refuses
  // them with JWTNotInIssuer, and one HASURA_GRAPHQL_JWT_SECRET cannot trust both (JWT_SECRETS is not in
  // the free image). So the smoke's M2M path cannot work with a custom domain.
  if (kindeDomain && ids.smokeClientId !== "" && !isKindeHost(kindeDomain)) {
    r.report(
      `${r.name("kindeSmokeClientId")} cannot be used with a custom ${r.name("kindeDomain")} (${kindeDomain}): Kinde issues M2M tokens from your *.kinde.com domain, ` +
        "which Hasura (trusting the custom domain as issuer) refuses with JWTNotInIssuer; remove kindeSmokeClientId and kindeSmokeClientSecret, " +
        "and pass a user's access token in SMOKE_TOKEN instead (docs/kinde.md)",
    );
  }
  // The Kinde workflows in kindeSrc/ give a session only to tokens for the audience they were
  // built with (HASURA_AUDIENCE, kindeSrc/environment/workflows/hasuraSession.ts): Kinde offers them
  // no per-stack setting, so another audience would silently get tokens without claims.
  if (!token.localMode && claims === "namespace" && token.audienceValid && audience !== KINDE_WORKFLOW_AUDIENCE) {
    r.report(
      `${r.name("kindeAudience")} must be "${KINDE_WORKFLOW_AUDIENCE}" in Kinde namespace mode: the Kinde workflows (kindeSrc/) ` +
        `add the Hasura claims only to tokens for that audience; ` +
        `got ${JSON.stringify(audience)}. Change HASURA_AUDIENCE in kindeSrc/environment/workflows/hasuraSession.ts and redeploy the workflows first, or use kindeClaims "sub"`,
    );
  }
  // Kinde's M2M tokens carry aud, azp, exp, gty, iat, iss, jti, scope, scp, v and no `sub`: in sub
  // mode Hasura's claims_map finds no user id, so the smoke's real-token checks could never pass.
  if (!token.localMode && ids.smokeClientId !== "" && claims === "sub") {
    r.report(
      `${r.name("kindeSmokeClientId")} needs ${r.name("kindeClaims")} "namespace": Kinde's M2M tokens have no sub, so in "sub" mode Hasura finds no user id in them; ` +
        "use namespace mode (the hasuraM2MClaims workflow gives M2M tokens a session) or remove kindeSmokeClientId",
    );
  }
}

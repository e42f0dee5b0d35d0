// What the example app needs from a deployed stack, and what `npm run web` needs to serve it: the
// GraphQL URL, the audience, and who signs users in (Kinde, or in local signing mode the local sign-in
// with the stack's dev key). Pure: it reads a stack that is already read (scripts/lib/stacks/stack-reader.ts).
import { ExpectedFailure } from "../../core/expected-failure.js";
import type { ClaimsMode } from "../../core/jwt-policy.js";
import { type DeployedStack, issuerDrift } from "../../scripts/lib/stacks/stack-reader.js";

export class WebConfigError extends ExpectedFailure {}

/** Local signing mode: what the local sign-in signs with (never sent to the page). */
export interface LocalSignerConfig {
  issuer: string;
  audience: string;
  claims: ClaimsMode;
  /** The stack's dev signing key, PKCS#8 PEM. */
  signingKeyPem: string;
}

export interface WebPlan {
  stack: string;
  graphqlUrl: string;
  audience: string;
  /** The origins the stack's Hasura answers CORS for ("*" allows all). */
  corsDomains: string[];
  /** Where the app is meant to be served: the stack's webAppUrl (Kinde has it as callback URL). */
  appUrl: string;
  signIn: { kind: "kinde"; domain: string; clientId: string } | { kind: "local"; signer: LocalSignerConfig };
}

/** The client id the local sign-in knows the example app by. */
export const LOCAL_CLIENT_ID = "kinde-hasura-example-web";

export function webPlanOf(stack: DeployedStack): WebPlan {
  const { settings, outputs, credentials } = stack;
  const name = settings.stack;
  const graphqlUrl = typeof outputs.graphqlUrl === "string" ? outputs.graphqlUrl : undefined;
  if (!graphqlUrl) throw new WebConfigError(`Stack ${name} has no graphqlUrl output; run npm run up first`);
  if (settings.kubernetes && !settings.kubernetes.ingress)
    throw new WebConfigError(
      `Stack ${name} runs on Kubernetes without an Ingress: its GraphQL URL (${graphqlUrl}) is inside the cluster, out of a browser's reach`,
    );
  const appUrl = settings.webApp.url;
  if (!appUrl)
    throw new WebConfigError(
      `Stack ${name} sets no webAppUrl (a production stack has none by default): set it to the app's origin with \`pulumi config set webAppUrl <origin> --stack ${name}\``,
    );
  const base = { stack: name, graphqlUrl, audience: settings.jwt.audience, corsDomains: settings.hasura.corsDomains, appUrl };
  const drift = issuerDrift(stack);
  if (drift) throw new WebConfigError(drift);
  if (settings.jwt.trust.kind === "local") {
    // Production stacks refuse local signing mode already (core/settings/production.ts); this says so again here.
    if (settings.production) throw new WebConfigError(`Stack ${name} is a production stack: the local sign-in never serves one`);
    // Anyone who can reach a local sign-in gets a token for any user id: only for a stack that this machine alone reaches.
    if (settings.edge)
      throw new WebConfigError(
        `Stack ${name} is served beyond this machine (publicHost ${settings.edge.host}) and trusts its dev key: the local sign-in never serves such a stack; give it a kindeDomain`,
      );
    const signingKeyPem = credentials.devSigningKey;
    if (!signingKeyPem) throw new WebConfigError(`Stack ${name} is in local signing mode but has no devSigningKey output; run npm run up first`);
    return {
      ...base,
      signIn: { kind: "local", signer: { issuer: settings.jwt.issuer, audience: settings.jwt.audience, claims: settings.jwt.claims, signingKeyPem } },
    };
  }
  const clientId = settings.kinde.appClientId;
  if (!clientId)
    throw new WebConfigError(
      `Stack ${name} signs in with Kinde but sets no kindeAppClientId: create a front-end application in Kinde (Settings > Applications) and \`pulumi config set kindeAppClientId <client id> --stack ${name}\``,
    );
  return { ...base, signIn: { kind: "kinde", domain: `https://${settings.kinde.domain}`, clientId } };
}

/** Whether the stack's Hasura answers CORS for `origin` (hasuraCorsDomains; "https://*.x" covers subdomains). */
export function corsAllows(corsDomains: string[], origin: string): boolean {
  return corsDomains.some((d) => {
    if (d === "*" || d === origin) return true;
    const wildcard = /^(https?):\/\/\*\.(.+)$/.exec(d);
    if (!wildcard) return false;
    const url = new URL(origin);
    return url.protocol === `${wildcard[1]}:` && url.host.endsWith(`.${wildcard[2]}`);
  });
}

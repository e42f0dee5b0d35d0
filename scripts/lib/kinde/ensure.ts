// Makes sure the Kinde side of a stack exists: an API whose audience is the stack's kindeAudience, and
// the configured applications authorized for it. Idempotent: it reads first, writes only what is
// missing, and says what it changed. It never deletes an API (several stacks may share one Kinde
// environment) and never de-authorizes an application. For the front-end application it also adds the
// example app's URL as a callback and logout URL (never removing one) and sets the access-token
// lifetime when the stack gives one. Uses Kinde's own management SDK.

import { ExpectedFailure } from "../../../core/expected-failure.js";
import { fetchClientCredentialsToken, KindeTokenError, kindeTokenUrl } from "./m2m-token.js";
import { type KindeApiSummary, kindeSdk } from "./sdk.js";

const { ApiError, Apis, Applications, Callbacks } = kindeSdk;

export class KindeSetupError extends ExpectedFailure {}

export interface KindeCredentials {
  /** Business or custom domain, e.g. acme.kinde.com. */
  domain: string;
  /** An M2M application authorized for the Kinde Management API. */
  clientId: string;
  clientSecret: string;
}

export interface KindeApplication {
  clientId: string;
  /** What it is, for messages: "front-end application (kindeAppClientId)". */
  label: string;
}

/** What the front-end application (kindeAppClientId) is given besides the API authorization. */
export interface FrontEndSetup {
  clientId: string;
  /** The example app's origin (webAppUrl): a callback URL and a logout URL, added when missing. */
  appUrl?: string;
  /** Seconds (kindeAccessTokenLifetime); written every time, since Kinde offers no read of it. */
  accessTokenLifetime?: number;
}

export interface EnsureInput {
  audience: string;
  /** Display name of the API when it has to be created. */
  apiName: string;
  applications: KindeApplication[];
  frontEnd?: FrontEndSetup;
  log: (line: string) => void;
}

export interface EnsureResult {
  apiId: string;
  /** What was written, in order; empty when everything was in place. */
  changes: string[];
}

/** Points Kinde's SDK at the environment; it fetches and renews its own management token. */
export function connectKinde(credentials: KindeCredentials): void {
  kindeSdk.init({ kindeDomain: credentials.domain, clientId: credentials.clientId, clientSecret: credentials.clientSecret });
}

/** The management API scope each call needs (from the SDK's own docs of each endpoint). */
const SCOPES = {
  getApis: "read:apis",
  getApi: "read:apis",
  addApis: "create:apis",
  updateApiApplications: "update:apis",
  getApplication: "read:applications",
  getCallbackUrls: "read:applications_redirect_uris",
  addRedirectCallbackUrls: "create:applications_redirect_uris",
  getLogoutUrls: "read:application_logout_uris",
  addLogoutRedirectUrls: "create:application_logout_uris",
  updateApplicationTokens: "update:application_tokens",
} as const;

/** Every scope ensure may need, for the docs and the 403 message. */
export const MANAGEMENT_SCOPES = [...new Set(Object.values(SCOPES))];

async function call<T>(operation: keyof typeof SCOPES, what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof ApiError) {
      if (err.status === 403) {
        throw new KindeSetupError(
          `Kinde refused ${what} (HTTP 403): give the management application the ${SCOPES[operation]} scope ` +
            "(Kinde: Settings > APIs > Kinde Management API > Applications > your M2M application > Scopes).",
        );
      }
      if (err.status === 401) {
        throw new KindeSetupError(
          `Kinde rejected the management credentials while ${what} (HTTP 401): check kindeManagementClientId and kindeManagementClientSecret.`,
        );
      }
      throw new KindeSetupError(`Kinde answered HTTP ${err.status} while ${what}: ${JSON.stringify(err.body)}`);
    }
    throw new KindeSetupError(`Could not reach Kinde while ${what}: ${(err as Error).message}`);
  }
}

/**
 * Checks the management credentials with the client-credentials grant and hands the token to the SDK.
 * Without it the SDK sends "Bearer undefined" after a refused token request, and Kinde's 403 reads as
 * a missing scope.
 */
export async function authenticateKinde(credentials: KindeCredentials, tokenUrl = kindeTokenUrl(credentials.domain)): Promise<void> {
  const audience = `https://${credentials.domain}/api`;
  try {
    kindeSdk.setToken(
      await fetchClientCredentialsToken({ tokenUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret, audience }),
    );
  } catch (err) {
    if (!(err instanceof KindeTokenError)) throw err;
    throw new KindeSetupError(
      `Kinde rejected the management credentials: ${err.message.split(". Check")[0]}. Check kindeManagementClientId and kindeManagementClientSecret, ` +
        "and that the application is authorized for the Kinde Management API.",
    );
  }
}

/** Most pages the pager reads (100 pages of Kinde's default size): a loop guard. */
const MAX_API_PAGES = 100;

/**
 * APIs page by page until `found` holds for what was read. The SDK's getApis (0.18.0) takes no paging
 * parameter although the answer carries `next_token`, and Kinde's API spec does not list `next_token` as
 * a query parameter of GET /api/v1/apis: a server that ignores it answers page one again. So the pager
 * stops at the first page that holds what is sought, and treats a missing or repeated token, or a page
 * with nothing new, as the end of the list.
 */
async function listApis(found: (apis: KindeApiSummary[]) => boolean): Promise<KindeApiSummary[]> {
  const first = await call("getApis", "listing APIs", () => Apis.getApis());
  const apis = [...(first.apis ?? [])];
  const seen = new Set<string>();
  for (let next = first.next_token, page = 1; next && !seen.has(next) && page < MAX_API_PAGES && !found(apis); page += 1) {
    seen.add(next);
    const token = next;
    const body = await call("getApis", `listing APIs (page ${page + 1})`, async () => {
      const response = await fetch(`${kindeSdk.OpenAPI.BASE}/api/v1/apis?next_token=${encodeURIComponent(token)}`, {
        headers: { authorization: `Bearer ${await kindeSdk.getToken()}`, accept: "application/json" },
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      // An ApiError as the SDK raises it, so `call` reports the status the same way as for page one.
      if (!response.ok)
        throw Object.assign(Object.create(ApiError.prototype) as Error, { status: response.status, body: text.slice(0, 200), url: response.url });
      return JSON.parse(text) as { next_token?: string; apis?: KindeApiSummary[] };
    });
    const fresh = (body.apis ?? []).filter((a) => !apis.some((known) => known.id === a.id));
    if (fresh.length === 0) break;
    apis.push(...fresh);
    next = body.next_token;
  }
  return apis;
}

export async function ensureKinde(input: EnsureInput): Promise<EnsureResult> {
  const changes: string[] = [];

  // Reads first: nothing is written until every application is known to exist.
  const isHasuraApi = (a: KindeApiSummary) => a.audience === input.audience && !a.is_management_api;
  const apis = await listApis((list) => list.some(isHasuraApi));
  for (const app of input.applications) {
    try {
      await Applications.getApplication({ applicationId: app.clientId });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
        throw new KindeSetupError(
          `Kinde has no application with client id ${app.clientId}, the ${app.label}; copy the client id from Kinde (Settings > Applications).`,
        );
      }
      await call("getApplication", `reading application ${app.clientId}`, () => Promise.reject(err));
    }
  }

  let apiId = apis.find(isHasuraApi)?.id;
  const authorized = new Set<string>();
  if (apiId === undefined) {
    const created = await call("addApis", `creating the API for audience ${input.audience}`, () =>
      Apis.addApis({ requestBody: { name: input.apiName, audience: input.audience } }),
    );
    apiId = created.api?.id;
    if (!apiId) throw new KindeSetupError(`Kinde created the API for audience ${input.audience} but returned no id: ${JSON.stringify(created)}`);
    changes.push(`created API "${input.apiName}" with audience ${input.audience} (id ${apiId})`);
  } else {
    const id = apiId;
    const { api } = await call("getApi", `reading API ${id}`, () => Apis.getApi({ apiId: id }));
    for (const app of api?.applications ?? []) if (app.id && app.is_active) authorized.add(app.id);
    input.log(`API with audience ${input.audience} exists (id ${id}).`);
  }

  const missing = input.applications.filter((a) => !authorized.has(a.clientId));
  if (missing.length > 0) {
    const id = apiId;
    await call("updateApiApplications", `authorizing applications for API ${id}`, () =>
      Apis.updateApiApplications({ apiId: id, requestBody: { applications: missing.map((a) => ({ id: a.clientId })) } }),
    );
    for (const a of missing) changes.push(`authorized the ${a.label} ${a.clientId} for audience ${input.audience}`);
  }
  for (const a of input.applications.filter((x) => authorized.has(x.clientId))) input.log(`The ${a.label} ${a.clientId} is already authorized.`);
  if (input.frontEnd) changes.push(...(await ensureFrontEnd(input.frontEnd, input.log)));
  for (const c of changes) input.log(`Changed: ${c}.`);
  if (changes.length === 0) input.log("Kinde is already set up for this stack; nothing changed.");
  return { apiId, changes };
}

/** An application's two URL lists Kinde checks redirects against, read and added to alike. */
const URL_LISTS = [
  {
    kind: "callback",
    read: "getCallbackUrls",
    add: "addRedirectCallbackUrls",
    urls: async (appId: string) => (await Callbacks.getCallbackUrls({ appId })).redirect_urls,
    addUrl: (appId: string, url: string) => Callbacks.addRedirectCallbackUrls({ appId, requestBody: { urls: [url] } }),
  },
  {
    kind: "logout",
    read: "getLogoutUrls",
    add: "addLogoutRedirectUrls",
    urls: async (appId: string) => (await Callbacks.getLogoutUrls({ appId })).logout_urls,
    addUrl: (appId: string, url: string) => Callbacks.addLogoutRedirectUrls({ appId, requestBody: { urls: [url] } }),
  },
] as const;

/**
 * The example app's URL as a callback and a logout URL of the front-end application (added, never
 * replacing the team's own), and the access-token lifetime. Kinde compares redirect_uri exactly, and
 * Kinde's SPA SDK sends the origin without a trailing slash (js-utils sanitizeUrl), so that is the form
 * registered.
 */
async function ensureFrontEnd(app: FrontEndSetup, log: (line: string) => void): Promise<string[]> {
  const changes: string[] = [];
  const appId = app.clientId;
  if (app.appUrl) {
    const url = app.appUrl;
    for (const list of URL_LISTS) {
      const present = await call(list.read, `reading the ${list.kind} URLs of ${appId}`, () => list.urls(appId));
      if ((present ?? []).includes(url)) log(`${url} is already a ${list.kind} URL of ${appId}.`);
      else {
        await call(list.add, `adding a ${list.kind} URL to ${appId}`, () => list.addUrl(appId, url));
        changes.push(`added ${list.kind} URL ${url} to the front-end application ${appId}`);
      }
    }
  }
  if (app.accessTokenLifetime !== undefined) {
    const seconds = app.accessTokenLifetime;
    await call("updateApplicationTokens", `setting the access-token lifetime of ${appId}`, () =>
      Applications.updateApplicationTokens({ applicationId: appId, requestBody: { access_token_lifetime: seconds } }),
    );
    // Not a "change": Kinde has no read of the lifetime, so ensure cannot tell whether it was different.
    log(`Set the access-token lifetime of ${appId} to ${seconds} s (Kinde offers no read of it, so ensure writes it every time).`);
  }
  return changes;
}

// `npm run kinde -- ensure` through Kinde's own SDK against recorded Kinde management API responses
// (shapes from the SDK's types.gen.d.ts at 0.18.0), served from 127.0.0.1. No Kinde account involved.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authenticateKinde, connectKinde, ensureKinde, KindeSetupError } from "../../scripts/lib/kinde/ensure.js";
import { kindeSdk } from "../../scripts/lib/kinde/sdk.js";
import { type ReceivedRequest, type RecordedAnswer, type RecordedHasura, recordedHasura as recordedServer } from "../support/recorded-hasura.js";

const FRONTEND = { clientId: "spa_0123456789", label: "front-end application (kindeAppClientId)" };
const SMOKE = { clientId: "m2m_9876543210", label: "smoke test M2M application (kindeSmokeClientId)" };
const RECORDED_KINDE = {
  apisWithout: {
    code: "OK",
    message: "Success",
    next_token: "",
    apis: [{ id: "api_mgmt", name: "Kinde Management API", audience: "https://acme.kinde.com/api", is_management_api: true }],
  },
  apisWith: {
    code: "OK",
    message: "Success",
    apis: [
      { id: "api_mgmt", name: "Kinde Management API", audience: "https://acme.kinde.com/api", is_management_api: true },
      { id: "api_hasura", name: "Hasura (hasura)", audience: "hasura", is_management_api: false },
    ],
  },
  apiDetails: (active: string[]) => ({
    code: "OK",
    message: "success_response",
    api: {
      id: "api_hasura",
      name: "Hasura (hasura)",
      audience: "hasura",
      is_management_api: false,
      applications: [FRONTEND, SMOKE].map((a) => ({
        id: a.clientId,
        name: a.label,
        type: "Front-end and mobile",
        is_active: active.includes(a.clientId),
      })),
    },
  }),
  created: { message: "API successfully created", code: "API_CREATED", api: { id: "api_new" } },
  authorized: (ids: string[]) => ({
    message: "API applications updated",
    code: "API_APPLICATIONS_UPDATED",
    applications_connected: ids,
    applications_disconnected: [],
  }),
  application: (id: string) => ({ code: "OK", message: "success", application: { id, name: "app", type: "spa", client_id: id } }),
  callbacks: (urls: string[]) => ({ redirect_urls: urls }),
  logouts: (urls: string[]) => ({ logout_urls: urls, code: "OK", message: "Success" }),
  success: { code: "OK", message: "Success" },
  forbidden: { errors: [{ code: "FORBIDDEN", message: "You do not have permission to perform this action" }] },
  notFound: { errors: [{ code: "APPLICATION_INVALID", message: "Invalid application" }] },
};

let server: RecordedHasura | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An unsigned token with the management audience and a far expiry: the SDK uses it instead of fetching one. */
function managementToken(): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none" })}.${b64({ aud: ["https://acme.kinde.com/api"], exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}

async function kinde(answer: (req: ReceivedRequest) => RecordedAnswer): Promise<{ requests: () => string[]; bodies: () => unknown[] }> {
  server = await recordedServer(answer);
  connectKinde({ domain: "acme.kinde.com", clientId: "mgmt", clientSecret: "mgmt-secret" });
  kindeSdk.OpenAPI.BASE = server.url;
  kindeSdk.setToken(managementToken());
  const s = server;
  return {
    requests: () => s.received.map((r) => `${r.method} ${r.path}`),
    bodies: () => s.received.filter((r) => r.method !== "GET").map((r) => r.body),
  };
}

function route(table: Record<string, RecordedAnswer>): (req: ReceivedRequest) => RecordedAnswer {
  return (req) => {
    const key = `${req.method} ${req.path.split("?")[0]}`;
    if (key.startsWith("GET /api/v1/applications/") && key.split("/").length === 5)
      return table["GET /api/v1/applications/:id"] ?? { status: 200, body: RECORDED_KINDE.application(key.split("/").pop() as string) };
    return table[key] ?? { status: 500, body: { errors: [{ message: `no recorded answer for ${key}` }] } };
  };
}

const log: string[] = [];
beforeEach(() => {
  log.length = 0;
});
const input = (applications = [FRONTEND, SMOKE]) => ({
  audience: "hasura",
  apiName: "Hasura (hasura)",
  applications,
  log: (l: string) => log.push(l),
});

describe("kinde ensure (responses shaped as Kinde's management API spec documents them, not recorded from a live Kinde)", () => {
  it("creates the API and authorizes both applications when the API is missing", async () => {
    const k = await kinde(
      route({
        "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWithout },
        "POST /api/v1/apis": { status: 200, body: RECORDED_KINDE.created },
        "PATCH /api/v1/apis/api_new/applications": { status: 200, body: RECORDED_KINDE.authorized([FRONTEND.clientId, SMOKE.clientId]) },
      }),
    );
    const result = await ensureKinde(input());
    expect(k.requests()).toEqual([
      "GET /api/v1/apis",
      `GET /api/v1/applications/${FRONTEND.clientId}`,
      `GET /api/v1/applications/${SMOKE.clientId}`,
      "POST /api/v1/apis",
      "PATCH /api/v1/apis/api_new/applications",
    ]);
    expect(k.bodies()).toEqual([
      { name: "Hasura (hasura)", audience: "hasura" },
      { applications: [{ id: FRONTEND.clientId }, { id: SMOKE.clientId }] },
    ]);
    expect(result).toEqual({
      apiId: "api_new",
      changes: [
        'created API "Hasura (hasura)" with audience hasura (id api_new)',
        `authorized the front-end application (kindeAppClientId) ${FRONTEND.clientId} for audience hasura`,
        `authorized the smoke test M2M application (kindeSmokeClientId) ${SMOKE.clientId} for audience hasura`,
      ],
    });
  });

  it("authorizes only the application that is not yet authorized when the API exists", async () => {
    const k = await kinde(
      route({
        "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWith },
        "GET /api/v1/apis/api_hasura": { status: 200, body: RECORDED_KINDE.apiDetails([FRONTEND.clientId]) },
        "PATCH /api/v1/apis/api_hasura/applications": { status: 200, body: RECORDED_KINDE.authorized([SMOKE.clientId]) },
      }),
    );
    const result = await ensureKinde(input());
    expect(k.requests().filter((r) => !r.startsWith("GET"))).toEqual(["PATCH /api/v1/apis/api_hasura/applications"]);
    expect(k.bodies()).toEqual([{ applications: [{ id: SMOKE.clientId }] }]);
    expect(result.changes).toEqual([`authorized the smoke test M2M application (kindeSmokeClientId) ${SMOKE.clientId} for audience hasura`]);
    expect(log).toContain(`The front-end application (kindeAppClientId) ${FRONTEND.clientId} is already authorized.`);
  });

  it("writes nothing when everything is in place, and says so", async () => {
    const k = await kinde(
      route({
        "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWith },
        "GET /api/v1/apis/api_hasura": { status: 200, body: RECORDED_KINDE.apiDetails([FRONTEND.clientId, SMOKE.clientId]) },
      }),
    );
    const result = await ensureKinde(input());
    expect(k.requests().every((r) => r.startsWith("GET "))).toBe(true);
    expect(result).toEqual({ apiId: "api_hasura", changes: [] });
    expect(log.at(-1)).toBe("Kinde is already set up for this stack; nothing changed.");
  });

  it("names the missing scope on a 403, before writing anything", async () => {
    const k = await kinde(
      route({
        "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWithout },
        "POST /api/v1/apis": { status: 403, body: RECORDED_KINDE.forbidden },
      }),
    );
    await expect(ensureKinde(input())).rejects.toThrow(
      "Kinde refused creating the API for audience hasura (HTTP 403): give the management application the create:apis scope " +
        "(Kinde: Settings > APIs > Kinde Management API > Applications > your M2M application > Scopes).",
    );
    expect(k.requests().at(-1)).toBe("POST /api/v1/apis");
  });

  it("says an unknown client id is unknown, and creates nothing", async () => {
    const k = await kinde(
      route({
        "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWithout },
        "GET /api/v1/applications/:id": { status: 404, body: RECORDED_KINDE.notFound },
      }),
    );
    const attempt = ensureKinde(input([FRONTEND]));
    await expect(attempt).rejects.toBeInstanceOf(KindeSetupError);
    await expect(ensureKinde(input([FRONTEND]))).rejects.toThrow(
      `Kinde has no application with client id ${FRONTEND.clientId}, the front-end application (kindeAppClientId); copy the client id from Kinde (Settings > Applications).`,
    );
    expect(k.requests().some((r) => r.startsWith("POST") || r.startsWith("PATCH"))).toBe(false);
  });

  it("never deletes or de-authorizes: no DELETE and no delete operation is ever sent", async () => {
    const k = await kinde(
      route({
        "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWith },
        "GET /api/v1/apis/api_hasura": { status: 200, body: RECORDED_KINDE.apiDetails([]) },
        "PATCH /api/v1/apis/api_hasura/applications": { status: 200, body: RECORDED_KINDE.authorized([FRONTEND.clientId]) },
      }),
    );
    await ensureKinde(input([FRONTEND]));
    expect(k.requests().some((r) => r.startsWith("DELETE"))).toBe(false);
    expect(JSON.stringify(k.bodies())).not.toContain("delete");
  });
});

describe("kinde ensure across pages and with bad credentials (answers shaped as Kinde's API spec and OAuth docs, not recorded)", () => {
  it("pages through the API list by next_token and finds the Hasura API on a later page instead of creating a second one", async () => {
    const { requests } = await kinde((req) => {
      if (req.method === "GET" && req.path === "/api/v1/apis") return { status: 200, body: { ...RECORDED_KINDE.apisWithout, next_token: "page-2" } };
      if (req.method === "GET" && req.path === "/api/v1/apis?next_token=page-2")
        return { status: 200, body: { code: "OK", message: "Success", next_token: "", apis: [RECORDED_KINDE.apisWith.apis[1]] } };
      if (req.method === "GET" && req.path === "/api/v1/apis/api_hasura")
        return { status: 200, body: RECORDED_KINDE.apiDetails([FRONTEND.clientId, SMOKE.clientId]) };
      if (req.path.startsWith("/api/v1/applications/")) return { status: 200, body: RECORDED_KINDE.application(req.path.split("/").pop() as string) };
      return { status: 500, body: { errors: [{ message: `unexpected ${req.method} ${req.path}` }] } };
    });
    const result = await ensureKinde(input());
    expect(result).toEqual({ apiId: "api_hasura", changes: [] });
    expect(requests().filter((r) => !r.startsWith("GET /api/v1/applications/"))).toEqual([
      "GET /api/v1/apis",
      "GET /api/v1/apis?next_token=page-2",
      "GET /api/v1/apis/api_hasura",
    ]);
  });

  it("stops at the first page that holds the Hasura API, whatever next_token says", async () => {
    const { requests } = await kinde((req) => {
      if (req.method === "GET" && req.path === "/api/v1/apis") return { status: 200, body: { ...RECORDED_KINDE.apisWith, next_token: "page-2" } };
      if (req.method === "GET" && req.path === "/api/v1/apis/api_hasura")
        return { status: 200, body: RECORDED_KINDE.apiDetails([FRONTEND.clientId, SMOKE.clientId]) };
      if (req.path.startsWith("/api/v1/applications/")) return { status: 200, body: RECORDED_KINDE.application(req.path.split("/").pop() as string) };
      return { status: 500, body: { errors: [{ message: `unexpected ${req.method} ${req.path}` }] } };
    });
    expect(await ensureKinde(input())).toEqual({ apiId: "api_hasura", changes: [] });
    expect(requests().filter((r) => r.startsWith("GET /api/v1/apis?"))).toEqual([]);
  });

  it("treats a server that ignores next_token (page two repeats page one) as the end of the list, not an error", async () => {
    // Kinde's spec lists no next_token parameter for GET /api/v1/apis (kinde-oss management API spec).
    const { requests } = await kinde((req) => {
      if (req.method === "GET" && req.path.startsWith("/api/v1/apis?"))
        return { status: 200, body: { ...RECORDED_KINDE.apisWithout, next_token: "same" } };
      if (req.method === "GET" && req.path === "/api/v1/apis") return { status: 200, body: { ...RECORDED_KINDE.apisWithout, next_token: "same" } };
      if (req.method === "POST" && req.path === "/api/v1/apis")
        return { status: 200, body: { code: "OK", message: "Success", api: { id: "api_new" } } };
      if (req.method === "PATCH" && req.path === "/api/v1/apis/api_new/applications")
        return { status: 200, body: { code: "OK", message: "Success" } };
      if (req.path.startsWith("/api/v1/applications/")) return { status: 200, body: RECORDED_KINDE.application(req.path.split("/").pop() as string) };
      return { status: 500, body: { errors: [{ message: `unexpected ${req.method} ${req.path}` }] } };
    });
    const result = await ensureKinde(input());
    expect(result.apiId).toBe("api_new");
    expect(requests().filter((r) => r.startsWith("GET /api/v1/apis"))).toEqual(["GET /api/v1/apis", "GET /api/v1/apis?next_token=same"]);
  });

  it("reports refused management credentials as such, not as a missing scope", async () => {
    server = await recordedServer(() => ({ status: 401, body: { error: "invalid_client", error_description: "Client authentication failed" } }));
    const attempt = authenticateKinde(
      { domain: "acme.kinde.com", clientId: "mgmt", clientSecret: "wrong-secret-value" },
      `${server.url}/oauth2/token`,
    );
    await expect(attempt).rejects.toThrow(KindeSetupError);
    await attempt.catch((err: Error) => {
      expect(err.message).toMatch(
        /^Kinde rejected the management credentials: .*HTTP 401: invalid_client: Client authentication failed.*Check kindeManagementClientId and kindeManagementClientSecret/,
      );
      expect(err.message).not.toContain("scope");
      expect(err.message).not.toContain("wrong-secret-value");
    });
  });
});

describe("kinde ensure for the front-end application: callback and logout URLs, token lifetime (answers shaped as the SDK's types.gen.d.ts, not recorded)", () => {
  const inPlace = {
    "GET /api/v1/apis": { status: 200, body: RECORDED_KINDE.apisWith },
    "GET /api/v1/apis/api_hasura": { status: 200, body: RECORDED_KINDE.apiDetails([FRONTEND.clientId]) },
  };
  const appUrl = "http://127.0.0.1:3000";

  it("adds the app URL as a callback and a logout URL when missing, keeping the team's own", async () => {
    const k = await kinde(
      route({
        ...inPlace,
        [`GET /api/v1/applications/${FRONTEND.clientId}/auth_redirect_urls`]: {
          status: 200,
          body: RECORDED_KINDE.callbacks(["https://app.example.com"]),
        },
        [`POST /api/v1/applications/${FRONTEND.clientId}/auth_redirect_urls`]: { status: 200, body: RECORDED_KINDE.success },
        [`GET /api/v1/applications/${FRONTEND.clientId}/auth_logout_urls`]: { status: 200, body: RECORDED_KINDE.logouts([]) },
        [`POST /api/v1/applications/${FRONTEND.clientId}/auth_logout_urls`]: { status: 200, body: RECORDED_KINDE.success },
      }),
    );
    const result = await ensureKinde({ ...input([FRONTEND]), frontEnd: { clientId: FRONTEND.clientId, appUrl } });
    expect(k.requests().filter((r) => !r.startsWith("GET"))).toEqual([
      `POST /api/v1/applications/${FRONTEND.clientId}/auth_redirect_urls`,
      `POST /api/v1/applications/${FRONTEND.clientId}/auth_logout_urls`,
    ]);
    // Added, not replaced: the body holds the one new URL, and the PUT (replace) endpoints are never called.
    expect(k.bodies()).toEqual([{ urls: [appUrl] }, { urls: [appUrl] }]);
    expect(result.changes).toEqual([
      `added callback URL ${appUrl} to the front-end application ${FRONTEND.clientId}`,
      `added logout URL ${appUrl} to the front-end application ${FRONTEND.clientId}`,
    ]);
  });

  it("writes no URL that is already there, and sets the lifetime it was given", async () => {
    const k = await kinde(
      route({
        ...inPlace,
        [`GET /api/v1/applications/${FRONTEND.clientId}/auth_redirect_urls`]: { status: 200, body: RECORDED_KINDE.callbacks([appUrl]) },
        [`GET /api/v1/applications/${FRONTEND.clientId}/auth_logout_urls`]: { status: 200, body: RECORDED_KINDE.logouts([appUrl]) },
        [`PATCH /api/v1/applications/${FRONTEND.clientId}/tokens`]: { status: 200, body: RECORDED_KINDE.success },
      }),
    );
    const result = await ensureKinde({ ...input([FRONTEND]), frontEnd: { clientId: FRONTEND.clientId, appUrl, accessTokenLifetime: 900 } });
    expect(k.requests().filter((r) => !r.startsWith("GET"))).toEqual([`PATCH /api/v1/applications/${FRONTEND.clientId}/tokens`]);
    // Only the lifetime: is_hasura_mapping_enabled and the other lifetimes are left as the team set them.
    expect(k.bodies()).toEqual([{ access_token_lifetime: 900 }]);
    expect(result.changes).toEqual([]);
    expect(log).toContain(`${appUrl} is already a callback URL of ${FRONTEND.clientId}.`);
    expect(log).toContain(
      `Set the access-token lifetime of ${FRONTEND.clientId} to 900 s (Kinde offers no read of it, so ensure writes it every time).`,
    );
  });

  it("names the scope Kinde refused for the callback URLs", async () => {
    await kinde(
      route({
        ...inPlace,
        [`GET /api/v1/applications/${FRONTEND.clientId}/auth_redirect_urls`]: { status: 403, body: RECORDED_KINDE.forbidden },
      }),
    );
    await expect(ensureKinde({ ...input([FRONTEND]), frontEnd: { clientId: FRONTEND.clientId, appUrl } })).rejects.toThrow(
      `Kinde refused reading the callback URLs of ${FRONTEND.clientId} (HTTP 403): give the management application the read:applications_redirect_uris scope`,
    );
  });
});

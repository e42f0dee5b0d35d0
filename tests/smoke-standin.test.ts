// The smoke test end to end against a STAND-IN for Hasura: a 127.0.0.1 server that answers with the
// recorded response shapes (tests/support/recorded-hasura.ts) following Hasura's documented rules —
// JWT verified against the stack's key with issuer and audience, roles from the claims, the `user`
// role limited to its own row, GraphQL errors with HTTP 200. It proves the smoke's checks, bookkeeping
// and cleanup agree with those documented answers; it proves nothing about Hasura itself.
import { importSPKI, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { runSmoke, summarize } from "../scripts/lib/smoke.js";
import { signingKeyFromPem } from "../scripts/lib/tokens.js";
import { rsaKeyPair } from "./support/fixtures.js";
import { RECORDED, recordedHasura, type ReceivedRequest, type RecordedAnswer, type RecordedHasura } from "./support/recorded-hasura.js";

const ADMIN_SECRET = "standin-admin-secret-0123456789abcdef";
const NS = "https://hasura.io/jwt/claims";
const policy = { issuer: "urn:kinde-hasura:dev:local-signer", audience: "hasura", claims: "namespace" as const };
const keys = rsaKeyPair();
let server: RecordedHasura | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type Session = { role: "admin" } | { role: "user"; userId: string };
const ok = (data: unknown): RecordedAnswer => ({ status: 200, body: { data } });

/** Hasura's documented answers, for the few operations the smoke test sends. */
function standIn(rows: Map<string, { id: string; name: string | null }>, options: { brokenSelect?: boolean } = {}) {
  const publicKey = importSPKI(keys.publicKeyPem, "RS256");
  const session = async (req: ReceivedRequest): Promise<Session | RecordedAnswer> => {
    const h = req.headers;
    if (h["x-hasura-admin-secret"] === ADMIN_SECRET) {
      return h["x-hasura-role"] === "user" ? { role: "user", userId: String(h["x-hasura-user-id"]) } : { role: "admin" };
    }
    const auth = String(h.authorization ?? "");
    if (!auth) return { status: 200, body: RECORDED.missingAuthorization };
    try {
      const { payload } = await jwtVerify(auth.replace(/^Bearer /, ""), await publicKey, { issuer: policy.issuer, audience: policy.audience, algorithms: ["RS256"] });
      const claims = payload[NS] as { "x-hasura-user-id": string; "x-hasura-allowed-roles": string[] };
      const role = String(h["x-hasura-role"] ?? "user");
      if (!claims["x-hasura-allowed-roles"].includes(role)) return { status: 200, body: RECORDED.roleNotAllowed };
      return { role: "user", userId: claims["x-hasura-user-id"] };
    } catch {
      return { status: 200, body: RECORDED.jwtExpired };
    }
  };
  return async (req: ReceivedRequest): Promise<RecordedAnswer> => {
    if (req.path === "/healthz") return { status: 200, body: "OK" };
    const s = await session(req);
    if (!("role" in s)) return s;
    const { query, variables: v } = req.body as { query: string; variables: Record<string, unknown> };
    // brokenSelect: a wrong permission that lets `user` reach every row.
    const visible = (id: string) => s.role === "admin" || options.brokenSelect === true || id === s.userId;
    if (query.includes("insert_users(")) {
      for (const o of v.objects as Array<{ id: string; name: string }>) rows.set(o.id, { id: o.id, name: o.name });
      return ok({ insert_users: { affected_rows: (v.objects as unknown[]).length } });
    }
    if (query.includes("delete_users(")) {
      const ids = v.ids as string[];
      ids.forEach((id) => rows.delete(id));
      return ok({ delete_users: { affected_rows: ids.length } });
    }
    if (query.includes("insert_users_one")) {
      if (s.role === "user" && "id" in v) return { status: 200, body: { errors: [{ message: "field 'id' not found in type: 'users_insert_input'", extensions: { path: "$.selectionSet.insert_users_one.args.object.id", code: "validation-failed" } }] } };
      const id = s.role === "user" ? s.userId : String(v.id);
      rows.set(id, { id, name: String(v.name) });
      return ok({ insert_users_one: { id } });
    }
    if (query.includes("update_users")) {
      const row = rows.get(String(v.id));
      if (!row || !visible(row.id)) return ok({ update_users: { affected_rows: 0 } });
      row.name = (v.name as string | null) ?? null;
      return ok({ update_users: { affected_rows: 1 } });
    }
    if (query.includes("users_by_pk")) {
      const row = rows.get(String(v.id));
      return ok({ users_by_pk: row && visible(row.id) ? row : null });
    }
    return ok({ users: [...rows.values()].filter((r) => visible(r.id)).map((r) => ({ id: r.id })).sort((a, b) => a.id.localeCompare(b.id)) });
  };
}

async function smoke(rows: Map<string, { id: string; name: string | null }>, options: { brokenSelect?: boolean } = {}) {
  server = await recordedHasura(standIn(rows, options));
  return runSmoke({
    endpoint: server.url,
    adminSecret: ADMIN_SECRET,
    policy,
    mode: "local",
    signingKey: await signingKeyFromPem(keys.privateKeyPem),
    publicKeyPem: keys.publicKeyPem,
    userCanInsert: true,
    healthTimeoutMs: 5000,
    log: () => {},
  });
}

describe("the smoke test against a stand-in that answers as Hasura's docs say (recorded shapes)", () => {
  it("passes every check and leaves no smoke user behind", async () => {
    const rows = new Map([["kp_real", { id: "kp_real", name: "someone else's data" }]]);
    const report = await smoke(rows);
    const { ok: passed, lines } = summarize(report);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual([
      "user reads its own row",
      "user updates its own name",
      "new user inserts its own row (id from the session)",
      "list returns only the caller's row",
      "users_by_pk of another user is null",
      "updating another user's row changes nothing",
      "insert cannot choose the id",
      "no Authorization header",
      "expired token",
      "token signed by another key",
      "wrong issuer",
      "wrong audience",
      "alg none",
      "HS256 signed with the public key",
      "user token asking for X-Hasura-Role: admin",
      "X-Hasura-User-Id header cannot impersonate",
    ]);
    expect(passed).toBe(true);
    expect(lines[0]).toBe("16 passed, 0 failed (allowed checks used signed dev tokens)");
    expect([...rows.keys()]).toEqual(["kp_real"]);
  });

  it("fails the deploy when the user role can see every row, naming the checks that caught it", async () => {
    const report = await smoke(new Map(), { brokenSelect: true });
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual([
      "list returns only the caller's row",
      "users_by_pk of another user is null",
      "updating another user's row changes nothing",
      "X-Hasura-User-Id header cannot impersonate",
    ]);
    expect(summarize(report).ok).toBe(false);
  });
});

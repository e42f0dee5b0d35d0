// The smoke test: against a running stack, prove who can read and write what. Two users are seeded
// with unique ids through the admin secret and removed at the end, also when a check fails.
import { randomBytes } from "node:crypto";
import { decodeJwt } from "jose";
import { HASURA_CLAIMS_NAMESPACE, USER_ROLE } from "../../../core/jwt-policy.js";
import { describeFetchError } from "../http/fetch-error.js";
import { type Answer, type GraphqlResponse, graphql, HeaderValueError } from "../http/graphql.js";
import { hmacWithPublicKey, type SigningKey, signUserToken, strangerKey, type TokenPolicy, unsignedToken } from "./tokens.js";

export interface SmokeTarget {
  /** Hasura base URL, e.g. http://127.0.0.1:8080 */
  endpoint: string;
  adminSecret: string;
  policy: TokenPolicy;
  /** `local`: the stack trusts `signingKey`. `kinde`: it trusts Kinde's JWKS, which we cannot sign for. */
  mode: "local" | "kinde";
  /** Local mode: the stack's dev signing key. */
  signingKey?: SigningKey;
  /** Local mode: the public PEM Hasura trusts (for the HS256 confusion check). */
  publicKeyPem?: string;
  /** Kinde mode: a real Kinde access token for the allowed checks. */
  realToken?: string;
  /** Whether metadata lets `user` insert its own row. */
  userCanInsert: boolean;
  /** How long to wait for /healthz. */
  healthTimeoutMs: number;
  requestTimeoutMs?: number;
  log: (line: string) => void;
}

export interface CheckResult {
  name: string;
  expected: string;
  got: string;
  ms: number;
  ok: boolean;
  /** The response body, secrets masked, for a failed check. */
  body?: string;
}

export type SmokePath = "signed dev tokens" | "a real Kinde token" | "the admin secret acting as role user";

export interface SmokeReport {
  path: SmokePath;
  checks: CheckResult[];
}

export class SmokeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SmokeError";
  }
}

/** Polls /healthz until it answers 200 or the deadline passes; the error names the URL and the last answer. */
export async function waitForHealthy(endpoint: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const url = `${endpoint.replace(/\/+$/, "")}/healthz`;
  const started = Date.now();
  let last = "no answer yet";
  while (Date.now() - started < timeoutMs) {
    try {
      const remaining = Math.max(1, timeoutMs - (Date.now() - started));
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(5_000, remaining)) });
      const text = (await response.text()).trim();
      // Hasura's own answers (server/src-lib/Hasura/Server/App.hs healthz): "OK", or with inconsistent
      // metadata "WARN: inconsistent objects in schema". Any other 200 is not Hasura.
      if (response.status === 200 && (text === "OK" || text === "WARN: inconsistent objects in schema")) {
        log(`Hasura at ${url} is healthy (${text}) after ${Date.now() - started} ms`);
        return;
      }
      last = `HTTP ${response.status} ${text.slice(0, 100)}`;
    } catch (err) {
      last = describeFetchError(err);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, timeoutMs - (Date.now() - started)))));
  }
  throw new SmokeError(`Hasura at ${url} did not answer as Hasura does (200 "OK") within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
}

const Q = {
  byPk: "query ($id: String!) { users_by_pk(id: $id) { id name } }",
  list: "query { users(order_by: {id: asc}) { id } }",
  rename: "mutation ($id: String!, $name: String) { update_users(where: {id: {_eq: $id}}, _set: {name: $name}) { affected_rows } }",
  insertOwn: "mutation ($name: String!) { insert_users_one(object: {name: $name}) { id } }",
  insertAs: "mutation ($id: String!, $name: String!) { insert_users_one(object: {id: $id, name: $name}) { id } }",
  seed: "mutation ($objects: [users_insert_input!]!) { insert_users(objects: $objects) { affected_rows } }",
  remove: "mutation ($ids: [String!]!) { delete_users(where: {id: {_in: $ids}}) { affected_rows } }",
};

function describe(answer: Answer): string {
  if (answer.kind === "error") return `error ${answer.code}: ${answer.message}`;
  if (answer.kind === "unreadable") return `HTTP ${answer.status}: ${answer.text.slice(0, 120)}`;
  return JSON.stringify(answer.data);
}

/** The user id a real Kinde token speaks for: the Hasura claim if present, else `sub`. */
export function userIdOfToken(token: string): string {
  const claims = decodeJwt(token) as Record<string, unknown>;
  const hasura = claims[HASURA_CLAIMS_NAMESPACE] as Record<string, unknown> | undefined;
  const id = hasura?.["x-hasura-user-id"] ?? claims.sub;
  if (typeof id !== "string" || id === "")
    throw new SmokeError("SMOKE_TOKEN has neither x-hasura-user-id under https://hasura.io/jwt/claims nor sub");
  return id;
}

export async function runSmoke(t: SmokeTarget): Promise<SmokeReport> {
  await waitForHealthy(t.endpoint, t.healthTimeoutMs, t.log);
  const timeout = t.requestTimeoutMs ?? 10_000;
  const admin = { "x-hasura-admin-secret": t.adminSecret };
  const secrets = [t.adminSecret, ...(t.realToken ? [t.realToken] : [])];
  const mask = (text: string) => secrets.reduce((s, secret) => s.split(secret).join("***"), text.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "<jwt>"));

  const path: SmokePath = t.mode === "local" ? "signed dev tokens" : t.realToken ? "a real Kinde token" : "the admin secret acting as role user";
  if (t.mode === "local" && !t.signingKey) throw new SmokeError("Local signing mode needs the stack's dev signing key (DEV_SIGNING_KEY)");
  t.log(`Allowed checks use ${path}.`);

  const run = randomBytes(4).toString("hex");
  const own = t.realToken ? userIdOfToken(t.realToken) : `smoke-${run}-a`;
  const other = `smoke-${run}-b`;
  const newcomer = `smoke-${run}-c`;
  const stranger = await strangerKey();

  // Headers that make Hasura treat a request as `userId` with role user.
  const asUser = async (userId: string): Promise<Record<string, string>> => {
    if (t.mode === "local") return { authorization: `Bearer ${await signUserToken(t.policy, t.signingKey as SigningKey, userId)}` };
    if (t.realToken) return { authorization: `Bearer ${t.realToken}` };
    return { ...admin, "x-hasura-role": USER_ROLE, "x-hasura-user-id": userId };
  };
  // Tokens for the denial checks: the stack's own key where we have it, else one Hasura does not know.
  const denialKey = t.signingKey ?? stranger;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  // Every request is bounded and a failure names the URL and the step; never an uncaught TimeoutError.
  let step = "seeding the smoke users";
  const call = async (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
    try {
      return await graphql(t.endpoint, { query, variables, headers }, timeout);
    } catch (err) {
      if (err instanceof HeaderValueError) throw err;
      const reason = describeFetchError(err, timeout);
      throw new SmokeError(`${step}: POST ${t.endpoint.replace(/\/+$/, "")}/v1/graphql failed: ${mask(reason)}`);
    }
  };
  /** The row as the admin sees it: null when there is none, undefined when the read failed. */
  const adminRow = async (id: string): Promise<{ name: string | null } | null | undefined> => {
    const r = await call(Q.byPk, { id }, admin);
    return r.answer.kind === "data" ? (r.answer.data.users_by_pk as { name: string | null } | null) : undefined;
  };
  const adminName = async (id: string) => (await adminRow(id))?.name;

  const checks: CheckResult[] = [];
  const check = (name: string, expected: string, response: GraphqlResponse, got: string, ok: boolean) => {
    step = `after "${name}"`;
    const result: CheckResult = { name, expected, got, ms: response.ms, ok, ...(ok ? {} : { body: mask(response.text) }) };
    checks.push(result);
    t.log(`${ok ? "PASS" : "FAIL"}  ${name}: expected ${expected}, got ${got} (${response.ms} ms)`);
  };
  const expectCode = async (name: string, code: string, headers: Record<string, string>) => {
    step = `check "${name}"`;
    const r = await call(Q.list, {}, headers);
    check(name, `error ${code}`, r, describe(r.answer), r.answer.kind === "error" && r.answer.code === code);
  };

  // Seed: our two users (the real token's user only if it has no row yet).
  const created: string[] = [];
  // A real token's user may already have a row: then it is used, renamed back at the end, not removed.
  const ownExisting = t.realToken ? await adminRow(own) : null;
  const seedRows = [...(ownExisting ? [] : [{ id: own, name: "smoke own" }]), { id: other, name: "smoke other" }];
  const seeded = await call(Q.seed, { objects: seedRows }, admin);
  if (seeded.answer.kind !== "data") {
    throw new SmokeError(`Seeding the smoke users through the admin secret failed: ${mask(describe(seeded.answer))}`);
  }
  created.push(...seedRows.map((r) => r.id));
  step = "the first check";

  try {
    const ownHeaders = await asUser(own);

    // Allowed.
    let r = await call(Q.byPk, { id: own }, ownHeaders);
    const readId = r.answer.kind === "data" ? (r.answer.data.users_by_pk as { id?: string } | null)?.id : undefined;
    check("user reads its own row", `row ${own}`, r, readId ? `row ${readId}` : describe(r.answer), readId === own);

    const newName = `renamed ${run}`;
    r = await call(Q.rename, { id: own, name: newName }, ownHeaders);
    const renamed = r.answer.kind === "data" ? (r.answer.data.update_users as { affected_rows?: number } | null)?.affected_rows : undefined;
    const storedName = await adminName(own);
    check(
      "user updates its own name",
      `affected_rows 1, name "${newName}"`,
      r,
      `affected_rows ${renamed ?? describe(r.answer)}, name ${JSON.stringify(storedName)}`,
      renamed === 1 && storedName === newName,
    );

    if (t.userCanInsert && !t.realToken) {
      r = await call(Q.insertOwn, { name: "smoke newcomer" }, await asUser(newcomer));
      const insertedId = r.answer.kind === "data" ? (r.answer.data.insert_users_one as { id?: string } | null)?.id : undefined;
      if (insertedId) created.push(insertedId);
      check(
        "new user inserts its own row (id from the session)",
        `row ${newcomer}`,
        r,
        insertedId ? `row ${insertedId}` : describe(r.answer),
        insertedId === newcomer,
      );
    }

    // Denied.
    r = await call(Q.list, {}, ownHeaders);
    const listed = r.answer.kind === "data" ? (r.answer.data.users as Array<{ id: string }>).map((u) => u.id) : undefined;
    check(
      "list returns only the caller's row",
      JSON.stringify([own]),
      r,
      listed ? JSON.stringify(listed) : describe(r.answer),
      JSON.stringify(listed) === JSON.stringify([own]),
    );

    r = await call(Q.byPk, { id: other }, ownHeaders);
    const otherRow = r.answer.kind === "data" ? r.answer.data.users_by_pk : "n/a";
    check(
      "users_by_pk of another user is null",
      "null",
      r,
      r.answer.kind === "data" ? JSON.stringify(otherRow) : describe(r.answer),
      r.answer.kind === "data" && otherRow === null,
    );

    r = await call(Q.rename, { id: other, name: "hijacked" }, ownHeaders);
    const hijacked = r.answer.kind === "data" ? (r.answer.data.update_users as { affected_rows?: number } | null)?.affected_rows : undefined;
    const otherName = await adminName(other);
    check(
      "updating another user's row changes nothing",
      'affected_rows 0, name "smoke other"',
      r,
      `affected_rows ${hijacked ?? describe(r.answer)}, name ${JSON.stringify(otherName)}`,
      hijacked === 0 && otherName === "smoke other",
    );

    if (t.userCanInsert) {
      r = await call(Q.insertAs, { id: `${other}-forged`, name: "forged" }, ownHeaders);
      if (r.answer.kind === "data") created.push(`${other}-forged`);
      check(
        "insert cannot choose the id",
        "error validation-failed",
        r,
        describe(r.answer),
        r.answer.kind === "error" && r.answer.code === "validation-failed",
      );
    }

    await expectCode("no Authorization header", "invalid-headers", {});
    await expectCode(
      "expired token",
      "invalid-jwt",
      bearer(await signUserToken(t.policy, denialKey, own, { issuedAt: nowSeconds() - 3600, expiresAt: nowSeconds() - 1800 })),
    );
    await expectCode("token signed by another key", "invalid-jwt", bearer(await signUserToken(t.policy, stranger, own)));
    await expectCode("wrong issuer", "invalid-jwt", bearer(await signUserToken(t.policy, denialKey, own, { issuer: `${t.policy.issuer}.evil` })));
    await expectCode("wrong audience", "invalid-jwt", bearer(await signUserToken(t.policy, denialKey, own, { audience: ["not-hasura"] })));
    await expectCode("alg none", "invalid-jwt", bearer(unsignedToken(t.policy, own)));
    const publicPem = t.publicKeyPem ?? stranger.publicKey.export({ type: "spki", format: "pem" }).toString();
    await expectCode("HS256 signed with the public key", "invalid-jwt", bearer(await hmacWithPublicKey(t.policy, publicPem, own)));

    // Role escalation and impersonation need a token Hasura accepts: the dev key or a real Kinde token.
    const trustedToken = t.mode === "local" ? await signUserToken(t.policy, t.signingKey as SigningKey, own) : t.realToken;
    if (trustedToken) {
      await expectCode("user token asking for X-Hasura-Role: admin", "access-denied", { ...bearer(trustedToken), "x-hasura-role": "admin" });
      r = await call(Q.list, {}, { ...bearer(trustedToken), "x-hasura-user-id": other });
      const seen = r.answer.kind === "data" ? (r.answer.data.users as Array<{ id: string }>).map((u) => u.id) : undefined;
      check(
        "X-Hasura-User-Id header cannot impersonate",
        JSON.stringify([own]),
        r,
        seen ? JSON.stringify(seen) : describe(r.answer),
        JSON.stringify(seen) === JSON.stringify([own]),
      );
    } else {
      await expectCode("untrusted token asking for X-Hasura-Role: admin", "invalid-jwt", {
        ...bearer(await signUserToken(t.policy, stranger, own)),
        "x-hasura-role": "admin",
      });
    }
  } finally {
    // A cleanup failure is reported, never thrown: it must not hide the error that stopped the checks.
    step = "removing the smoke users";
    try {
      const removal = await call(Q.remove, { ids: created }, admin);
      if (removal.answer.kind !== "data") t.log(`WARNING: could not remove the smoke users ${created.join(", ")}: ${mask(describe(removal.answer))}`);
      if (ownExisting) await call(Q.rename, { id: own, name: ownExisting.name }, admin);
    } catch (err) {
      t.log(`WARNING: could not remove the smoke users ${created.join(", ")} (remove them by id): ${(err as Error).message}`);
    }
  }
  return { path, checks };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The closing lines: which path was taken, and each failed check with its (masked) body. */
export function summarize(report: SmokeReport): { ok: boolean; lines: string[] } {
  const failed = report.checks.filter((c) => !c.ok);
  const lines = [`${report.checks.length - failed.length} passed, ${failed.length} failed (allowed checks used ${report.path})`];
  for (const f of failed) lines.push(`FAILED ${f.name}: expected ${f.expected}, got ${f.got}\n  response: ${f.body}`);
  return { ok: failed.length === 0, lines };
}

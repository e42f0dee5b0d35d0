// The smoke's checks, in the order they run: what a user may do (read and rename its own row, insert
// it where metadata allows), then what it must never do or be let in with. Each check names itself,
// says what it expects, and judges one answer.
import type { GraphqlResponse } from "../net/graphql.js";
import { bearer, describe, Q, type SmokeSession } from "./session.js";
import { hmacWithPublicKey, signUserToken, unsignedToken } from "./tokens.js";

export interface CheckOutcome {
  expected: string;
  response: GraphqlResponse;
  got: string;
  ok: boolean;
}

export interface SmokeCheck {
  name: string;
  /** The table a derived check belongs to: the smoke prints each group's time. */
  group?: string;
  /** Whether the check applies to this target (default: always). */
  applies?: (s: SmokeSession) => boolean;
  run: (s: SmokeSession) => Promise<CheckOutcome>;
}

/**
 * A request Hasura must refuse with `code` (the list query, so a wrong acceptance shows rows). While it
 * runs, a failed request names this check.
 */
function refusal(
  name: string,
  code: string,
  headers: (s: SmokeSession) => Promise<Record<string, string>>,
  applies?: SmokeCheck["applies"],
): SmokeCheck {
  return {
    name,
    ...(applies ? { applies } : {}),
    run: async (s) => {
      s.step = `check "${name}"`;
      const response = await s.call(Q.list, {}, await headers(s));
      const ok = response.answer.kind === "error" && response.answer.code === code;
      return { expected: `error ${code}`, response, got: describe(response.answer), ok };
    },
  };
}

function affectedRows(response: GraphqlResponse): number | undefined {
  return response.answer.kind === "data" ? (response.answer.data.update_users as { affected_rows?: number } | null)?.affected_rows : undefined;
}

function listedIds(response: GraphqlResponse): string[] | undefined {
  return response.answer.kind === "data" ? (response.answer.data.users as Array<{ id: string }>).map((u) => u.id) : undefined;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export const SMOKE_CHECKS: SmokeCheck[] = [
  {
    name: "user reads its own row",
    run: async (s) => {
      const response = await s.call(Q.byPk, { id: s.own }, await s.asUser(s.own));
      const readId = response.answer.kind === "data" ? (response.answer.data.users_by_pk as { id?: string } | null)?.id : undefined;
      return { expected: `row ${s.own}`, response, got: readId ? `row ${readId}` : describe(response.answer), ok: readId === s.own };
    },
  },
  {
    name: "user updates its own name",
    run: async (s) => {
      const newName = `renamed ${s.run}`;
      const response = await s.call(Q.rename, { id: s.own, name: newName }, await s.asUser(s.own));
      const renamed = affectedRows(response);
      const storedName = (await s.adminRow(s.own))?.name;
      return {
        expected: `affected_rows 1, name "${newName}"`,
        response,
        got: `affected_rows ${renamed ?? describe(response.answer)}, name ${JSON.stringify(storedName)}`,
        ok: renamed === 1 && storedName === newName,
      };
    },
  },
  {
    name: "new user inserts its own row (id from the session)",
    applies: (s) => s.t.userCanInsert && !s.t.realToken,
    run: async (s) => {
      const response = await s.call(Q.insertOwn, { name: "smoke newcomer" }, await s.asUser(s.newcomer));
      const insertedId = response.answer.kind === "data" ? (response.answer.data.insert_users_one as { id?: string } | null)?.id : undefined;
      if (insertedId) s.created.push(insertedId);
      return {
        expected: `row ${s.newcomer}`,
        response,
        got: insertedId ? `row ${insertedId}` : describe(response.answer),
        ok: insertedId === s.newcomer,
      };
    },
  },
  {
    name: "list returns only the caller's row",
    run: async (s) => {
      const response = await s.call(Q.list, {}, await s.asUser(s.own));
      const listed = listedIds(response);
      const expected = JSON.stringify([s.own]);
      return { expected, response, got: listed ? JSON.stringify(listed) : describe(response.answer), ok: JSON.stringify(listed) === expected };
    },
  },
  {
    name: "users_by_pk of another user is null",
    run: async (s) => {
      const response = await s.call(Q.byPk, { id: s.other }, await s.asUser(s.own));
      if (response.answer.kind !== "data") return { expected: "null", response, got: describe(response.answer), ok: false };
      const otherRow = response.answer.data.users_by_pk;
      return { expected: "null", response, got: JSON.stringify(otherRow), ok: otherRow === null };
    },
  },
  {
    name: "updating another user's row changes nothing",
    run: async (s) => {
      const response = await s.call(Q.rename, { id: s.other, name: "hijacked" }, await s.asUser(s.own));
      const hijacked = affectedRows(response);
      const otherName = (await s.adminRow(s.other))?.name;
      return {
        expected: 'affected_rows 0, name "smoke other"',
        response,
        got: `affected_rows ${hijacked ?? describe(response.answer)}, name ${JSON.stringify(otherName)}`,
        ok: hijacked === 0 && otherName === "smoke other",
      };
    },
  },
  {
    name: "insert cannot choose the id",
    applies: (s) => s.t.userCanInsert,
    run: async (s) => {
      const response = await s.call(Q.insertAs, { id: `${s.other}-forged`, name: "forged" }, await s.asUser(s.own));
      if (response.answer.kind === "data") s.created.push(`${s.other}-forged`);
      const ok = response.answer.kind === "error" && response.answer.code === "validation-failed";
      return { expected: "error validation-failed", response, got: describe(response.answer), ok };
    },
  },
  refusal("no Authorization header", "invalid-headers", async () => ({})),
  refusal("expired token", "invalid-jwt", async (s) => {
    const expired = { issuedAt: nowSeconds() - 3600, expiresAt: nowSeconds() - 1800 };
    return bearer(await signUserToken(s.t.policy, s.denialKey, s.own, expired));
  }),
  refusal("token signed by another key", "invalid-jwt", async (s) => bearer(await signUserToken(s.t.policy, s.stranger, s.own))),
  refusal("wrong issuer", "invalid-jwt", async (s) =>
    bearer(await signUserToken(s.t.policy, s.denialKey, s.own, { issuer: `${s.t.policy.issuer}.evil` })),
  ),
  refusal("wrong audience", "invalid-jwt", async (s) => bearer(await signUserToken(s.t.policy, s.denialKey, s.own, { audience: ["not-hasura"] }))),
  refusal("alg none", "invalid-jwt", async (s) => bearer(unsignedToken(s.t.policy, s.own))),
  refusal("HS256 signed with the public key", "invalid-jwt", async (s) => {
    const publicPem = s.t.publicKeyPem ?? s.stranger.publicKey.export({ type: "spki", format: "pem" }).toString();
    return bearer(await hmacWithPublicKey(s.t.policy, publicPem, s.own));
  }),
  // Role escalation and impersonation need a token Hasura accepts: the dev key or a real Kinde token.
  refusal(
    "user token asking for X-Hasura-Role: admin",
    "access-denied",
    async (s) => ({ ...bearer((await s.trustedToken()) as string), "x-hasura-role": "admin" }),
    (s) => s.t.mode === "local" || s.t.realToken !== undefined,
  ),
  {
    name: "X-Hasura-User-Id header cannot impersonate",
    applies: (s) => s.t.mode === "local" || s.t.realToken !== undefined,
    run: async (s) => {
      const response = await s.call(Q.list, {}, { ...bearer((await s.trustedToken()) as string), "x-hasura-user-id": s.other });
      const seen = listedIds(response);
      const expected = JSON.stringify([s.own]);
      return { expected, response, got: seen ? JSON.stringify(seen) : describe(response.answer), ok: JSON.stringify(seen) === expected };
    },
  },
  refusal(
    "untrusted token asking for X-Hasura-Role: admin",
    "invalid-jwt",
    async (s) => ({ ...bearer(await signUserToken(s.t.policy, s.stranger, s.own)), "x-hasura-role": "admin" }),
    (s) => s.t.mode !== "local" && s.t.realToken === undefined,
  ),
];

// The smoke's checks of subscriptions over WebSocket (graphql-transport-ws, the graphql-ws client), as
// Hasura serves them (docs/docs/auth/authentication/jwt.mdx "JWT with the WebSocket protocol"; the server
// in server/src-lib/Hasura/GraphQL/Transport/WebSocket.hs and WebSocket/Server.hs): the token travels in
// connection_init's payload.headers and is checked once; a refused one closes the socket with 4403; a
// live query yields the caller's rows and each change to them; the connection ends at the token's exp.
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import type { GraphqlResponse } from "../net/graphql.js";
import type { CheckOutcome, SmokeCheck } from "./checks.js";
import { bearer, type SmokeSession } from "./session.js";
import { gql, pkKey, rowsWhere, type TableFixture } from "./table-fixture.js";
import { signUserToken } from "./tokens.js";

const FORBIDDEN = 4403;

export function websocketUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "").replace(/^http/, "ws")}/v1/graphql`;
}

/** A socket opened with `headers`: whether Hasura acknowledged it, and how it closed (within `timeoutMs`). */
interface Socket {
  client: Client;
  acked: Promise<boolean>;
  closed: Promise<{ code: number; at: number }>;
}

function openSocket(s: SmokeSession, headers: Record<string, string>, timeoutMs: number): Socket {
  let ack: (v: boolean) => void = () => {};
  let close: (v: { code: number; at: number }) => void = () => {};
  const acked = new Promise<boolean>((resolve) => (ack = resolve));
  const closed = new Promise<{ code: number; at: number }>((resolve) => (close = resolve));
  const client = createClient({
    url: websocketUrl(s.t.endpoint),
    webSocketImpl: WebSocket,
    connectionParams: { headers },
    lazy: false,
    retryAttempts: 0,
    // Not graphql-ws's default 3 s: a loaded edge or a cold Hasura may take longer to answer.
    connectionAckWaitTimeout: timeoutMs,
    keepAlive: 0,
    on: {
      connected: () => ack(true),
      closed: (event) => {
        ack(false);
        close({ code: (event as { code?: number }).code ?? 0, at: Date.now() });
      },
      error: () => ack(false),
    },
    onNonLazyError: () => {},
  });
  return { client, acked, closed };
}

/** The values a subscription yields, in order, until it ends or errs. */
function collect(
  client: Client,
  query: string,
): { values: unknown[]; next: (timeoutMs: number, until: (v: unknown) => boolean) => Promise<unknown>; stop: () => void } {
  const values: unknown[] = [];
  const waiters: Array<() => void> = [];
  const stop = client.subscribe(
    { query },
    {
      next: (value) => {
        values.push(value);
        for (const w of waiters.splice(0)) w();
      },
      error: (err) => {
        values.push({ error: err instanceof Error ? err.message : JSON.stringify(err) });
        for (const w of waiters.splice(0)) w();
      },
      complete: () => {},
    },
  );
  const next = async (timeoutMs: number, until: (v: unknown) => boolean) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = values.find(until);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { values, next, stop };
}

/** A check outcome with no HTTP response: the socket's story is the body. */
/** How the socket closed within `ms`, or undefined; the timer is cleared either way, so none outlives the check. */
async function closedWithin(socket: Socket, ms: number): Promise<Awaited<Socket["closed"]> | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([socket.closed, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function outcome(expected: string, got: string, ok: boolean, ms: number): CheckOutcome {
  const response: GraphqlResponse = { answer: { kind: "unreadable", status: 0, text: got }, text: got, ms };
  return { expected, response, got, ok };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function subscriptionChecks(fixture: TableFixture): SmokeCheck[] {
  const model = fixture.ownedTables()[0];
  if (!model) return [];
  const pk = model.primaryKey.join(" ");
  const fixed = new Set([...model.primaryKey, ...model.foreignKeys.flatMap((fk) => fk.columns)]);
  const live = model.columns.find((c) => /^(text|character varying)/.test(c.type) && !fixed.has(c.name) && !c.generated);
  const timeout = (s: SmokeSession) => s.t.requestTimeoutMs ?? 10_000;
  const refusal = (name: string, headers: (s: SmokeSession) => Promise<Record<string, string>>, applies?: SmokeCheck["applies"]): SmokeCheck => ({
    name: `subscription refused at connection_init: ${name}`,
    group: "subscriptions",
    ...(applies ? { applies } : {}),
    run: async (s) => {
      s.step = `check "subscription refused: ${name}"`;
      const started = Date.now();
      const socket = openSocket(s, await headers(s), timeout(s));
      const acked = await socket.acked;
      const closed = await closedWithin(socket, timeout(s));
      await socket.client.dispose();
      const got = acked ? "connection_ack" : closed ? `closed with ${closed.code}` : "no answer";
      return outcome(`closed with ${FORBIDDEN} before connection_ack`, got, !acked && closed?.code === FORBIDDEN, Date.now() - started);
    },
  });
  return [
    {
      name: `subscription to ${model.rootName} yields exactly the caller's rows and sees a change`,
      group: "subscriptions",
      run: async (s) => {
        s.step = `check "subscription to ${model.rootName}"`;
        const started = Date.now();
        const own = fixture.rowsOf(model, s.own);
        const seeded = [...own, ...fixture.rowsOf(model, s.other)];
        const socket = openSocket(s, await s.asUser(s.own), timeout(s));
        const field = live ? `${pk} ${live.name}` : pk;
        const sub = collect(socket.client, `subscription { r: ${model.rootName}(where: ${gql(rowsWhere(model, seeded))}) { ${field} } }`);
        try {
          const rows = (v: unknown) => (v as { data?: { r?: Array<Record<string, unknown>> } }).data?.r ?? undefined;
          const first = await sub.next(timeout(s), (v) => rows(v) !== undefined || "error" in (v as object));
          const firstKeys = rows(first)
            ?.map((r) => pkKey(model, r))
            .sort();
          const expected = JSON.stringify(own.map((r) => pkKey(model, r.values)).sort());
          if (JSON.stringify(firstKeys) !== expected) {
            return outcome(
              `first value ${expected}`,
              `first value ${first === undefined ? "none" : JSON.stringify(firstKeys ?? first)}`,
              false,
              Date.now() - started,
            );
          }
          if (!live || !own[0]) return outcome(expected, `${JSON.stringify(firstKeys)} (no text column to change)`, true, Date.now() - started);
          const changed = `live ${s.run}`;
          const target = own[0];
          const update = await s.call(
            `mutation { r: update_${model.rootName}(where: ${gql(rowsWhere(model, [target]))}, _set: {${live.name}: ${gql(changed)}}) { affected_rows } }`,
            {},
            s.admin,
          );
          if (update.answer.kind !== "data")
            return outcome("an admin update to go through", s.mask(JSON.stringify(update.answer)), false, Date.now() - started);
          const seen = await sub.next(timeout(s), (v) => (rows(v) ?? []).some((r) => r[live.name] === changed));
          return outcome(
            `${expected}, then ${live.name} "${changed}"`,
            seen ? `${expected}, then the change` : "no value with the change",
            seen !== undefined,
            Date.now() - started,
          );
        } finally {
          sub.stop();
          await socket.client.dispose();
        }
      },
    },
    {
      name: `subscription to another user's ${model.rootName}_by_pk yields null`,
      group: "subscriptions",
      run: async (s) => {
        s.step = `check "subscription to another user's ${model.rootName}_by_pk"`;
        const started = Date.now();
        const theirs = fixture.rowsOf(model, s.other)[0];
        const args = model.primaryKey.map((c) => `${c}: ${gql(theirs?.values[c])}`).join(", ");
        const socket = openSocket(s, await s.asUser(s.own), timeout(s));
        const sub = collect(socket.client, `subscription { r: ${model.rootName}_by_pk(${args}) { ${pk} } }`);
        try {
          const first = (await sub.next(timeout(s), () => true)) as { data?: { r?: unknown } } | undefined;
          const got = first === undefined ? "no value" : JSON.stringify(first.data ? first.data.r : first);
          return outcome("null", got, first?.data !== undefined && first.data.r === null, Date.now() - started);
        } finally {
          sub.stop();
          await socket.client.dispose();
        }
      },
    },
    refusal("no token", async () => ({})),
    refusal("an expired token", async (s) =>
      bearer(await signUserToken(s.t.policy, s.denialKey, s.own, { issuedAt: nowSeconds() - 3600, expiresAt: nowSeconds() - 1800 })),
    ),
    refusal("a token signed by another key", async (s) => bearer(await signUserToken(s.t.policy, s.stranger, s.own))),
    {
      // Needs a token we can sign with a short life: the dev key (local mode) only.
      name: "a token that expires during the subscription ends it",
      group: "subscriptions",
      applies: (s) => s.t.mode === "local",
      run: async (s) => {
        s.step = 'check "a token that expires during the subscription ends it"';
        const started = Date.now();
        const expiresAt = nowSeconds() + 4;
        const token = await signUserToken(s.t.policy, s.denialKey, s.own, { issuedAt: nowSeconds(), expiresAt });
        const socket = openSocket(s, bearer(token), timeout(s));
        const sub = collect(
          socket.client,
          `subscription { r: ${model.rootName}(where: ${gql(rowsWhere(model, fixture.rowsOf(model, s.own)))}) { ${pk} } }`,
        );
        try {
          const acked = await socket.acked;
          const closed = await closedWithin(socket, 4_000 + timeout(s));
          const early = closed !== undefined && closed.at < expiresAt * 1000 - 1500;
          const got = !acked
            ? "not acknowledged"
            : closed
              ? `ended ${((closed.at - expiresAt * 1000) / 1000).toFixed(1)} s after exp (code ${closed.code})`
              : "still open";
          return outcome("acknowledged, then ended at exp", got, acked && closed !== undefined && !early, Date.now() - started);
        } finally {
          sub.stop();
          await socket.client.dispose();
        }
      },
    },
  ];
}

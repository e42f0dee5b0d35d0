// What every smoke check works with: the target, the users it seeds (with unique ids, removed at the
// end), bounded GraphQL calls whose failures name the step, headers that act as a user, and masking
// that keeps the admin secret and tokens out of every line.
import { randomBytes } from "node:crypto";
import { decodeJwt } from "jose";
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { HASURA_CLAIMS_NAMESPACE, USER_ROLE } from "../../../core/jwt-policy.js";
import { STEPS } from "../../../core/steps.js";
import type { AccessPolicy } from "../hasura/access-policy.js";
import type { Metadata } from "../hasura/metadata.js";
import { describeFetchError } from "../net/fetch-error.js";
import { type Answer, type GraphqlResponse, graphql, HeaderValueError } from "../net/graphql.js";
import { type SigningKey, signUserToken, strangerKey, type TokenPolicy } from "./tokens.js";

export interface SmokeTarget {
  /** Hasura base URL, e.g. http://127.0.0.1:8080 */
  endpoint: string;
  /** Where run_sql is reached when `endpoint` is an edge that serves GraphQL only (default: endpoint). */
  adminEndpoint?: string;
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
  /** The metadata and access policy the per-table and subscription checks derive from. */
  access?: { metadata: Metadata; policy: AccessPolicy };
  /** How long to wait for /healthz. */
  healthTimeoutMs: number;
  requestTimeoutMs?: number;
  log: (line: string) => void;
}

export type SmokePath = "signed dev tokens" | "a real Kinde token" | "the admin secret acting as role user";

export class SmokeError extends ExpectedFailure {}

export const Q = {
  byPk: "query ($id: String!) { users_by_pk(id: $id) { id name } }",
  list: "query { users(order_by: {id: asc}) { id } }",
  rename: "mutation ($id: String!, $name: String) { update_users(where: {id: {_eq: $id}}, _set: {name: $name}) { affected_rows } }",
  insertOwn: "mutation ($name: String!) { insert_users_one(object: {name: $name}) { id } }",
  insertAs: "mutation ($id: String!, $name: String!) { insert_users_one(object: {id: $id, name: $name}) { id } }",
  seed: "mutation ($objects: [users_insert_input!]!) { insert_users(objects: $objects) { affected_rows } }",
  remove: "mutation ($ids: [String!]!) { delete_users(where: {id: {_in: $ids}}) { affected_rows } }",
};

export function describe(answer: Answer): string {
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
    throw new SmokeError(`${STEPS.smoke.env.token.name} has neither x-hasura-user-id under https://hasura.io/jwt/claims nor sub`);
  return id;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export class SmokeSession {
  readonly run = randomBytes(4).toString("hex");
  /** The caller: the real token's user, else a seeded one. */
  readonly own: string;
  /** Someone else, seeded: what `own` must never see or change. */
  readonly other = `smoke-${this.run}-b`;
  /** A user with no row yet, for the insert check. */
  readonly newcomer = `smoke-${this.run}-c`;
  readonly admin: Record<string, string>;
  /** Rows this run created, removed at the end. */
  readonly created: string[] = [];
  /** What a failed request was part of, for its message. */
  step = "seeding the smoke users";
  private ownExisting: { name: string | null } | null | undefined = null;

  private constructor(
    readonly t: SmokeTarget,
    readonly path: SmokePath,
    /** A key Hasura does not trust. */
    readonly stranger: SigningKey,
  ) {
    this.own = t.realToken ? userIdOfToken(t.realToken) : `smoke-${this.run}-a`;
    this.admin = { "x-hasura-admin-secret": t.adminSecret };
  }

  /** Says which path the allowed checks take, then reads the caller's id (a real token's may be unreadable). */
  static async open(t: SmokeTarget): Promise<SmokeSession> {
    if (t.mode === "local" && !t.signingKey)
      throw new SmokeError(`Local signing mode needs the stack's dev signing key (${STEPS.smoke.env.devSigningKey.name})`);
    const path: SmokePath = t.mode === "local" ? "signed dev tokens" : t.realToken ? "a real Kinde token" : "the admin secret acting as role user";
    t.log(`Allowed checks use ${path}.`);
    return new SmokeSession(t, path, await strangerKey());
  }

  /** Tokens for the denial checks: the stack's own key where we have it, else one Hasura does not know. */
  get denialKey(): SigningKey {
    return this.t.signingKey ?? this.stranger;
  }

  /** A token Hasura accepts as `own` (the dev key or a real Kinde token); none when the smoke acts through the admin secret. */
  async trustedToken(): Promise<string | undefined> {
    return this.t.mode === "local" ? signUserToken(this.t.policy, this.t.signingKey as SigningKey, this.own) : this.t.realToken;
  }

  /** Headers that make Hasura treat a request as `userId` with role user. */
  async asUser(userId: string): Promise<Record<string, string>> {
    if (this.t.mode === "local") return bearer(await signUserToken(this.t.policy, this.t.signingKey as SigningKey, userId));
    if (this.t.realToken) return bearer(this.t.realToken);
    return { ...this.admin, "x-hasura-role": USER_ROLE, "x-hasura-user-id": userId };
  }

  /** The admin secret and any real token replaced, and JWTs shortened, for logs and failure bodies. */
  mask(text: string): string {
    const secrets = [this.t.adminSecret, ...(this.t.realToken ? [this.t.realToken] : [])];
    return secrets.reduce((s, secret) => s.split(secret).join("***"), text.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "<jwt>"));
  }

  /** One bounded request; a failure names the URL and the step, never an uncaught TimeoutError. */
  async call(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<GraphqlResponse> {
    const timeout = this.t.requestTimeoutMs ?? 10_000;
    try {
      return await graphql(this.t.endpoint, { query, variables, headers }, timeout);
    } catch (err) {
      if (err instanceof HeaderValueError) throw err;
      const reason = describeFetchError(err, timeout);
      throw new SmokeError(`${this.step}: POST ${this.t.endpoint.replace(/\/+$/, "")}/v1/graphql failed: ${this.mask(reason)}`);
    }
  }

  /** The row as the admin sees it: null when there is none, undefined when the read failed. */
  async adminRow(id: string): Promise<{ name: string | null } | null | undefined> {
    const r = await this.call(Q.byPk, { id }, this.admin);
    return r.answer.kind === "data" ? (r.answer.data.users_by_pk as { name: string | null } | null) : undefined;
  }

  /** Our two users (the real token's user only if it has no row yet: an existing row is used and renamed back). */
  async seed(): Promise<void> {
    this.ownExisting = this.t.realToken ? await this.adminRow(this.own) : null;
    const rows = [...(this.ownExisting ? [] : [{ id: this.own, name: "smoke own" }]), { id: this.other, name: "smoke other" }];
    const seeded = await this.call(Q.seed, { objects: rows }, this.admin);
    if (seeded.answer.kind !== "data") {
      throw new SmokeError(`Seeding the smoke users through the admin secret failed: ${this.mask(describe(seeded.answer))}`);
    }
    this.created.push(...rows.map((r) => r.id));
    this.step = "the first check";
  }

  /** Removes what the run created. A failure is reported, never thrown: it must not hide the error that stopped the checks. */
  async cleanUp(): Promise<void> {
    this.step = "removing the smoke users";
    try {
      const removal = await this.call(Q.remove, { ids: this.created }, this.admin);
      if (removal.answer.kind !== "data")
        this.t.log(`WARNING: could not remove the smoke users ${this.created.join(", ")}: ${this.mask(describe(removal.answer))}`);
      if (this.ownExisting) await this.call(Q.rename, { id: this.own, name: this.ownExisting.name }, this.admin);
    } catch (err) {
      this.t.log(`WARNING: could not remove the smoke users ${this.created.join(", ")} (remove them by id): ${(err as Error).message}`);
    }
  }
}

// The rows the smoke's per-table checks work on, seeded through the admin secret and removed at the end:
// for every table the access policy gives role `user` an owner for, a row of the caller and a row of the
// other smoke user, with the rows their foreign keys need (a list for a todo, the users row behind a
// note, one shared category). Values come from the same planner as the permission proof's rows
// (hasura/proof-rows.ts planRow), fed with the database's column types, read through Hasura's run_sql.
import { USER_ROLE } from "../../../core/jwt-policy.js";
import { type AccessPolicy, ruleOf } from "../hasura/access-policy.js";
import type { Metadata } from "../hasura/metadata.js";
import { tablesOf } from "../hasura/metadata.js";
import { ownershipOf, planRow, type RowSource, sampleValue } from "../hasura/proof-rows.js";
import { CATALOG_SQL, type ColumnInfo, parseCatalog, schemaModel, type TableModel } from "../hasura/schema-model.js";
import { describeFetchError } from "../net/fetch-error.js";
import { describe, SmokeError, type SmokeSession } from "./session.js";

export interface SmokeAccess {
  metadata: Metadata;
  policy: AccessPolicy;
}

export interface FixtureRow {
  model: TableModel;
  owner: string | null;
  values: Record<string, unknown>;
  /** False for a row that was there before (the smoke users' own rows of `users`): it is not removed. */
  created: boolean;
}

/** A GraphQL input literal for a JSON value: `{id: {_eq: "a"}}` (keys unquoted), so no variable types are needed. */
export function gql(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(gql).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${gql(v)}`)
      .join(", ")}}`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** `{pk: {_eq: …}}` for one row; `{_or: [...]}` for several (never empty: `_or: []` matches nothing). */
export function rowsWhere(model: TableModel, rows: FixtureRow[]): Record<string, unknown> {
  const one = (row: FixtureRow) => Object.fromEntries(model.primaryKey.map((c) => [c, { _eq: row.values[c] }]));
  return rows.length === 1 ? one(rows[0] as FixtureRow) : { _or: rows.map(one) };
}

export function pkKey(model: TableModel, values: Record<string, unknown>): string {
  return model.primaryKey.map((c) => String(values[c])).join(",");
}

export class TableFixture implements RowSource {
  readonly rows: FixtureRow[] = [];
  private counter = 0;

  private constructor(
    private readonly s: SmokeSession,
    readonly models: TableModel[],
    readonly policy: AccessPolicy,
  ) {}

  /** Reads the schema through run_sql; seeding is a step of its own, so that what it created is removed even when it fails half-way. */
  static async open(s: SmokeSession, access: SmokeAccess): Promise<TableFixture> {
    s.step = "reading the schema through run_sql";
    const catalog = await runSqlCatalog(s);
    const models = schemaModel(
      tablesOf(access.metadata).map(({ table }) => table),
      catalog,
    );
    return new TableFixture(s, models, access.policy);
  }

  /** The caller's and the other user's rows of every owned table. */
  async seed(): Promise<void> {
    this.s.step = "seeding the smoke's rows of every owned table";
    for (const model of this.ownedTables()) {
      await this.rowOf(model, this.s.own);
      await this.rowOf(model, this.s.other);
    }
  }

  /** Tables whose rule for role user names an owner, which the role may select, and which have a primary key. */
  ownedTables(): TableModel[] {
    return this.models.filter((m) => {
      const rule = ruleOf(this.policy, m.key, USER_ROLE);
      const selectable = ((m.metadata.select_permissions ?? []) as Array<{ role: string }>).some((p) => p.role === USER_ROLE);
      return (rule?.kind === "owner" || rule?.kind === "ownerVia") && selectable && m.primaryKey.length > 0;
    });
  }

  rowsOf(model: TableModel, owner?: string | null): FixtureRow[] {
    return this.rows.filter((r) => r.model.key === model.key && (owner === undefined || r.owner === owner));
  }

  fail(message: string): Error {
    return new SmokeError(message);
  }

  sample(model: TableModel, column: ColumnInfo): unknown {
    this.counter += 1;
    const value = sampleValue(model, column, this.counter, (m) => this.fail(m));
    // Unique to this run: rows of an earlier run that could not be removed must not collide.
    if (typeof value !== "string" || !value.startsWith("proof-")) return value;
    const length = /\((\d+)\)/.exec(column.type)?.[1];
    return `smoke-${this.s.run}-${this.counter}`.slice(0, length ? Number(length) : undefined);
  }

  /** `owner`'s row of `model` (null: the shared row), seeded through the admin secret on first use. */
  async rowOf(model: TableModel, owner: string | null): Promise<FixtureRow> {
    const known = this.rows.find((r) => r.model.key === model.key && r.owner === owner);
    if (known) return known;
    const ownership = ownershipOf(model, this.policy);
    // A table keyed by its owner (users): the smoke session seeded, or found, the users' own rows.
    if (owner !== null && ownership?.kind === "column" && model.primaryKey.join() === ownership.columns[0]) {
      const existing = await this.adminRow(model, { [ownership.columns[0]]: owner });
      if (existing) return this.remember({ model, owner, values: existing, created: false });
    }
    const values = await planRow(this.models, this.policy, model, owner, this);
    const columns = this.knownColumns(model).join(" ");
    const response = await this.s.call(`mutation { row: insert_${model.rootName}_one(object: ${gql(values)}) { ${columns} } }`, {}, this.s.admin);
    const row = response.answer.kind === "data" ? (response.answer.data.row as Record<string, unknown> | null) : null;
    if (!row) throw new SmokeError(`Seeding a row of ${model.key} through the admin secret failed: ${this.s.mask(describe(response.answer))}`);
    return this.remember({ model, owner, values: row, created: true });
  }

  /** The row with these primary key values as the admin sees it, or null. */
  async adminRow(model: TableModel, key: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    const args = model.primaryKey.map((c) => `${c}: ${gql(key[c])}`).join(", ");
    const response = await this.s.call(`query { row: ${model.rootName}_by_pk(${args}) { ${this.knownColumns(model).join(" ")} } }`, {}, this.s.admin);
    if (response.answer.kind !== "data")
      throw new SmokeError(`Reading ${model.key} through the admin secret failed: ${this.s.mask(describe(response.answer))}`);
    return response.answer.data.row as Record<string, unknown> | null;
  }

  /**
   * The columns the admin reads back: the primary key, what any role may select, and what foreign keys
   * point at. Not every column of the database: one a migration added since the metadata was last
   * applied is not in Hasura's schema until a reload, and asking for it fails the whole query.
   */
  knownColumns(model: TableModel): string[] {
    const selectable = ((model.metadata.select_permissions ?? []) as Array<{ permission: { columns?: string[] | "*" } }>).flatMap((p) =>
      p.permission.columns === "*" ? model.columns.map((c) => c.name) : (p.permission.columns ?? []),
    );
    const referenced = this.models.flatMap((m) => m.foreignKeys.filter((fk) => fk.target === model.key).flatMap((fk) => fk.refColumns));
    const wanted = new Set([...model.primaryKey, ...selectable, ...referenced]);
    return model.columns.map((c) => c.name).filter((c) => wanted.has(c));
  }

  remember(row: FixtureRow): FixtureRow {
    this.rows.push(row);
    return row;
  }

  /** Removes the rows it created, newest first (children before parents). Reported, never thrown. */
  async cleanUp(): Promise<void> {
    this.s.step = "removing the smoke's table rows";
    for (const row of [...this.rows].reverse().filter((r) => r.created)) {
      try {
        const where = gql(rowsWhere(row.model, [row]));
        const response = await this.s.call(`mutation { gone: delete_${row.model.rootName}(where: ${where}) { affected_rows } }`, {}, this.s.admin);
        if (response.answer.kind !== "data") {
          this.s.t.log(
            `WARNING: could not remove the smoke's row of ${row.model.key} ${pkKey(row.model, row.values)}: ${this.s.mask(describe(response.answer))}`,
          );
        }
      } catch (err) {
        this.s.t.log(`WARNING: could not remove the smoke's row of ${row.model.key} ${pkKey(row.model, row.values)}: ${(err as Error).message}`);
      }
    }
  }
}

/** The schema catalog through Hasura's run_sql (POST /v2/query, admin only, read only). */
async function runSqlCatalog(s: SmokeSession): Promise<ReturnType<typeof parseCatalog>> {
  const url = `${(s.t.adminEndpoint ?? s.t.endpoint).replace(/\/+$/, "")}/v2/query`;
  const timeout = s.t.requestTimeoutMs ?? 10_000;
  let status = 0;
  let text = "";
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...s.admin },
      body: JSON.stringify({ type: "run_sql", args: { source: "default", sql: CATALOG_SQL, read_only: true } }),
      signal: AbortSignal.timeout(timeout),
    });
    status = response.status;
    text = await response.text();
  } catch (err) {
    throw new SmokeError(`${s.step}: POST ${url} failed: ${s.mask(describeFetchError(err, timeout))}`);
  }
  try {
    const body = JSON.parse(text) as { result_type?: string; result?: unknown[][] };
    if (status !== 200 || body.result_type !== "TuplesOk") throw new Error("not TuplesOk");
    return parseCatalog(body.result?.[1]?.[0]);
  } catch {
    throw new SmokeError(
      `${s.step}: POST ${url} answered HTTP ${status}: ${s.mask(text.slice(0, 200))} (run_sql needs the metadata API; through a TLS edge, set SMOKE_ADMIN_ENDPOINT to Hasura's own URL)`,
    );
  }
}

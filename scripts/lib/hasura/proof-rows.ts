// Rows for the permission proof: each user's own row in every owned table (and the rows their foreign
// keys need), one shared row in each table nobody owns, and probe rows owned by nobody that hold the
// values the permissions compare, so a filter branch such as `{name: {_eq: "public"}}` meets a row it
// would leak. Required columns get values made up from their PostgreSQL type; everything is inserted
// inside the proof's transaction and rolled back with it.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { type AccessPolicy, ruleOf } from "./access-policy.js";
import { isSessionVariable } from "./bool-exp.js";
import { type ColumnInfo, quoteIdent, type TableModel } from "./schema-model.js";

/** Whose row a row is: the owner column, or the columns of the first relationship of an owner_via path. */
export type Ownership = { kind: "column"; columns: [string] } | { kind: "via"; path: string[]; columns: string[] };

export interface SeededRow {
  table: string;
  pk: unknown[];
  owner: string | null;
  /** Short, for lists: the owner where the owner column is the primary key, else `<owner>/<primary key>`. */
  name: string;
  /** For messages: "proof-user-bob's row", "the row proof-probe-2 (name = "public")". */
  label: string;
  values: Record<string, unknown>;
  probe: boolean;
}

/** The ownership every owner rule of the table agrees on (policyProblems refuses rules that disagree). */
export function ownershipOf(model: TableModel, policy: AccessPolicy): Ownership | undefined {
  for (const rule of policy.tables.get(model.key)?.values() ?? []) {
    if (rule.kind === "owner") return { kind: "column", columns: [rule.column] };
    if (rule.kind === "ownerVia") {
      const hop = model.relationships.find((r) => r.name === rule.path[0]);
      return { kind: "via", path: rule.path, columns: (hop?.on ?? []).map(([local]) => local) };
    }
  }
  return undefined;
}

/** SQL for the owner id of the row aliased `alias` of `model` (NULL for tables nobody owns), following owner_via paths. */
export function rowOwnerSql(models: TableModel[], policy: AccessPolicy, model: TableModel, alias: string, depth = 0): string {
  const ownership = ownershipOf(model, policy);
  if (!ownership || depth > 16) return "NULL";
  if (ownership.kind === "column") return `${alias}.${quoteIdent(ownership.columns[0])}`;
  return viaOwnerSql(models, policy, model, ownership.path, alias, depth);
}

/** The owner of the row that `path` (object relationships) leads to from the row `alias`: one subquery per hop. */
function viaOwnerSql(models: TableModel[], policy: AccessPolicy, model: TableModel, path: string[], alias: string, depth: number): string {
  if (path.length === 0) return rowOwnerSql(models, policy, model, alias, depth + 1);
  const rel = model.relationships.find((r) => r.name === path[0]);
  const target = rel && models.find((m) => m.key === rel.target);
  if (!rel || !target) return "NULL";
  const next = `${alias}_o${depth}`;
  const on = rel.on.map(([l, r]) => `${next}.${quoteIdent(r)} = ${alias}.${quoteIdent(l)}`).join(" AND ");
  return `(SELECT ${viaOwnerSql(models, policy, target, path.slice(1), next, depth + 1)} FROM ${target.qualified} AS ${next} WHERE ${on} LIMIT 1)`;
}

/** Where planRow gets the rows a new row points at, and values for its other required columns. */
export interface RowSource {
  rowOf(model: TableModel, owner: string | null): Promise<{ values: Record<string, unknown> }>;
  sample(model: TableModel, column: ColumnInfo): unknown;
  fail(message: string): Error;
}

/**
 * Column values for a new row of `owner` (null: a table nobody owns): the owner column, or the owner_via
 * relationship pointing at the owner's parent row; every foreign key to a tracked table pointing at a row
 * of the same owner (or the shared one), optional ones too, so relationships have rows to reach (a
 * category's notes must include other users' notes for a leak to show); a made-up value for every other
 * required column. Shared by the proof (rows inserted with SQL) and the smoke (rows inserted through
 * Hasura as admin).
 */
export async function planRow(
  models: TableModel[],
  policy: AccessPolicy,
  model: TableModel,
  owner: string | null,
  source: RowSource,
): Promise<Record<string, unknown>> {
  const ownership = ownershipOf(model, policy);
  const values: Record<string, unknown> = {};
  const rowOwner = ownership ? (owner ?? "proof-nobody") : null;
  const column = (name: string) => model.columns.find((c) => c.name === name);
  if (ownership?.kind === "column") values[ownership.columns[0]] = rowOwner;
  if (ownership?.kind === "via") Object.assign(values, await viaParentValues(models, policy, model, rowOwner as string, source));
  for (const fk of model.foreignKeys) {
    const includesOwner = ownership?.kind === "column" && fk.columns.includes(ownership.columns[0]);
    const required = fk.columns.some((c) => column(c)?.notNull && !column(c)?.hasDefault);
    if (fk.columns.every((c) => c in values) && !includesOwner) continue;
    const target = models.find((m) => m.key === fk.target);
    if (!target && !required) continue;
    if (!target) {
      throw source.fail(
        `${model.key} needs a row in ${fk.target} (foreign key ${fk.name}), which is not tracked; track it in metadata/ and give it a rule`,
      );
    }
    const parent = await source.rowOf(target, ownershipOf(target, policy) ? rowOwner : null);
    for (const [i, name] of fk.columns.entries()) if (!(name in values)) values[name] = parent.values[fk.refColumns[i] as string];
  }
  for (const c of model.columns) {
    if (c.name in values || c.generated) continue;
    if (c.notNull && !c.hasDefault) values[c.name] = source.sample(model, c);
  }
  return values;
}

/** The owner_via relationship's columns, pointing at `owner`'s row of the table it leads to. */
export async function viaParentValues(
  models: TableModel[],
  policy: AccessPolicy,
  model: TableModel,
  owner: string,
  source: RowSource,
): Promise<Record<string, unknown>> {
  const ownership = ownershipOf(model, policy);
  if (ownership?.kind !== "via") return {};
  const hop = model.relationships.find((r) => r.name === ownership.path[0]);
  const target = hop && models.find((m) => m.key === hop.target);
  if (!hop || !target) throw source.fail(`${model.key}: owner_via ${ownership.path.join(".")} does not lead to a tracked table`);
  const parent = await source.rowOf(target, owner);
  return Object.fromEntries(hop.on.map(([local, remote]) => [local, parent.values[remote]]));
}

/** A value of the column's PostgreSQL type, distinct for each `n`; an error for a type it cannot make up. */
export function sampleValue(model: TableModel, column: ColumnInfo, n: number, fail: (message: string) => Error): unknown {
  const t = column.type;
  const length = /\((\d+)\)/.exec(t)?.[1];
  if (/^(text|character varying|character|citext|name)\b/.test(t)) return `proof-${n}`.slice(0, length ? Number(length) : undefined);
  if (/^(smallint|integer|bigint|numeric|real|double precision)\b/.test(t)) return 100000 + n;
  if (t === "boolean") return false;
  if (t === "uuid") return randomUUID();
  if (/^(timestamp|date|time)\b/.test(t)) return new Date(Date.UTC(2000, 0, 1) + n * 1000).toISOString();
  if (t === "json" || t === "jsonb") return "{}";
  throw fail(`cannot make up a value for ${model.key}.${column.name} (type ${t}); give the column a default`);
}

export class RowSeeder implements RowSource {
  private rows: SeededRow[] = [];
  private readonly pending = new Set<string>();
  private counter = 0;
  private probes = 0;

  constructor(
    private readonly client: pg.Client,
    private readonly models: TableModel[],
    private readonly policy: AccessPolicy,
    readonly fail: (message: string) => Error,
  ) {}

  /** Forget rows added after this point (the caller rolled back a savepoint). */
  mark(): () => void {
    const length = this.rows.length;
    return () => {
      this.rows.length = length;
    };
  }

  ownRows(model: TableModel, owner: string): SeededRow[] {
    return this.rows.filter((r) => r.table === model.key && r.owner === owner && !r.probe);
  }

  /** The seeded row with this primary key, or a name for a row that was there before the proof. */
  named(model: TableModel, pk: unknown[], owner: string | null): SeededRow {
    const text = JSON.stringify(pk);
    const found = this.rows.find((r) => r.table === model.key && JSON.stringify(r.pk) === text);
    if (found) return found;
    const key = `${model.primaryKey.join(",")} ${pk.map((v) => JSON.stringify(v)).join(",")}`;
    return {
      table: model.key,
      pk,
      owner,
      name: `existing(${key})`,
      label: `the existing row ${key}${owner === null ? "" : ` (owner ${owner})`}`,
      values: {},
      probe: false,
    };
  }

  /** `owner`'s row of `model` (null: the shared row of a table nobody owns), inserted on first use. */
  async rowOf(model: TableModel, owner: string | null): Promise<SeededRow> {
    const existing = this.rows.find((r) => r.table === model.key && r.owner === owner && !r.probe);
    if (existing) return existing;
    const pending = `${model.key}\0${owner}`;
    if (this.pending.has(pending)) throw this.fail(`${model.key}: its foreign keys form a cycle; the proof cannot seed rows for it`);
    this.pending.add(pending);
    try {
      return await this.insert(model, await this.valuesFor(model, owner), owner, false);
    } finally {
      this.pending.delete(pending);
    }
  }

  /** Column values for a new row of `owner` (planRow); with freeOwnRow, an existing row that would collide on the owner-keyed primary key is deleted first (callers run in a savepoint). */
  async valuesFor(model: TableModel, owner: string | null, options: { freeOwnRow?: boolean } = {}): Promise<Record<string, unknown>> {
    const values = await planRow(this.models, this.policy, model, owner, this);
    const ownership = ownershipOf(model, this.policy);
    if (options.freeOwnRow && ownership?.kind === "column" && model.primaryKey.join() === ownership.columns[0]) {
      await this.client.query(`DELETE FROM ${model.qualified} WHERE ${quoteIdent(ownership.columns[0])} = $1`, [values[ownership.columns[0]]]);
    }
    return values;
  }

  /** The owner_via relationship's columns, pointing at `owner`'s row of the table it leads to. */
  parentValues(model: TableModel, owner: string): Promise<Record<string, unknown>> {
    return viaParentValues(this.models, this.policy, model, owner, this);
  }

  /** The rows an owner row of `model` needs through its foreign keys (e.g. the users row behind notes.owner_id). */
  async ensureOwnerParents(model: TableModel, owner: string): Promise<void> {
    const ownership = ownershipOf(model, this.policy);
    for (const fk of model.foreignKeys) {
      const target = this.models.find((m) => m.key === fk.target);
      if (target && ownership?.kind === "column" && fk.columns.includes(ownership.columns[0])) await this.rowOf(target, owner);
    }
  }

  /**
   * Probe rows owned by nobody in the proof, each with one other column at a value some permission
   * compares it with (its literals, numeric neighbours for ranges, each user's id where a session
   * variable is compared) or NULL. A value the column's type refuses is skipped: no row could hold it.
   */
  async seedProbes(model: TableModel, expressions: unknown[], users: string[]): Promise<void> {
    const ownership = ownershipOf(model, this.policy);
    if (!ownership) return;
    const fixed = new Set([...ownership.columns, ...model.foreignKeys.flatMap((fk) => fk.columns)]);
    const values = new Map<string, unknown[]>();
    const add = (column: string, value: unknown) => {
      if (fixed.has(column) || !this.column(model, column)) return;
      const list = values.get(column) ?? [null];
      if (!list.some((v) => JSON.stringify(v) === JSON.stringify(value))) list.push(value);
      values.set(column, list);
    };
    const walk = (exp: unknown): void => {
      if (Array.isArray(exp)) {
        for (const item of exp) walk(item);
        return;
      }
      if (!exp || typeof exp !== "object") return;
      for (const [key, inner] of Object.entries(exp as Record<string, unknown>)) {
        if (key.startsWith("_")) walk(inner);
        else if (inner && typeof inner === "object") {
          for (const [op, operand] of Object.entries(inner as Record<string, unknown>)) {
            for (const value of Array.isArray(operand) ? operand : [operand]) {
              if (isSessionVariable(value)) for (const u of users) add(key, u);
              else if (typeof value === "number") for (const v of [value - 1, value, value + 1]) add(key, v);
              else if (op !== "_is_null" && value !== null && typeof value !== "object") add(key, value);
            }
          }
        }
      }
    };
    for (const exp of expressions) walk(exp);
    for (const [column, list] of values) {
      for (const value of list) {
        this.probes += 1;
        const owner = `proof-probe-${this.probes}`;
        await this.client.query("SAVEPOINT proof_probe");
        const restore = this.mark();
        try {
          const row = { ...(await this.valuesFor(model, owner)), [column]: value };
          const probe = await this.insert(model, row, owner, true);
          probe.label =
            model.primaryKey.join() === ownership.columns.join()
              ? `the row ${owner} (${column} = ${value === null ? "NULL" : JSON.stringify(value)})`
              : `the row ${probe.name} (${column} = ${value === null ? "NULL" : JSON.stringify(value)})`;
          await this.client.query("RELEASE SAVEPOINT proof_probe");
        } catch (err) {
          if (typeof (err as { code?: unknown }).code !== "string") throw err;
          await this.client.query("ROLLBACK TO SAVEPOINT proof_probe");
          restore();
        }
      }
    }
  }

  private column(model: TableModel, name: string): ColumnInfo | undefined {
    return model.columns.find((c) => c.name === name);
  }

  private async insert(model: TableModel, values: Record<string, unknown>, owner: string | null, probe: boolean): Promise<SeededRow> {
    const names = Object.keys(values);
    const sql =
      names.length === 0
        ? `INSERT INTO ${model.qualified} DEFAULT VALUES RETURNING to_json(${model.qualified}.*) AS row`
        : `INSERT INTO ${model.qualified} (${names.map(quoteIdent).join(", ")}) VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING to_json(${model.qualified}.*) AS row`;
    let inserted: Record<string, unknown>;
    try {
      const { rows } = await this.client.query<{ row: Record<string, unknown> }>(sql, Object.values(values));
      inserted = rows[0]?.row as Record<string, unknown>;
    } catch (err) {
      if (probe) throw err;
      throw this.fail(`cannot seed a row of ${model.key} for the proof: ${(err as Error).message}; give the column a default or fix its foreign key`);
    }
    const pk = model.primaryKey.map((c) => inserted[c]);
    const keyedByOwner = owner !== null && model.primaryKey.length === 1 && inserted[model.primaryKey[0] as string] === owner;
    const name = keyedByOwner ? owner : `${owner ?? "shared"}/${pk.map((v) => String(v)).join(",")}`;
    const label = owner === null ? `the shared row ${name}` : keyedByOwner ? `${owner}'s row` : `${owner}'s row ${name}`;
    const row: SeededRow = { table: model.key, pk, owner, name, label, values: inserted, probe };
    this.rows.push(row);
    return row;
  }

  /** A value of the column's type that no other seeded row holds. */
  sample(model: TableModel, column: ColumnInfo): unknown {
    this.counter += 1;
    return sampleValue(model, column, this.counter, this.fail);
  }
}

export { ruleOf };

// The permission proof: for every table in the access policy (metadata/access.yaml), evaluates each
// role's select/insert/update/delete rules, its aggregates and the relationships it may follow, on a
// real PostgreSQL, against seeded rows, for several sessions, and reports every row a session reached
// that its rule does not give it. Everything runs in one transaction that is rolled back: the database
// is left as it was.
//
// Hasura's rules this mirrors (docs/docs/auth/authorization/permissions/): a select filter decides the
// rows a role reads, through the list, `_by_pk` and `_aggregate` fields alike (`_aggregate` only with
// allow_aggregations); a row reached through a relationship is filtered by the target table's select
// permission (and the relationship exists only where the role may select the target); an update's
// filter picks the rows and its check must hold on the row as updated; a delete's filter picks the rows;
// an insert's check must hold on the new row; presets (`set`) win over what the client sends, and a
// preset column is not part of the client's input.
import type pg from "pg";
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { type AccessPolicy, type AccessRule, describeRule, permittedRoles, policyProblems, ruleOf } from "./access-policy.js";
import { boolExpToSql, isSessionVariable } from "./bool-exp.js";
import type { Metadata } from "./metadata.js";
import { tablesOf } from "./metadata.js";
import { ownershipOf, RowSeeder, rowOwnerSql, type SeededRow } from "./proof-rows.js";
import { boolExpTableOf, quoteIdent, readCatalog, schemaModel, type TableModel } from "./schema-model.js";

/** The proof cannot run: the policy does not fit the metadata, or the database is not migrated. */
export class ProofError extends ExpectedFailure {}

export interface ProofOptions {
  /** Users with seeded rows in every owned table. Default two. */
  seededUsers?: string[];
  /** A user with no row yet (first sign-in). */
  newUser?: string;
}

export interface SessionResult {
  table: string;
  role: string;
  userId: string;
  /** Rows by name: a seeded row's owner for tables keyed by their owner (users), else `<owner>/<primary key>`. */
  canRead: string[];
  canUpdate: string[];
  canDelete: string[];
  /** Whether the session may insert a row of its own (undefined: the role has no insert permission). */
  canInsertOwn: boolean | undefined;
  /** Owners the session could insert rows for, other than itself. */
  canInsertForOthers: string[];
  /** Whether the session may hand its own row to another owner. */
  canGiveAway: boolean;
}

export interface ProofResult {
  tables: string[];
  sessions: SessionResult[];
  violations: string[];
}

type Permission = {
  columns?: string[] | "*";
  filter?: unknown;
  check?: unknown;
  set?: Record<string, unknown>;
  allow_aggregations?: boolean;
};
type Kind = "select" | "insert" | "update" | "delete";

export async function provePermissions(
  client: pg.Client,
  metadata: Metadata,
  policy: AccessPolicy,
  options: ProofOptions = {},
): Promise<ProofResult> {
  const seededUsers = options.seededUsers ?? ["proof-user-alice", "proof-user-bob"];
  const newUser = options.newUser ?? "proof-user-carol";
  const users = [...seededUsers, newUser];

  await client.query("BEGIN");
  try {
    const models = schemaModel(
      tablesOf(metadata).map(({ table }) => table),
      await readCatalog(client),
    );
    const problems = policyProblems(metadata, policy, models);
    if (problems.length > 0) throw new ProofError(`The access policy does not fit the metadata:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    for (const model of models) {
      if (model.columns.length === 0)
        throw new ProofError(`${model.key} does not exist in this database; run the migrations first (npm run migrate -- up)`);
      for (const rule of policy.tables.get(model.key)?.values() ?? []) {
        if (rule.kind === "owner" && !model.columns.some((c) => c.name === rule.column)) {
          throw new ProofError(
            `${model.key} has no column ${rule.column} (its rule says owner: ${rule.column}); run the migrations first or fix the rule`,
          );
        }
      }
    }
    const seeder = new RowSeeder(client, models, policy, (m) => new ProofError(m));
    for (const model of models) {
      if (ownershipOf(model, policy)) for (const user of seededUsers) await seeder.rowOf(model, user);
      else await seeder.rowOf(model, null);
    }
    for (const model of models) await seeder.seedProbes(model, expressionsOf(model), users);

    const sessions: SessionResult[] = [];
    const violations: string[] = [];
    for (const model of models) {
      const roles = new Set([...permittedRoles(model.metadata), ...(policy.tables.get(model.key)?.keys() ?? [])]);
      for (const role of [...roles].sort()) {
        const rule = ruleOf(policy, model.key, role) as AccessRule;
        violations.push(...ruleShapeViolations(model, role, rule));
        if (rule.kind === "none") continue;
        for (const userId of users) {
          const proof = new SessionProof(client, models, model, policy, seeder, role, userId, users);
          const { result, violations: found } = await proof.run(seededUsers.includes(userId), userId === newUser);
          sessions.push(result);
          violations.push(...found);
        }
      }
    }
    return { tables: models.map((m) => m.key), sessions, violations };
  } finally {
    await client.query("ROLLBACK");
  }
}

function permissionOf(model: TableModel, kind: Kind, role: string): Permission | undefined {
  const list = (model.metadata[`${kind}_permissions`] ?? []) as Array<{ role: string; permission: Permission }>;
  return list.find((p) => p.role === role)?.permission;
}

function expressionsOf(model: TableModel): unknown[] {
  return (["select", "insert", "update", "delete"] as const).flatMap((kind) =>
    ((model.metadata[`${kind}_permissions`] ?? []) as Array<{ permission: Permission }>).flatMap((p) => [p.permission.filter, p.permission.check]),
  );
}

function allowedColumns(model: TableModel, perm: Permission): string[] {
  return perm.columns === "*" ? model.columns.map((c) => c.name) : (perm.columns ?? []);
}

/** Permissions a rule forbids outright, and owner columns the client may write. */
function ruleShapeViolations(model: TableModel, role: string, rule: AccessRule): string[] {
  const at = `${model.key}: role ${role}`;
  const found: string[] = [];
  const has = (kind: Kind) => permissionOf(model, kind, role) !== undefined;
  if (rule.kind === "none") {
    for (const kind of ["select", "insert", "update", "delete"] as const) {
      if (has(kind)) found.push(`${at} has a ${kind} permission, but its rule is none; remove the permission or change the rule`);
    }
  }
  if (rule.kind === "public-read") {
    for (const kind of ["insert", "update", "delete"] as const) {
      if (has(kind)) found.push(`${at} has a ${kind} permission, but its rule is public-read (read-only); remove the permission or change the rule`);
    }
  }
  if (rule.kind === "owner") {
    for (const kind of ["insert", "update"] as const) {
      const perm = permissionOf(model, kind, role);
      if (perm && allowedColumns(model, perm).includes(rule.column) && !(rule.column in (perm.set ?? {}))) {
        found.push(
          `${at} may ${kind === "insert" ? "set" : "change"} ${rule.column}, the column that says whose row it is; ` +
            `remove it from the ${kind} columns${kind === "insert" ? ` and preset it (set: {${rule.column}: X-Hasura-User-Id})` : ""}`,
        );
      }
    }
  }
  return found;
}

/** One role acting as one user on one table: what it reaches, and what its rule does not give it. */
class SessionProof {
  private readonly session: Record<string, string>;
  private readonly at: string;
  private readonly found: string[] = [];

  constructor(
    private readonly client: pg.Client,
    private readonly models: TableModel[],
    private readonly model: TableModel,
    private readonly policy: AccessPolicy,
    private readonly seeder: RowSeeder,
    private readonly role: string,
    private readonly userId: string,
    private readonly users: string[],
  ) {
    this.session = { "x-hasura-role": role, "x-hasura-user-id": userId };
    this.at = `${model.key}: role ${role} as ${userId}`;
  }

  async run(hasRows: boolean, isNew: boolean): Promise<{ result: SessionResult; violations: string[] }> {
    const rule = ruleOf(this.policy, this.model.key, this.role) as AccessRule;
    const owned = rule.kind === "owner" || rule.kind === "ownerVia";
    const own = hasRows && owned ? this.seeder.ownRows(this.model, this.userId).map((r) => r.name) : [];
    const select = permissionOf(this.model, "select", this.role);
    const update = permissionOf(this.model, "update", this.role);

    const canRead = select ? await this.reached("read", select.filter) : [];
    if (select?.allow_aggregations === true) await this.reached(`count through ${this.model.rootName}_aggregate`, select.filter);
    if (select) await this.throughRelationships(select.filter);
    const canUpdate = update ? await this.updatable(update) : [];
    const del = permissionOf(this.model, "delete", this.role);
    const canDelete = del ? await this.reached("delete", del.filter) : [];
    for (const name of own) {
      if (select && !canRead.includes(name)) this.found.push(`${this.at} cannot read its own row ${name}`);
      if (update && !canUpdate.includes(name)) this.found.push(`${this.at} cannot update its own row ${name}`);
    }
    const canGiveAway = update && owned && hasRows ? await this.canMoveOwnRow(update) : false;
    const insert = permissionOf(this.model, "insert", this.role);
    const inserts = insert && owned ? await this.insertable(insert) : { canInsertOwn: insert ? true : undefined, canInsertForOthers: [] };
    if (isNew && inserts.canInsertOwn === false) this.found.push(`${this.at} cannot insert a row of its own`);
    return {
      result: { table: this.model.key, role: this.role, userId: this.userId, canRead, canUpdate, canDelete, canGiveAway, ...inserts },
      violations: this.found,
    };
  }

  private allowed(model: TableModel, owner: string | null): boolean {
    const rule = ruleOf(this.policy, model.key, this.role);
    if (!rule || rule.kind === "none") return false;
    return rule.kind === "public-read" || owner === this.userId;
  }

  private filterSql(model: TableModel, exp: unknown, alias: string, params: unknown[]): string {
    const t = boolExpToSql(exp ?? {}, {
      alias,
      ...boolExpTableOf(this.models, model),
      session: this.session,
      paramOffset: params.length,
    });
    params.push(...t.params);
    return t.sql;
  }

  /** Rows of this table the expression lets the session reach; each one its rule does not give it is a violation. */
  private async reached(verb: string, exp: unknown): Promise<string[]> {
    const params: unknown[] = [];
    const where = this.filterSql(this.model, exp, "t", params);
    const rows = await this.rows(this.model, "t", `FROM ${this.model.qualified} AS t WHERE ${where}`, params);
    for (const row of rows) if (!this.allowed(this.model, row.owner)) this.found.push(`${this.at} can ${verb} ${row.label}`);
    return rows.map((r) => r.name).sort();
  }

  /** Rows of `model` aliased `alias` selected by `from` (a FROM … WHERE …), named as the seeder knows them. */
  private async rows(model: TableModel, alias: string, from: string, params: unknown[]): Promise<SeededRow[]> {
    const key = model.primaryKey.map((c) => `${alias}.${quoteIdent(c)}`).join(", ");
    const { rows } = await this.client.query<{ pk: unknown[]; owner: string | null }>(
      `SELECT DISTINCT json_build_array(${key})::text AS pk, (${rowOwnerSql(this.models, this.policy, model, alias)})::text AS owner ${from}`,
      params,
    );
    return rows
      .map((r) => this.seeder.named(model, JSON.parse(r.pk as unknown as string) as unknown[], r.owner))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A row reached through a relationship obeys the target's select permission and must obey its rule. */
  private async throughRelationships(filter: unknown): Promise<void> {
    for (const rel of this.model.relationships) {
      const target = this.models.find((m) => m.key === rel.target);
      const targetSelect = target && permissionOf(target, "select", this.role);
      if (!target || !targetSelect || target.primaryKey.length === 0) continue;
      const params: unknown[] = [];
      const mine = this.filterSql(this.model, filter, "t", params);
      const theirs = this.filterSql(target, targetSelect.filter, "r", params);
      const join = rel.on.map(([l, r]) => `r.${quoteIdent(r)} = t.${quoteIdent(l)}`).join(" AND ");
      const rows = await this.rows(
        target,
        "r",
        `FROM ${this.model.qualified} AS t JOIN ${target.qualified} AS r ON ${join} WHERE ${mine} AND ${theirs}`,
        params,
      );
      for (const row of rows) {
        if (!this.allowed(target, row.owner)) this.found.push(`${this.at} can reach ${row.label} through ${this.model.rootName}.${rel.name}`);
      }
    }
  }

  /** Rows the filter lets the session update and whose updated row still passes the check (a no-op update). */
  private async updatable(perm: Permission): Promise<string[]> {
    const ownership = ownershipOf(this.model, this.policy);
    const fixed = new Set([...(ownership?.columns ?? []), ...this.model.primaryKey]);
    const allowed = allowedColumns(this.model, perm);
    const target = allowed.find((c) => !fixed.has(c)) ?? allowed[0];
    if (target === undefined) return [];
    const params: unknown[] = [];
    const where = this.filterSql(this.model, perm.filter, "t", params);
    const check = this.filterSql(this.model, perm.check ?? {}, "t", params);
    return this.savepoint(async () => {
      const { rows } = await this.client.query<{ pk: string; ok: boolean }>(
        `UPDATE ${this.model.qualified} AS t SET ${quoteIdent(target)} = t.${quoteIdent(target)} WHERE ${where}
         RETURNING json_build_array(${this.model.primaryKey.map((c) => `t.${quoteIdent(c)}`).join(", ")})::text AS pk, (${check}) AS ok`,
        params,
      );
      const names: string[] = [];
      for (const r of rows.filter((row) => row.ok).sort((a, b) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0))) {
        const pk = JSON.parse(r.pk) as unknown[];
        const row = this.seeder.named(this.model, pk, await this.ownerOfRow(pk));
        if (!this.allowed(this.model, row.owner)) this.found.push(`${this.at} can update ${row.label}`);
        names.push(row.name);
      }
      return names.sort();
    });
  }

  private async ownerOfRow(pk: unknown[]): Promise<string | null> {
    const where = this.model.primaryKey.map((c, i) => `o.${quoteIdent(c)} = $${i + 1}`).join(" AND ");
    const { rows } = await this.client.query<{ owner: string | null }>(
      `SELECT (${rowOwnerSql(this.models, this.policy, this.model, "o")})::text AS owner FROM ${this.model.qualified} AS o WHERE ${where}`,
      pk,
    );
    return rows[0]?.owner ?? null;
  }

  /**
   * Whether an update may hand the session's own row to another owner: set the owner column (owner rule)
   * or the first relationship's columns (owner_via) to what another user's row holds, and see whether the
   * filter and the check let it through (Hasura's docs: "deny updates to columns that will determine the
   * row ownership").
   */
  private async canMoveOwnRow(perm: Permission): Promise<boolean> {
    const ownership = ownershipOf(this.model, this.policy);
    const mine = this.seeder.ownRows(this.model, this.userId)[0];
    const other = this.users.find((u) => u !== this.userId && this.seeder.ownRows(this.model, u).length > 0);
    if (!ownership || !mine || !other) return false;
    const movable = ownership.columns.filter((c) => allowedColumns(this.model, perm).includes(c) && !(c in (perm.set ?? {})));
    if (movable.length === 0) return false;
    const theirs =
      ownership.kind === "column"
        ? { [ownership.columns[0] as string]: `${this.userId}-given-away` }
        : await this.seeder.parentValues(this.model, other);
    const params: unknown[] = [];
    const sets = movable.map((c) => `${quoteIdent(c)} = $${params.push(theirs[c])}`);
    const pkWhere = this.model.primaryKey.map((c, i) => `t.${quoteIdent(c)} = $${params.push(mine.pk[i])}`).join(" AND ");
    const where = this.filterSql(this.model, perm.filter, "t", params);
    const check = this.filterSql(this.model, perm.check ?? {}, "t", params);
    const moved = await this.savepoint(async () => {
      // Another user's owner row may have to exist for the foreign key (e.g. users for notes.owner_id).
      if (ownership.kind === "column") await this.seeder.ensureOwnerParents(this.model, `${this.userId}-given-away`);
      const { rows } = await this.client.query<{ ok: boolean }>(
        `UPDATE ${this.model.qualified} AS t SET ${sets.join(", ")} WHERE ${pkWhere} AND ${where} RETURNING (${check}) AS ok`,
        params,
      );
      return rows.some((r) => r.ok);
    }, false);
    if (moved) {
      const how = ownership.kind === "column" ? `${movable.join(", ")} is updatable` : `${movable.join(", ")} can point at ${other}'s row`;
      this.found.push(`${this.at} can move its own row to another owner (${how} and no check stops it)`);
    }
    return moved;
  }

  /** Whether the session may insert a row of its own, and for which other owners it could insert one. */
  private async insertable(perm: Permission): Promise<Pick<SessionResult, "canInsertOwn" | "canInsertForOthers">> {
    const ownership = ownershipOf(this.model, this.policy);
    if (!ownership) return { canInsertOwn: true, canInsertForOthers: [] };
    const presets = perm.set ?? {};
    const clientSets = ownership.columns.every((c) => allowedColumns(this.model, perm).includes(c) && !(c in presets));
    const tryInsert = (owner: string) =>
      this.savepoint(async () => {
        const values = await this.seeder.valuesFor(this.model, owner, { freeOwnRow: true });
        for (const [column, value] of Object.entries(presets)) values[column] = isSessionVariable(value) ? this.session[value.toLowerCase()] : value;
        const names = Object.keys(values);
        const params = Object.values(values);
        const check = this.filterSql(this.model, perm.check ?? {}, "t", params);
        const { rows } = await this.client.query<{ owner: string | null; ok: boolean }>(
          `INSERT INTO ${this.model.qualified} AS t (${names.map(quoteIdent).join(", ")}) VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")})
           ON CONFLICT DO NOTHING RETURNING (${rowOwnerSql(this.models, this.policy, this.model, "t")})::text AS owner, (${check}) AS ok`,
          params,
        );
        return rows.length === 1 && rows[0]?.ok === true && rows[0].owner === owner;
      }, false);
    const others: string[] = [];
    if (clientSets) {
      for (const other of [`${this.userId}-impostor`, ...this.users.filter((u) => u !== this.userId)]) {
        if (await tryInsert(other)) {
          others.push(other);
          this.found.push(`${this.at} can insert a row for ${other}`);
        }
      }
    }
    return { canInsertOwn: await tryInsert(this.userId), canInsertForOthers: others };
  }

  /** Runs `work` in a savepoint that is always rolled back; a database error gives `onError` (or rethrows). */
  private async savepoint<T>(work: () => Promise<T>, onError?: T): Promise<T> {
    await this.client.query("SAVEPOINT proof_step");
    const restore = this.seeder.mark();
    try {
      return await work();
    } catch (err) {
      if (onError === undefined || typeof (err as { code?: unknown }).code !== "string") throw err;
      return onError;
    } finally {
      await this.client.query("ROLLBACK TO SAVEPOINT proof_step");
      restore();
    }
  }
}

/** The proof as lines a person reads: one per table, role and session. */
export function formatProof(result: ProofResult): string[] {
  const list = (names: string[]) => (names.length === 0 ? "nothing" : names.join(", "));
  const lines = [`Permission proof on ${result.tables.join(", ")} (every rule in metadata/access.yaml):`];
  for (const s of result.sessions) {
    const insert = s.canInsertOwn === undefined ? "no insert permission" : s.canInsertOwn ? "can insert its own row" : "cannot insert its own row";
    const deletes = s.canDelete.length > 0 ? `; deletes ${list(s.canDelete)}` : "";
    lines.push(`  ${s.table} role ${s.role} as ${s.userId}: reads ${list(s.canRead)}; updates ${list(s.canUpdate)}${deletes}; ${insert}`);
  }
  lines.push(
    result.violations.length === 0 ? "OK: every session reaches exactly the rows its rule gives it." : `VIOLATIONS (${result.violations.length}):`,
  );
  for (const v of result.violations) lines.push(`  - ${v}`);
  return lines;
}

export { describeRule };

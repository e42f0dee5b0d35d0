// The permission proof: evaluates each role's select/update/insert rules on a real PostgreSQL, against
// seeded rows, for several sessions, and reports who can read, update and insert which row. The access
// rule this project promises is "a user reaches exactly its own row": anything else is a violation.
// Everything runs in one transaction that is rolled back: the database is left as it was.
import type pg from "pg";
import { boolExpToSql, isSessionVariable } from "./bool-exp.js";
import type { Metadata, TableMetadata } from "./metadata.js";
import { tablesOf } from "./metadata.js";

/** The proof cannot run: the table is not in the metadata, or the database is not migrated. */
export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofError";
  }
}

export interface ProofOptions {
  /** `schema.table` of the owned table. Default `public.users`. */
  table?: string;
  /** The column holding the owner's user id. Default `id`. */
  ownerColumn?: string;
  /** Users with a seeded row. Default two. */
  seededUsers?: string[];
  /** A user with no row yet (first sign-in). */
  newUser?: string;
}

export interface SessionResult {
  role: string;
  userId: string;
  canRead: string[];
  canUpdate: string[];
  /** Whether the session may insert its own row (undefined: the role has no insert permission). */
  canInsertOwn: boolean | undefined;
  /** Rows owned by others the session could insert, if the client may set the owner column. */
  canInsertForOthers: string[];
  /** Whether the session may set its own row's owner column to someone else. */
  canGiveAway: boolean;
}

export interface ProofResult {
  table: string;
  sessions: SessionResult[];
  violations: string[];
}

export async function provePermissions(client: pg.Client, metadata: Metadata, options: ProofOptions = {}): Promise<ProofResult> {
  const tableName = options.table ?? "public.users";
  const owner = options.ownerColumn ?? "id";
  const seeded = options.seededUsers ?? ["proof-user-alice", "proof-user-bob"];
  const newUser = options.newUser ?? "proof-user-carol";
  const entry = tablesOf(metadata).find(({ table }) => `${table.table.schema}.${table.table.name}` === tableName);
  if (!entry) throw new ProofError(`The metadata has no table ${tableName}; track it in metadata/databases/default/tables/`);
  const table = entry.table;
  const qualified = `"${table.table.schema}"."${table.table.name}"`;

  await client.query("BEGIN");
  try {
    const { rows: cols } = await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
      [table.table.schema, table.table.name],
    );
    const columns = cols.map((c) => c.column_name);
    if (columns.length === 0) throw new ProofError(`${tableName} does not exist in this database; run the migrations first (npm run migrate -- up)`);
    if (!columns.includes(owner)) throw new ProofError(`${tableName} has no column ${owner}; run the migrations first (npm run migrate -- up)`);
    // The users' own rows: only the owner column set, the others at their defaults (or null).
    for (const user of seeded) await client.query(`INSERT INTO ${qualified} ("${owner}") VALUES ($1)`, [user]);
    // Probe rows owned by nobody in the proof, each with one other column at a value some branch of a
    // permission compares it with: a filter such as `_or: [{id: own}, {name: {_eq: "public"}}]` leaks
    // only to a row whose name is "public", so such a row must exist for the proof to see the leak.
    const probes = await seedProbes(client, qualified, owner, table, columns, [...seeded, newUser]);

    const roles = new Set<string>([
      ...(table.select_permissions ?? []).map((p) => p.role),
      ...(table.update_permissions ?? []).map((p) => p.role),
      ...(table.insert_permissions ?? []).map((p) => p.role),
      ...(table.delete_permissions ?? []).map((p) => p.role),
    ]);
    const sessions: SessionResult[] = [];
    const violations: string[] = [];
    for (const role of [...roles].sort()) {
      for (const delPerm of (table.delete_permissions ?? []).filter((p) => p.role === role)) {
        violations.push(
          `role ${role} has a delete permission on ${tableName} (filter ${JSON.stringify(delPerm.permission.filter)}); users may not delete rows`,
        );
      }
      for (const userId of [...seeded, newUser]) {
        const ctx: SessionContext = {
          client,
          table,
          role,
          qualified,
          owner,
          columns,
          session: { "x-hasura-role": role, "x-hasura-user-id": userId },
        };
        const result: SessionResult = {
          role,
          userId,
          canRead: await readable(ctx),
          canUpdate: await updatable(ctx),
          canGiveAway: await ownerMovable(ctx),
          ...(await insertable(ctx, [...seeded, newUser])),
        };
        sessions.push(result);
        const own = seeded.includes(userId) ? [userId] : [];
        const as = `role ${role} as ${userId}`;
        const row = (id: string) => (probes.has(id) ? `the row ${id} (${probes.get(id)})` : `${id}'s row`);
        for (const id of result.canRead.filter((id) => id !== userId)) violations.push(`${as} can read ${row(id)}`);
        for (const id of result.canUpdate.filter((id) => id !== userId)) violations.push(`${as} can update ${row(id)}`);
        if (result.canGiveAway) violations.push(`${as} can move its own row to another owner (${owner} is updatable and no check stops it)`);
        for (const id of result.canInsertForOthers) violations.push(`${as} can insert a row for ${id}`);
        if (hasPermission(table.select_permissions, role) && own.length > 0 && !result.canRead.includes(userId)) {
          violations.push(`${as} cannot read its own row`);
        }
        if (hasPermission(table.update_permissions, role) && own.length > 0 && !result.canUpdate.includes(userId)) {
          violations.push(`${as} cannot update its own row`);
        }
        if (userId === newUser && result.canInsertOwn === false) violations.push(`${as} cannot insert its own row`);
      }
    }
    return { table: tableName, sessions, violations };
  } finally {
    await client.query("ROLLBACK");
  }
}

function hasPermission(list: Array<{ role: string }> | undefined, role: string): boolean {
  return (list ?? []).some((p) => p.role === role);
}

/** One role acting as one user on the owned table. */
interface SessionContext {
  client: pg.Client;
  table: TableMetadata;
  role: string;
  /** `"schema"."table"` */
  qualified: string;
  owner: string;
  columns: string[];
  session: Record<string, string>;
}

async function readable({ client, table, role, qualified, owner, columns, session }: SessionContext): Promise<string[]> {
  const perm = table.select_permissions?.find((p) => p.role === role)?.permission;
  if (!perm) return [];
  const filter = boolExpToSql(perm.filter, { alias: "t", columns, session });
  const { rows } = await client.query<{ owner: string }>(
    `SELECT t."${owner}" AS owner FROM ${qualified} AS t WHERE ${filter.sql} ORDER BY 1`,
    filter.params,
  );
  return rows.map((r) => r.owner);
}

/** Rows the filter lets the session update and whose updated row still passes the check. */
async function updatable({ client, table, role, qualified, owner, columns, session }: SessionContext): Promise<string[]> {
  const perm = table.update_permissions?.find((p) => p.role === role)?.permission;
  if (!perm) return [];
  const allowed = perm.columns === "*" ? columns : perm.columns;
  const target = allowed.find((c) => c !== owner) ?? allowed[0];
  if (target === undefined) return [];
  const filter = boolExpToSql(perm.filter, { alias: "t", columns, session });
  const check = boolExpToSql(perm.check ?? {}, { alias: "t", columns, session, paramOffset: filter.params.length });
  // A no-op update of an allowed column, so RETURNING evaluates the check on the row as updated.
  await client.query("SAVEPOINT proof_update");
  try {
    const { rows } = await client.query<{ owner: string; ok: boolean }>(
      `UPDATE ${qualified} AS t SET "${target}" = t."${target}" WHERE ${filter.sql} RETURNING t."${owner}" AS owner, (${check.sql}) AS ok`,
      [...filter.params, ...check.params],
    );
    return rows
      .filter((r) => r.ok)
      .map((r) => r.owner)
      .sort();
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT proof_update");
  }
}

/**
 * Whether an update may change the owner column of the session's own row to another user: an
 * updatable ownership column without a `check` hands the row to anyone (Hasura's docs: "deny updates
 * to columns that will determine the row ownership").
 */
async function ownerMovable({ client, table, role, qualified, owner, columns, session }: SessionContext): Promise<boolean> {
  const perm = table.update_permissions?.find((p) => p.role === role)?.permission;
  const self = session["x-hasura-user-id"] as string;
  if (!perm || !(perm.columns === "*" || perm.columns.includes(owner))) return false;
  // A preset on the owner column wins over what the client sends: the row cannot move.
  if (owner in (perm.set ?? {})) return false;
  const filter = boolExpToSql(perm.filter, { alias: "t", columns, session, paramOffset: 2 });
  const check = boolExpToSql(perm.check ?? {}, { alias: "t", columns, session, paramOffset: 2 + filter.params.length });
  await client.query("SAVEPOINT proof_move");
  try {
    const { rows } = await client.query<{ ok: boolean }>(
      `UPDATE ${qualified} AS t SET "${owner}" = $1 WHERE t."${owner}" = $2 AND ${filter.sql} RETURNING (${check.sql}) AS ok`,
      [`${self}-given-away`, self, ...filter.params, ...check.params],
    );
    return rows.some((r) => r.ok);
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT proof_move");
  }
}

/**
 * Probe rows: for each column a permission expression compares (other than the owner), a row with
 * that column at each value the expressions name (their literals, numeric neighbours for ranges,
 * each user's id where a session variable is compared) and one with it NULL. A value the column's
 * type refuses is skipped: no row could hold it. Returns each probe's owner id with what it holds.
 */
async function seedProbes(
  client: pg.Client,
  qualified: string,
  owner: string,
  table: TableMetadata,
  columns: string[],
  users: string[],
): Promise<Map<string, string>> {
  const expressions = [
    ...(table.select_permissions ?? []).map((p) => p.permission.filter),
    ...(table.update_permissions ?? []).flatMap((p) => [p.permission.filter, p.permission.check]),
    ...(table.insert_permissions ?? []).map((p) => p.permission.check),
    ...(table.delete_permissions ?? []).map((p) => p.permission.filter),
  ];
  const values = new Map<string, unknown[]>();
  const add = (column: string, value: unknown) => {
    if (column === owner || !columns.includes(column)) return;
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
  expressions.forEach(walk);
  const probes = new Map<string, string>();
  let n = 0;
  for (const [column, list] of values) {
    for (const value of list) {
      n += 1;
      const id = `proof-probe-${n}`;
      await client.query("SAVEPOINT proof_probe");
      try {
        await client.query(`INSERT INTO ${qualified} ("${owner}", "${column}") VALUES ($1, $2)`, [id, value]);
        await client.query("RELEASE SAVEPOINT proof_probe");
        probes.set(id, `${column} = ${value === null ? "NULL" : JSON.stringify(value)}`);
      } catch {
        await client.query("ROLLBACK TO SAVEPOINT proof_probe");
      }
    }
  }
  return probes;
}

/** Whether the session may insert its own row, and rows for others it could insert. */
async function insertable(
  { client, table, role, qualified, owner, columns, session }: SessionContext,
  users: string[],
): Promise<Pick<SessionResult, "canInsertOwn" | "canInsertForOthers">> {
  const perm = table.insert_permissions?.find((p) => p.role === role)?.permission;
  if (!perm) return { canInsertOwn: undefined, canInsertForOthers: [] };
  const allowed = perm.columns === "*" ? columns : perm.columns;
  const preset = perm.set ?? {};
  const presetValue = (value: unknown) => (isSessionVariable(value) ? session[value.toLowerCase()] : value);
  const ownerPreset = owner in preset;
  const clientSetsOwner = allowed.includes(owner) && !ownerPreset;

  const tryInsert = async (ownerValue: string): Promise<boolean> => {
    const values: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(preset)) values[column] = presetValue(value);
    if (!ownerPreset) values[owner] = ownerValue;
    const names = Object.keys(values);
    const check = boolExpToSql(perm.check, { alias: "t", columns, session, paramOffset: names.length });
    await client.query("SAVEPOINT proof_insert");
    try {
      const { rows } = await client.query<{ owner: string; ok: boolean }>(
        `INSERT INTO ${qualified} AS t (${names.map((n) => `"${n}"`).join(", ")}) VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")})
         ON CONFLICT DO NOTHING RETURNING t."${owner}" AS owner, (${check.sql}) AS ok`,
        [...Object.values(values), ...check.params],
      );
      return rows.length === 1 && rows[0]?.ok === true && rows[0].owner === ownerValue;
    } finally {
      await client.query("ROLLBACK TO SAVEPOINT proof_insert");
    }
  };

  const self = session["x-hasura-user-id"] as string;
  const others: string[] = [];
  if (clientSetsOwner) {
    // Rows for other users that do not exist yet: an attacker's insert would create them.
    for (const other of [`${self}-impostor`, ...users.filter((u) => u !== self)]) {
      await client.query("SAVEPOINT proof_free");
      await client.query(`DELETE FROM ${qualified} WHERE "${owner}" = $1`, [other]);
      if (await tryInsert(other)) others.push(other);
      await client.query("ROLLBACK TO SAVEPOINT proof_free");
    }
  }
  await client.query("SAVEPOINT proof_self");
  await client.query(`DELETE FROM ${qualified} WHERE "${owner}" = $1`, [self]);
  const canInsertOwn = await tryInsert(self);
  await client.query("ROLLBACK TO SAVEPOINT proof_self");
  return { canInsertOwn, canInsertForOthers: others };
}

/** The proof as lines a person reads: one per role and session. */
export function formatProof(result: ProofResult): string[] {
  const list = (ids: string[]) => (ids.length === 0 ? "nothing" : ids.join(", "));
  const lines = [
    `Permission proof on ${result.table} (rows seeded for ${[...new Set(result.sessions.map((s) => s.userId))].slice(0, -1).join(", ")}):`,
  ];
  for (const s of result.sessions) {
    const insert = s.canInsertOwn === undefined ? "no insert permission" : s.canInsertOwn ? "can insert its own row" : "cannot insert its own row";
    lines.push(`  role ${s.role} as ${s.userId}: reads ${list(s.canRead)}; updates ${list(s.canUpdate)}; ${insert}`);
  }
  lines.push(result.violations.length === 0 ? "OK: every session reaches exactly its own row." : `VIOLATIONS (${result.violations.length}):`);
  for (const v of result.violations) lines.push(`  - ${v}`);
  return lines;
}

// Offline validation of metadata/ against the database the migrations built: every table and column a
// permission names exists, session variables are well-formed, no non-admin role sees every row, the
// ownership (primary key) column is never client-writable. Returns every problem, not the first.
import type pg from "pg";
import { BoolExpError, boolExpToSql, columnsIn, sessionVariablesIn } from "./bool-exp.js";
import type { BoolExp, Metadata } from "./metadata.js";
import { tablesOf } from "./metadata.js";

const WELL_FORMED_SESSION_VARIABLE = /^x-hasura-[a-z0-9]+(-[a-z0-9]+)*$/i;

export async function checkMetadata(metadata: Metadata, client: pg.Client): Promise<string[]> {
  const problems: string[] = [];
  for (const { table } of tablesOf(metadata)) {
    const name = `${table.table.schema}.${table.table.name}`;
    const { rows } = await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
      [table.table.schema, table.table.name],
    );
    if (rows.length === 0) {
      problems.push(`${name}: table does not exist in the database (run the migrations first)`);
      continue;
    }
    const columns = rows.map((r) => r.column_name);
    const { rows: keyRows } = await client.query<{ column_name: string }>(
      `SELECT kcu.column_name FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
        WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = $1 AND tc.table_name = $2`,
      [table.table.schema, table.table.name],
    );
    const primaryKey = keyRows.map((r) => r.column_name);

    const perms: Array<{
      kind: string;
      role: string;
      columns?: string[] | "*";
      exps: Record<string, BoolExp | null | undefined>;
      set?: Record<string, unknown>;
    }> = [
      ...(table.select_permissions ?? []).map((p) => ({
        kind: "select",
        role: p.role,
        columns: p.permission.columns,
        exps: { filter: p.permission.filter },
      })),
      ...(table.insert_permissions ?? []).map((p) => ({
        kind: "insert",
        role: p.role,
        columns: p.permission.columns,
        exps: { check: p.permission.check },
        set: p.permission.set,
      })),
      ...(table.update_permissions ?? []).map((p) => ({
        kind: "update",
        role: p.role,
        columns: p.permission.columns,
        exps: { filter: p.permission.filter, check: p.permission.check },
        set: p.permission.set,
      })),
      ...(table.delete_permissions ?? []).map((p) => ({ kind: "delete", role: p.role, exps: { filter: p.permission.filter } })),
    ];

    for (const perm of perms) {
      const where = `${name}: ${perm.kind} permission for role ${perm.role}`;
      const listed = perm.columns === "*" ? columns : (perm.columns ?? []);
      for (const column of listed) if (!columns.includes(column)) problems.push(`${where} names column ${column}, which ${name} does not have`);
      for (const column of Object.keys(perm.set ?? {}))
        if (!columns.includes(column)) problems.push(`${where} presets column ${column}, which ${name} does not have`);
      for (const variable of sessionVariablesIn([perm.exps, perm.set])) {
        if (!WELL_FORMED_SESSION_VARIABLE.test(variable))
          problems.push(`${where} uses session variable "${variable}", which is not well-formed (x-hasura-<name>)`);
      }
      for (const [label, exp] of Object.entries(perm.exps)) {
        if (exp === undefined || exp === null) continue;
        for (const column of columnsIn(exp)) {
          if (!columns.includes(column)) problems.push(`${where} has a ${label} on column ${column}, which ${name} does not have`);
        }
        if (perm.role !== "admin" && label === "filter" && Object.keys(exp).length === 0) {
          problems.push(`${where} has an empty filter: it reaches every row`);
        }
        if (perm.role !== "admin" && perm.kind === "insert" && Object.keys(exp).length === 0) {
          problems.push(`${where} has an empty check: it may insert any row`);
        }
        try {
          const dummySession = Object.fromEntries(sessionVariablesIn(exp).map((v) => [v.toLowerCase(), "x"]));
          boolExpToSql(exp, { alias: "t", columns, session: dummySession });
        } catch (err) {
          if (!(err instanceof BoolExpError)) throw err;
          problems.push(`${where}: ${label} cannot be evaluated: ${err.message}`);
        }
      }
      if (perm.role !== "admin" && perm.kind === "update") {
        for (const key of primaryKey.filter((k) => listed.includes(k))) {
          problems.push(`${where} lets it change ${key}, the primary key that marks whose row it is; remove it from columns`);
        }
      }
      if (perm.role !== "admin" && perm.kind === "insert") {
        for (const key of primaryKey.filter((k) => listed.includes(k) && !(k in (perm.set ?? {})))) {
          problems.push(`${where} lets the client choose ${key}; preset it from the session instead (set: {${key}: X-Hasura-User-Id})`);
        }
      }
    }
  }
  return problems;
}

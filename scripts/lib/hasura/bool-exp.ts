// Hasura boolean expressions (permission filters and checks) translated to SQL, so a permission can
// be evaluated on a real PostgreSQL without a Hasura server. Supported: column comparisons with
// literals or session variables, _is_null, _in/_nin, _and/_or/_not, and relationships (a key naming an
// object or array relationship holds an expression over the related table, true when some related row
// satisfies it: Hasura's docs, "Using relationships or nested objects" in
// docs/docs/auth/authorization/permissions/row-level-permissions.mdx). Anything else (_exists, column
// operators like _ceq, JSON and text operators, computed fields) is an error, never a pass: a proof that
// skips what it does not understand proves nothing.
// Semantics follow Hasura v2: several keys in one object are ANDed; `{}` is true; `_and: []` is true;
// `_or: []` is false; session variable names are case-insensitive and their values are text that
// PostgreSQL casts to the column's type.
import { ExpectedFailure } from "../../../core/expected-failure.js";

export class BoolExpError extends ExpectedFailure {}

const COMPARISON: Record<string, string> = { _eq: "=", _neq: "<>", _gt: ">", _gte: ">=", _lt: "<", _lte: "<=" };
export const SUPPORTED_OPERATORS = [...Object.keys(COMPARISON), "_in", "_nin", "_is_null", "_and", "_or", "_not"];

const SESSION_VARIABLE = /^x-hasura-/i;

export function isSessionVariable(value: unknown): value is string {
  return typeof value === "string" && SESSION_VARIABLE.test(value);
}

/** A table as an expression sees it: its columns, and the relationships that lead to other tables. */
export interface BoolExpTable {
  columns: readonly string[];
  relationship?: (name: string) => { qualified: string; table: BoolExpTable; on: ReadonlyArray<readonly [string, string]> } | undefined;
}

export interface TranslatedExp {
  sql: string;
  params: unknown[];
}

/**
 * SQL for `exp` over a row aliased `alias`, with `session` (keys lower-case) supplying session
 * variables. `columns` are the table's real columns: any other key is an error.
 */
export function boolExpToSql(
  exp: unknown,
  options: {
    alias: string;
    columns: readonly string[];
    session: Record<string, string>;
    paramOffset?: number;
    /** false for a client's `where` argument: there an "X-Hasura-…" string is a plain literal. */
    sessionVariables?: boolean;
    /** The relationships of the table `columns` belong to; without it a relationship is an unknown key. */
    relationship?: BoolExpTable["relationship"];
  },
): TranslatedExp {
  const isVariable = (value: unknown): value is string => options.sessionVariables !== false && isSessionVariable(value);
  const params: unknown[] = [];
  const offset = options.paramOffset ?? 0;
  const param = (value: unknown): string => {
    params.push(value);
    return `$${offset + params.length}`;
  };
  const operand = (value: unknown, where: string): string => {
    if (value === null) {
      throw new BoolExpError(`${where}: a null operand is not supported (Hasura treats {_eq: null} specially); use _is_null`);
    }
    if (isVariable(value)) {
      const name = value.toLowerCase();
      if (!(name in options.session)) throw new BoolExpError(`${where}: missing session variable: "${name}"`);
      return param(options.session[name]);
    }
    if (typeof value === "object") throw new BoolExpError(`${where}: operand ${JSON.stringify(value)} is not a literal or session variable`);
    return param(value);
  };
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  let aliases = 0;

  const translate = (e: unknown, where: string, table: BoolExpTable = options, alias = options.alias): string => {
    if (e === null || typeof e !== "object" || Array.isArray(e)) {
      throw new BoolExpError(`${where}: expected an object, got ${JSON.stringify(e)}`);
    }
    const parts: string[] = [];
    for (const [key, value] of Object.entries(e as Record<string, unknown>)) {
      const here = `${where}.${key}`;
      if (key === "_and" || key === "_or") {
        if (!Array.isArray(value)) throw new BoolExpError(`${here}: expected a list`);
        const inner = value.map((v, i) => translate(v, `${here}[${i}]`, table, alias));
        parts.push(inner.length === 0 ? (key === "_and" ? "TRUE" : "FALSE") : `(${inner.join(key === "_and" ? " AND " : " OR ")})`);
      } else if (key === "_not") {
        parts.push(`NOT (${translate(value, here, table, alias)})`);
      } else if (key.startsWith("_")) {
        throw new BoolExpError(`${here}: unknown operator ${key} (supported: ${SUPPORTED_OPERATORS.join(" ")})`);
      } else if (table.columns.includes(key)) {
        parts.push(columnExp(`${alias}.${quote(key)}`, value, here));
      } else {
        const related = table.relationship?.(key);
        if (!related) {
          throw new BoolExpError(`"${key}" is not a column or relationship of the table (computed fields are not supported)`);
        }
        // Some related row satisfies the inner expression (object and array relationships alike).
        aliases += 1;
        const inner = `${options.alias}_r${aliases}`;
        const join = related.on.map(([mine, theirs]) => `${inner}.${quote(theirs)} = ${alias}.${quote(mine)}`).join(" AND ");
        parts.push(`EXISTS (SELECT 1 FROM ${related.qualified} AS ${inner} WHERE ${join} AND ${translate(value, here, related.table, inner)})`);
      }
    }
    return parts.length === 0 ? "TRUE" : parts.length === 1 ? (parts[0] as string) : `(${parts.join(" AND ")})`;
  };

  const columnExp = (col: string, ops: unknown, where: string): string => {
    if (ops === null || typeof ops !== "object" || Array.isArray(ops)) {
      throw new BoolExpError(`${where}: expected {operator: value}, got ${JSON.stringify(ops)}`);
    }
    const parts = Object.entries(ops as Record<string, unknown>).map(([op, value]) => {
      const here = `${where}.${op}`;
      if (op in COMPARISON) return `${col} ${COMPARISON[op]} ${operand(value, here)}`;
      if (op === "_is_null") {
        if (typeof value !== "boolean") throw new BoolExpError(`${here}: expected true or false`);
        return `${col} IS ${value ? "" : "NOT "}NULL`;
      }
      if (op === "_in" || op === "_nin") {
        // A session variable holds a PostgreSQL array literal, e.g. "{a,b}".
        const list = isVariable(value)
          ? `SELECT unnest(CAST(${operand(value, here)} AS text[]))`
          : Array.isArray(value)
            ? value.map((v, i) => operand(v, `${here}[${i}]`)).join(", ")
            : (() => {
                throw new BoolExpError(`${here}: expected a list or a session variable`);
              })();
        if (Array.isArray(value) && value.length === 0) return op === "_in" ? "FALSE" : "TRUE";
        const test = isVariable(value) ? `${col}::text IN (${list})` : `${col} IN (${list})`;
        return op === "_in" ? test : `NOT (${test})`;
      }
      throw new BoolExpError(`${here}: unknown operator ${op} (supported: ${SUPPORTED_OPERATORS.join(" ")})`);
    });
    return parts.length === 0 ? "TRUE" : parts.length === 1 ? (parts[0] as string) : `(${parts.join(" AND ")})`;
  };

  return { sql: translate(exp, "$"), params };
}

/** Every session variable an expression or preset mentions, as written. */
export function sessionVariablesIn(value: unknown): string[] {
  if (isSessionVariable(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(sessionVariablesIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(sessionVariablesIn);
  return [];
}

/** Every column an expression compares (object keys that are not operators). */
export function columnsIn(exp: unknown): string[] {
  if (Array.isArray(exp)) return exp.flatMap(columnsIn);
  if (!exp || typeof exp !== "object") return [];
  return Object.entries(exp as Record<string, unknown>).flatMap(([k, v]) => (k.startsWith("_") ? columnsIn(v) : [k]));
}

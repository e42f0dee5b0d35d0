// GraphQL over the tracked tables, answered from a real PostgreSQL under the permissions of the
// metadata the stand-in holds: the subset of Hasura v2's generated schema this project uses
// (`<t>`, `<t>_by_pk`, `<t>_aggregate { aggregate { count } nodes }`, object and array relationships in
// a selection, `insert_<t>`, `insert_<t>_one`, `update_<t>`, `update_<t>_by_pk`, `delete_<t>`,
// `delete_<t>_by_pk`, with where/order_by/limit/offset/_set/object(s)), and the same query fields as
// subscriptions (subscription_root mirrors query_root for tables). Filters, checks
// and presets go through the same bool-exp translation as `npm run permissions`; nothing here knows
// which rows belong to whom. Rules follow Hasura's docs: a role sees only fields its permissions
// grant ("field 'x' not found in type: 'query_root'", validation-failed); `_by_pk`, `insert_<t>_one`
// and the by-pk mutations need a select permission too; a failed `check` is a permission-error and
// rolls the whole mutation back; every error is answered with HTTP 200; a relationship field exists only
// where the role may select the target table, whose filter applies to the rows it reaches; `_aggregate`
// exists only with allow_aggregations.
import { type DocumentNode, type FieldNode, Kind, type OperationDefinitionNode, parse, type SelectionSetNode, valueFromASTUntyped } from "graphql";
import type pg from "pg";
import { BoolExpError, boolExpToSql, isSessionVariable } from "../../../scripts/lib/hasura/bool-exp.js";
import type { Metadata } from "../../../scripts/lib/hasura/metadata.js";
import { boolExpTableOf, quoteIdent, readCatalog, schemaModel, type TableModel } from "../../../scripts/lib/hasura/schema-model.js";
import type { Session } from "./jwt.js";

export class GraphqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path = "$",
  ) {
    super(message);
  }
}

/** A tracked table as the executor needs it: the schema model, with its column names at hand. */
export interface TableInfo extends TableModel {
  columnNames: string[];
  /** Every table of the source, this one included: where permission expressions' relationships lead. */
  peers: TableInfo[];
}

/** The tracked tables of `metadata` as the database describes them (relationships resolved; SchemaModelError if one cannot be). */
export async function tableInfos(client: pg.ClientBase, metadata: Metadata): Promise<TableInfo[]> {
  const models = schemaModel(
    metadata.sources.flatMap((s) => s.tables),
    await readCatalog(client as unknown as Parameters<typeof readCatalog>[0]),
  );
  const infos: TableInfo[] = models.map((m) => ({ ...m, columnNames: m.columns.map((c) => c.name), peers: [] }));
  for (const info of infos) info.peers = infos;
  return infos;
}

type Access = { kind: "admin" } | { kind: "role"; session: Session };

interface Permission {
  columns: string[];
  filter: unknown;
  check?: unknown;
  set?: Record<string, unknown>;
  limit?: number;
  /** allow_aggregations: the role may use `<t>_aggregate`. */
  aggregations?: boolean;
}

/** Runs one GraphQL request; returns Hasura's `{data}` or `{errors}` body. */
export async function executeGraphql(
  pool: pg.Pool,
  tables: TableInfo[],
  access: Access,
  request: { query?: unknown; variables?: unknown; operationName?: unknown },
  transport: "http" | "websocket" = "http",
): Promise<Record<string, unknown>> {
  try {
    if (typeof request.query !== "string") throw new GraphqlError("validation-failed", "the key 'query' was not present", "$");
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (err) {
      throw new GraphqlError("validation-failed", `not a valid graphql query: ${(err as Error).message}`, "$.query");
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation =
      typeof request.operationName === "string"
        ? operations.find((o) => o.name?.value === request.operationName)
        : operations.length === 1
          ? operations[0]
          : undefined;
    if (!operation)
      throw new GraphqlError("validation-failed", "exactly one operation has to be present in the document when operationName is not specified", "$");
    if (operation.operation === "subscription" && transport === "http")
      throw new GraphqlError("validation-failed", "subscriptions are served over websockets only (graphql-transport-ws on /v1/graphql)", "$");
    const variables = (request.variables && typeof request.variables === "object" ? request.variables : {}) as Record<string, unknown>;
    const fields = rootFields(operation.selectionSet);
    const root = operation.operation === "mutation" ? "mutation_root" : operation.operation === "subscription" ? "subscription_root" : "query_root";
    const ctx: SelectContext = { tables, access, variables, params: [], aliases: 0 };
    const plans = fields.map((field) => plan(field, root, ctx));

    const client = await pool.connect();
    try {
      await client.query(operation.operation === "mutation" ? "BEGIN" : "BEGIN READ ONLY");
      const data: Record<string, unknown> = {};
      for (const p of plans) data[p.alias] = await p.run(client);
      await client.query("COMMIT");
      return { data };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  } catch (err) {
    if (err instanceof GraphqlError) return { errors: [{ message: err.message, extensions: { path: err.path, code: err.code } }] };
    const pgErr = err as { code?: string; message?: string };
    if (typeof pgErr.code === "string") {
      const code = pgErr.code === "23505" ? "constraint-violation" : pgErr.code === "42501" ? "permission-error" : "unexpected";
      return { errors: [{ message: code === "unexpected" ? "database query error" : (pgErr.message ?? ""), extensions: { path: "$", code } }] };
    }
    throw err;
  }
}

function rootFields(selectionSet: SelectionSetNode): FieldNode[] {
  return selectionSet.selections.map((s) => {
    if (s.kind !== Kind.FIELD) throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support fragments", "$");
    return s;
  });
}

interface Plan {
  alias: string;
  run(client: pg.PoolClient): Promise<unknown>;
}

const SUFFIXES = ["_by_pk", "_aggregate"] as const;

function plan(field: FieldNode, root: "query_root" | "mutation_root" | "subscription_root", ctx: SelectContext): Plan {
  const { tables, access, variables } = ctx;
  const name = field.name.value;
  const alias = field.alias?.value ?? name;
  const path = `$.selectionSet.${alias}`;
  const notFound = (): never => {
    throw new GraphqlError("validation-failed", `field '${name}' not found in type: '${root}'`, path);
  };
  if (name === "__typename") return { alias, run: async () => root };
  const args = Object.fromEntries((field.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, variables)])) as Record<
    string,
    unknown
  >;

  if (root !== "mutation_root") {
    const suffix = SUFFIXES.find((s) => name.endsWith(s));
    const table = tables.find((t) => t.rootName === (suffix ? name.slice(0, -suffix.length) : name)) ?? notFound();
    const select = permission(table, "select", access) ?? notFound();
    // Each root field starts its own parameter list: the plans run one after another.
    const fresh = () => ({ ...ctx, params: [] });
    if (suffix === "_aggregate") {
      if (access.kind !== "admin" && !select.aggregations) notFound();
      return { alias, run: (c) => aggregateRows(c, fresh(), table, select, args, field, path) };
    }
    if (suffix === "_by_pk") {
      if (!table.primaryKey.every((c) => select.columns.includes(c))) notFound();
      return {
        alias,
        run: (c) => selectRows(c, fresh(), table, select, pkWhere(table, args, path), {}, field, path).then((rows) => rows[0] ?? null),
      };
    }
    return { alias, run: (c) => selectRows(c, fresh(), table, select, args.where ?? {}, args, field, path) };
  }

  const match = /^(insert|update|delete)_(.+?)(_one|_by_pk)?$/.exec(name) ?? notFound();
  const [, verb, rest, suffix] = match as unknown as [string, "insert" | "update" | "delete", string, string | undefined];
  if ((verb === "insert" && suffix === "_by_pk") || (verb !== "insert" && suffix === "_one")) notFound();
  const table = tables.find((t) => t.rootName === rest) ?? notFound();
  const perm = permission(table, verb, access) ?? notFound();
  const select = permission(table, "select", access);
  // Single-row fields return the row, so they exist only with a select permission (hasura #4500, #5058).
  if (suffix && !select) notFound();
  const run = async (client: pg.PoolClient) => {
    if (verb === "insert") {
      const objects = suffix ? [args.object] : args.objects;
      if (args.on_conflict !== undefined)
        throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support on_conflict", `${path}.args.on_conflict`);
      const rows = await insertRows(client, table, perm, access, objects, `${path}.args.${suffix ? "object" : "objects"}`);
      return mutationAnswer(client, table, select, access, rows, field, path, Boolean(suffix));
    }
    const where = suffix ? pkWhere(table, verb === "update" ? ((args.pk_columns as Record<string, unknown>) ?? {}) : args, path) : (args.where ?? {});
    const rows =
      verb === "update"
        ? await updateRows(client, table, perm, access, where, args, path)
        : await deleteRows(client, table, perm, access, where, path);
    return mutationAnswer(client, table, select, access, rows, field, path, Boolean(suffix));
  };
  return { alias, run };
}

function permission(table: TableInfo, kind: "select" | "insert" | "update" | "delete", access: Access): Permission | undefined {
  if (access.kind === "admin") return { columns: table.columnNames, filter: {}, check: {} };
  const list = table.metadata[`${kind}_permissions`] as Array<{ role: string; permission: Record<string, unknown> }> | undefined;
  const entry = list?.find((p) => p.role === access.session.role)?.permission;
  if (!entry) return undefined;
  const columns = entry.columns === "*" ? table.columnNames : ((entry.columns as string[] | undefined) ?? []);
  return {
    columns,
    filter: entry.filter ?? {},
    ...(entry.check !== undefined && entry.check !== null ? { check: entry.check } : {}),
    ...(entry.set ? { set: entry.set as Record<string, unknown> } : {}),
    ...(typeof entry.limit === "number" ? { limit: entry.limit } : {}),
    ...(entry.allow_aggregations === true ? { aggregations: true } : {}),
  };
}

function sessionOf(access: Access): Record<string, string> {
  return access.kind === "admin" ? {} : access.session.variables;
}

/**
 * SQL for a permission's expression (session variables from the session; relationships followed, as
 * Hasura evaluates permission expressions without the target's permissions) or a client's `where`
 * (literals only; relationships in a client's where are not served by the stand-in).
 */
function condition(
  exp: unknown,
  table: TableInfo,
  columns: string[],
  access: Access,
  params: unknown[],
  from: "permission" | "client",
  path: string,
  alias = "t",
  tables: TableInfo[] = table.peers,
): string {
  try {
    const t = boolExpToSql(exp ?? {}, {
      alias,
      columns,
      ...(from === "permission" ? { relationship: boolExpTableOf(tables, table).relationship } : {}),
      session: sessionOf(access),
      paramOffset: params.length,
      sessionVariables: from === "permission",
    });
    params.push(...t.params);
    return t.sql;
  } catch (err) {
    if (!(err instanceof BoolExpError)) throw err;
    const missing = /missing session variable: "([^"]+)"/.exec(err.message);
    if (missing) throw new GraphqlError("not-found", `missing session variable: "${missing[1]}"`, "$");
    throw new GraphqlError("validation-failed", `${err.message} (in type '${table.rootName}_bool_exp')`, `${path}.args.where`);
  }
}

function pkWhere(table: TableInfo, args: Record<string, unknown>, path: string): Record<string, unknown> {
  return Object.fromEntries(
    table.primaryKey.map((col) => {
      if (args[col] === undefined || args[col] === null)
        throw new GraphqlError("validation-failed", `missing required field '${col}'`, `${path}.args`);
      return [col, { _eq: args[col] }];
    }),
  );
}

function selectedColumns(
  table: TableInfo,
  allowed: string[],
  selection: SelectionSetNode | undefined,
  path: string,
): Array<{ alias: string; column: string }> {
  if (!selection) throw new GraphqlError("validation-failed", `missing selection set for '${table.rootName}'`, path);
  return selection.selections.map((s) => {
    if (s.kind !== Kind.FIELD) throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support fragments", path);
    const column = s.name.value;
    if (column !== "__typename" && !allowed.includes(column)) {
      throw new GraphqlError(
        "validation-failed",
        `field '${column}' not found in type: '${table.rootName}'`,
        `${path}.selectionSet.${s.alias?.value ?? column}`,
      );
    }
    return { alias: s.alias?.value ?? column, column };
  });
}

/** What building a selection needs besides the table: every table (relationships), the caller, the variables, the parameters so far. */
interface SelectContext {
  tables: TableInfo[];
  access: Access;
  variables: Record<string, unknown>;
  params: unknown[];
  aliases: number;
}

/**
 * SQL for the JSON of the row aliased `alias`: the selected columns the permission allows, and each
 * relationship as a subquery on its target under the target's select permission (Hasura: a relationship
 * field exists only where the role may select the target, and the target's filter applies to what it reaches).
 */
function rowJson(
  ctx: SelectContext,
  table: TableInfo,
  select: Permission,
  selection: SelectionSetNode | undefined,
  alias: string,
  path: string,
): string {
  if (!selection) throw new GraphqlError("validation-failed", `missing selection set for '${table.rootName}'`, path);
  const parts = selection.selections.map((s) => {
    if (s.kind !== Kind.FIELD) throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support fragments", path);
    const name = s.name.value;
    const key = `'${(s.alias?.value ?? name).replace(/'/g, "''")}'`;
    const here = `${path}.selectionSet.${s.alias?.value ?? name}`;
    if (name === "__typename") return `${key}, '${table.rootName}'`;
    if (select.columns.includes(name)) return `${key}, ${alias}.${quoteIdent(name)}`;
    const rel = table.relationships.find((r) => r.name === name);
    const target = rel && ctx.tables.find((t) => t.key === rel.target);
    const targetSelect = target && permission(target, "select", ctx.access);
    if (!rel || !target || !targetSelect) throw new GraphqlError("validation-failed", `field '${name}' not found in type: '${table.rootName}'`, here);
    ctx.aliases += 1;
    const inner = `r${ctx.aliases}`;
    const join = rel.on.map(([mine, theirs]) => `${inner}.${quoteIdent(theirs)} = ${alias}.${quoteIdent(mine)}`).join(" AND ");
    const filter = condition(targetSelect.filter, target, target.columnNames, ctx.access, ctx.params, "permission", here, inner, ctx.tables);
    const json = rowJson(ctx, target, targetSelect, s.selectionSet, inner, here);
    if (rel.kind === "object") return `${key}, (SELECT ${json} FROM ${target.qualified} AS ${inner} WHERE ${join} AND (${filter}) LIMIT 1)`;
    const args = argumentsOf(s, ctx.variables);
    const where = condition(args.where ?? {}, target, targetSelect.columns, ctx.access, ctx.params, "client", here, inner);
    const rows = `SELECT ${json} AS j FROM ${target.qualified} AS ${inner} WHERE ${join} AND (${filter}) AND (${where})${orderBy(args.order_by, targetSelect.columns, here, inner)}${limits(args, targetSelect)}`;
    return `${key}, (SELECT coalesce(json_agg(x.j), '[]'::json) FROM (${rows}) AS x)`;
  });
  return `json_build_object(${parts.join(", ")})`;
}

function argumentsOf(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries((field.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, variables)]));
}

/** LIMIT/OFFSET from the client's arguments and the permission's limit (the smaller wins). */
function limits(args: Record<string, unknown>, select: Permission): string {
  const bounds = [typeof args.limit === "number" ? args.limit : undefined, select.limit].filter((n): n is number => n !== undefined);
  const limit = bounds.length > 0 ? ` LIMIT ${Math.max(0, Math.trunc(Math.min(...bounds)))}` : "";
  return `${limit}${typeof args.offset === "number" ? ` OFFSET ${Math.max(0, Math.trunc(args.offset))}` : ""}`;
}

async function selectRows(
  client: pg.PoolClient,
  ctx: SelectContext,
  table: TableInfo,
  select: Permission,
  where: unknown,
  args: Record<string, unknown>,
  field: FieldNode,
  path: string,
): Promise<unknown[]> {
  const filter = condition(select.filter, table, table.columnNames, ctx.access, ctx.params, "permission", path, "t", ctx.tables);
  const clientWhere = condition(where, table, select.columns, ctx.access, ctx.params, "client", path);
  const json = rowJson(ctx, table, select, field.selectionSet, "t", path);
  const { rows } = await client.query<{ row: unknown }>(
    `SELECT ${json} AS row FROM ${table.qualified} AS t WHERE (${filter}) AND (${clientWhere})${orderBy(args.order_by, select.columns, path)}${limits(args, select)}`,
    ctx.params,
  );
  return rows.map((r) => r.row);
}

/** `<t>_aggregate { aggregate { count } nodes { … } }`: the rows the select permission allows, counted and listed. */
async function aggregateRows(
  client: pg.PoolClient,
  ctx: SelectContext,
  table: TableInfo,
  select: Permission,
  args: Record<string, unknown>,
  field: FieldNode,
  path: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const s of field.selectionSet?.selections ?? []) {
    if (s.kind !== Kind.FIELD) throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support fragments", path);
    const key = s.alias?.value ?? s.name.value;
    const here = `${path}.selectionSet.${key}`;
    ctx.params.length = 0;
    const filter = condition(select.filter, table, table.columnNames, ctx.access, ctx.params, "permission", path, "t", ctx.tables);
    const where = condition(args.where ?? {}, table, select.columns, ctx.access, ctx.params, "client", path);
    const rows = `FROM ${table.qualified} AS t WHERE (${filter}) AND (${where})`;
    if (s.name.value === "__typename") out[key] = `${table.rootName}_aggregate`;
    else if (s.name.value === "nodes") {
      const json = rowJson(ctx, table, select, s.selectionSet, "t", here);
      const { rows: found } = await client.query<{ row: unknown }>(
        `SELECT ${json} AS row ${rows}${orderBy(args.order_by, select.columns, path)}${limits(args, select)}`,
        ctx.params,
      );
      out[key] = found.map((r) => r.row);
    } else if (s.name.value === "aggregate") {
      const fields = (s.selectionSet?.selections ?? []) as FieldNode[];
      const { rows: counted } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT 1 ${rows}${limits(args, select)}) AS x`,
        ctx.params,
      );
      out[key] = Object.fromEntries(
        fields.map((f) => {
          if (f.name.value === "count" && (f.arguments ?? []).length === 0) return [f.alias?.value ?? "count", counted[0]?.n ?? 0];
          throw new GraphqlError("not-supported", `the rehearsal's Hasura stand-in serves only aggregate { count }, not ${f.name.value}`, here);
        }),
      );
    } else {
      throw new GraphqlError("validation-failed", `field '${s.name.value}' not found in type: '${table.rootName}_aggregate'`, here);
    }
  }
  return out;
}

function orderBy(raw: unknown, allowed: string[], path: string, alias = "t"): string {
  if (raw === undefined) return "";
  const items = (Array.isArray(raw) ? raw : [raw]) as Array<Record<string, unknown>>;
  const parts = items.flatMap((item) =>
    Object.entries(item).map(([column, direction]) => {
      const dir = String(direction);
      const sql = {
        asc: "ASC",
        desc: "DESC",
        asc_nulls_first: "ASC NULLS FIRST",
        asc_nulls_last: "ASC NULLS LAST",
        desc_nulls_first: "DESC NULLS FIRST",
        desc_nulls_last: "DESC NULLS LAST",
      }[dir];
      if (!allowed.includes(column) || !sql)
        throw new GraphqlError("validation-failed", `field '${column}' not found in type: 'order_by'`, `${path}.args.order_by`);
      return `${alias}.${quoteIdent(column)} ${sql}`;
    }),
  );
  return parts.length > 0 ? ` ORDER BY ${parts.join(", ")}` : "";
}

/** Presets: literal values, or session variables (`X-Hasura-User-Id`) taken from the session. */
function presetValue(value: unknown, access: Access): unknown {
  if (!isSessionVariable(value)) return value;
  const found = sessionOf(access)[value.toLowerCase()];
  if (found === undefined) throw new GraphqlError("not-found", `missing session variable: "${value.toLowerCase()}"`, "$");
  return found;
}

/** Rows changed by a mutation, as full rows, with the permission's `check` evaluated on each. */
async function returningChecked(
  client: pg.PoolClient,
  table: TableInfo,
  mutationSql: string,
  params: unknown[],
  check: unknown,
  access: Access,
  path: string,
): Promise<Array<Record<string, unknown>>> {
  const checkSql = condition(check ?? {}, table, table.columnNames, access, params, "permission", path);
  const { rows } = await client.query<{ row: Record<string, unknown>; ok: boolean }>(
    `WITH changed AS (${mutationSql} RETURNING *) SELECT to_json(t) AS row, (${checkSql}) AS ok FROM changed AS t`,
    params,
  );
  if (rows.some((r) => r.ok !== true)) throw new GraphqlError("permission-error", "check constraint of an insert/update permission has failed", path);
  return rows.map((r) => r.row);
}

async function insertRows(
  client: pg.PoolClient,
  table: TableInfo,
  perm: Permission,
  access: Access,
  objects: unknown,
  path: string,
): Promise<Array<Record<string, unknown>>> {
  if (!Array.isArray(objects) || objects.some((o) => !o || typeof o !== "object"))
    throw new GraphqlError("validation-failed", "expected a list of objects", path);
  const presets = Object.fromEntries(Object.entries(perm.set ?? {}).map(([k, v]) => [k, presetValue(v, access)]));
  const rows = (objects as Array<Record<string, unknown>>).map((o, i) => {
    for (const key of Object.keys(o)) {
      if (!perm.columns.includes(key))
        throw new GraphqlError(
          "validation-failed",
          `field '${key}' not found in type: '${table.rootName}_insert_input'`,
          `${path}${Array.isArray(objects) && path.endsWith("objects") ? `[${i}]` : ""}.${key}`,
        );
    }
    return { ...o, ...presets };
  });
  if (rows.length === 0) return [];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const params: unknown[] = [];
  const values = rows.map((r) => `(${columns.map((c) => (c in r ? `$${params.push(r[c])}` : "DEFAULT")).join(", ")})`);
  const insert =
    columns.length > 0
      ? `INSERT INTO ${table.qualified} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${values.join(", ")}`
      : `INSERT INTO ${table.qualified} DEFAULT VALUES`;
  return returningChecked(client, table, insert, params, perm.check, access, path);
}

async function updateRows(
  client: pg.PoolClient,
  table: TableInfo,
  perm: Permission,
  access: Access,
  where: unknown,
  args: Record<string, unknown>,
  path: string,
): Promise<Array<Record<string, unknown>>> {
  const set = (args._set ?? {}) as Record<string, unknown>;
  if (args._set === undefined && args._inc === undefined)
    throw new GraphqlError("validation-failed", "at least any one of _set, _inc is expected", `${path}.args`);
  if (args._inc !== undefined) throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support _inc", `${path}.args._inc`);
  for (const key of Object.keys(set)) {
    if (!perm.columns.includes(key))
      throw new GraphqlError("validation-failed", `field '${key}' not found in type: '${table.rootName}_set_input'`, `${path}.args._set.${key}`);
  }
  const values = { ...set, ...Object.fromEntries(Object.entries(perm.set ?? {}).map(([k, v]) => [k, presetValue(v, access)])) };
  if (Object.keys(values).length === 0) return [];
  const params: unknown[] = [];
  const assignments = Object.entries(values).map(([c, v]) => `"${c}" = $${params.push(v)}`);
  const filter = condition(perm.filter, table, table.columnNames, access, params, "permission", path);
  const clientWhere = condition(where, table, permissionSelectColumns(table, access), access, params, "client", path);
  const sql = `UPDATE ${table.qualified} AS t SET ${assignments.join(", ")} WHERE (${filter}) AND (${clientWhere})`;
  return returningChecked(client, table, sql, params, perm.check, access, path);
}

async function deleteRows(
  client: pg.PoolClient,
  table: TableInfo,
  perm: Permission,
  access: Access,
  where: unknown,
  path: string,
): Promise<Array<Record<string, unknown>>> {
  const params: unknown[] = [];
  const filter = condition(perm.filter, table, table.columnNames, access, params, "permission", path);
  const clientWhere = condition(where, table, permissionSelectColumns(table, access), access, params, "client", path);
  return returningChecked(client, table, `DELETE FROM ${table.qualified} AS t WHERE (${filter}) AND (${clientWhere})`, params, {}, access, path);
}

/** A mutation's `where` may name the columns the role can select (Hasura's <t>_bool_exp for the role). */
function permissionSelectColumns(table: TableInfo, access: Access): string[] {
  return permission(table, "select", access)?.columns ?? [];
}

/** `{affected_rows, returning}` or, for single-row fields, the row (null when none changed or it is not visible). */
async function mutationAnswer(
  client: pg.PoolClient,
  table: TableInfo,
  select: Permission | undefined,
  access: Access,
  rows: Array<Record<string, unknown>>,
  field: FieldNode,
  path: string,
  single: boolean,
): Promise<unknown> {
  // Returned rows are what the role may select: the select filter applies to them too.
  const visible = async (): Promise<Array<Record<string, unknown>>> => {
    if (!select) return [];
    const params: unknown[] = [JSON.stringify(rows)];
    const filter = condition(select.filter, table, table.columnNames, access, params, "permission", path);
    const { rows: kept } = await client.query<{ row: Record<string, unknown> }>(
      `SELECT to_json(t) AS row FROM json_populate_recordset(NULL::${table.qualified}, $1::json) AS t WHERE ${filter}`,
      params,
    );
    return kept.map((r) => r.row);
  };
  if (single) {
    const cols = selectedColumns(table, select?.columns ?? [], field.selectionSet, path);
    const row = (await visible())[0];
    return row ? Object.fromEntries(cols.map((c) => [c.alias, c.column === "__typename" ? table.rootName : row[c.column]])) : null;
  }
  const out: Record<string, unknown> = {};
  for (const s of field.selectionSet?.selections ?? []) {
    if (s.kind !== Kind.FIELD) throw new GraphqlError("not-supported", "the rehearsal's Hasura stand-in does not support fragments", path);
    const key = s.alias?.value ?? s.name.value;
    if (s.name.value === "affected_rows") out[key] = rows.length;
    else if (s.name.value === "returning" && select) {
      const cols = selectedColumns(table, select.columns, s.selectionSet, `${path}.selectionSet.returning`);
      out[key] = (await visible()).map((row) =>
        Object.fromEntries(cols.map((c) => [c.alias, c.column === "__typename" ? table.rootName : row[c.column]])),
      );
    } else {
      throw new GraphqlError(
        "validation-failed",
        `field '${s.name.value}' not found in type: '${table.rootName}_mutation_response'`,
        `${path}.selectionSet.${key}`,
      );
    }
  }
  return out;
}

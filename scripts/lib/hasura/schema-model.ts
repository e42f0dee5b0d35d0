// The tracked tables as the database and the metadata describe them together: columns with their types,
// nullability and defaults, primary keys, foreign keys, and each relationship of the metadata resolved
// to the column pairs it joins on. One catalog query (CATALOG_SQL) feeds it, sent over a pg connection
// (the permission proof, the rehearsal's stand-in) or through Hasura's run_sql (the smoke, which holds
// only the admin secret), so all three read the schema the same way.
//
// Relationship shapes follow Hasura's metadata format (docs/docs/schema/postgres/table-relationships/
// create.mdx and the syntax-defs for ObjectRelationship / ArrayRelationship):
//   object: using.foreign_key_constraint_on: <column> | [<columns>]          (this table's FK)
//           using.foreign_key_constraint_on: {table, column | columns}     (the remote table's FK to this one)
//   array:  using.foreign_key_constraint_on: {table, column | columns}     (the remote table's FK to this one)
//   both:   using.manual_configuration: {remote_table, column_mapping: {local: remote}}

import { ExpectedFailure } from "../../../core/expected-failure.js";
import type { BoolExpTable } from "./bool-exp.js";
import type { TableMetadata } from "./metadata.js";

export class SchemaModelError extends ExpectedFailure {}

/**
 * Every user table's columns, primary key and foreign keys as one JSON value. pg_catalog, as Hasura
 * introspects: information_schema hides tables the role has no grant on. No parameters, so it can go
 * through run_sql as it is.
 */
export const CATALOG_SQL = `
WITH rel AS (
  SELECT c.oid, n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'hdb_catalog')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
)
SELECT json_build_object(
  'columns', (SELECT coalesce(json_agg(json_build_object(
      'schema', r.schema, 'table', r.table, 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
      'notNull', a.attnotnull, 'hasDefault', a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
      'generated', a.attidentity = 'a' OR a.attgenerated <> '') ORDER BY r.schema, r.table, a.attnum), '[]'::json)
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid WHERE a.attnum > 0 AND NOT a.attisdropped),
  'primaryKeys', (SELECT coalesce(json_agg(json_build_object('schema', r.schema, 'table', r.table,
      'columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.attnum))), '[]'::json)
    FROM rel r JOIN pg_index i ON i.indrelid = r.oid WHERE i.indisprimary),
  'foreignKeys', (SELECT coalesce(json_agg(json_build_object('schema', r.schema, 'table', r.table, 'name', con.conname,
      'columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
      'refSchema', rn.nspname, 'refTable', rc.relname,
      'refColumns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)) ORDER BY con.conname), '[]'::json)
    FROM rel r JOIN pg_constraint con ON con.conrelid = r.oid AND con.contype = 'f'
    JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace)
) AS catalog`;

export interface ColumnInfo {
  name: string;
  /** PostgreSQL's format_type, e.g. `text`, `integer`, `character varying(40)`, `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** A default, identity or generated expression fills it when an insert leaves it out. */
  hasDefault: boolean;
  /** GENERATED ALWAYS (identity or stored): an insert may not give it a value. */
  generated: boolean;
}

export interface ForeignKey {
  name: string;
  columns: string[];
  /** `schema.table` */
  target: string;
  refColumns: string[];
}

export interface RelationshipModel {
  name: string;
  kind: "object" | "array";
  /** `schema.table` of the rows it reaches. */
  target: string;
  /** [this table's column, the target's column] pairs the join compares. */
  on: Array<[string, string]>;
}

export interface TableModel {
  /** `schema.table` */
  key: string;
  schema: string;
  name: string;
  /** `"schema"."table"`, quoted for SQL. */
  qualified: string;
  /** Hasura's root field name: `users` for public.users, `<schema>_<table>` elsewhere. */
  rootName: string;
  /** Empty when the table does not exist in the database. */
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
  relationships: RelationshipModel[];
  metadata: TableMetadata;
}

export interface Catalog {
  columns: Array<ColumnInfo & { schema: string; table: string }>;
  primaryKeys: Array<{ schema: string; table: string; columns: string[] }>;
  foreignKeys: Array<{ schema: string; table: string; name: string; columns: string[]; refSchema: string; refTable: string; refColumns: string[] }>;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function tableKey(table: { schema: string; name: string }): string {
  return `${table.schema}.${table.name}`;
}

/** The catalog as CATALOG_SQL returns it, from a pg client. */
export async function readCatalog(client: { query: (sql: string) => Promise<{ rows: Array<{ catalog: unknown }> }> }): Promise<Catalog> {
  const { rows } = await client.query(CATALOG_SQL);
  return parseCatalog(rows[0]?.catalog);
}

export function parseCatalog(raw: unknown): Catalog {
  const value = typeof raw === "string" ? (JSON.parse(raw) as unknown) : raw;
  const c = value as Partial<Catalog> | null;
  if (!c || !Array.isArray(c.columns) || !Array.isArray(c.primaryKeys) || !Array.isArray(c.foreignKeys)) {
    throw new SchemaModelError("the catalog query answered something other than {columns, primaryKeys, foreignKeys}");
  }
  return c as Catalog;
}

/** The tracked tables, each with what the catalog says of it and its relationships resolved. */
export function schemaModel(tables: TableMetadata[], catalog: Catalog): TableModel[] {
  const models = tables.map((metadata): TableModel => {
    const { schema, name } = metadata.table;
    const here = (r: { schema: string; table: string }) => r.schema === schema && r.table === name;
    return {
      key: tableKey(metadata.table),
      schema,
      name,
      qualified: `${quoteIdent(schema)}.${quoteIdent(name)}`,
      rootName: schema === "public" ? name : `${schema}_${name}`,
      columns: catalog.columns.filter(here).map(({ name, type, notNull, hasDefault, generated }) => ({ name, type, notNull, hasDefault, generated })),
      primaryKey: catalog.primaryKeys.find(here)?.columns ?? [],
      foreignKeys: catalog.foreignKeys
        .filter(here)
        .map((fk) => ({ name: fk.name, columns: fk.columns, target: `${fk.refSchema}.${fk.refTable}`, refColumns: fk.refColumns })),
      relationships: [],
      metadata,
    };
  });
  const byKey = new Map(models.map((m) => [m.key, m]));
  const foreignKeysOf = (key: string) =>
    byKey.get(key)?.foreignKeys ??
    catalog.foreignKeys
      .filter((fk) => `${fk.schema}.${fk.table}` === key)
      .map((fk) => ({ name: fk.name, columns: fk.columns, target: `${fk.refSchema}.${fk.refTable}`, refColumns: fk.refColumns }));
  for (const model of models) {
    for (const kind of ["object", "array"] as const) {
      const list = (model.metadata[`${kind}_relationships`] ?? []) as Array<{ name?: unknown; using?: unknown }>;
      for (const rel of list) model.relationships.push(resolveRelationship(model, kind, rel, foreignKeysOf));
    }
  }
  return models;
}

function resolveRelationship(
  model: TableModel,
  kind: "object" | "array",
  rel: { name?: unknown; using?: unknown },
  foreignKeysOf: (key: string) => ForeignKey[],
): RelationshipModel {
  const name = typeof rel.name === "string" ? rel.name : "";
  const where = `${model.key}: ${kind} relationship ${JSON.stringify(rel.name)}`;
  if (name === "") throw new SchemaModelError(`${where} has no name`);
  const using = (rel.using ?? {}) as { foreign_key_constraint_on?: unknown; manual_configuration?: unknown };
  if (using.manual_configuration !== undefined) {
    const manual = using.manual_configuration as { remote_table?: unknown; column_mapping?: unknown };
    const remote = remoteTable(manual.remote_table, where);
    const mapping = manual.column_mapping;
    if (!mapping || typeof mapping !== "object" || Object.keys(mapping).length === 0) throw new SchemaModelError(`${where}: column_mapping is empty`);
    return { name, kind, target: remote, on: Object.entries(mapping as Record<string, unknown>).map(([l, r]) => [l, String(r)]) };
  }
  const fkOn = using.foreign_key_constraint_on;
  if (typeof fkOn === "string" || Array.isArray(fkOn)) {
    if (kind === "array") throw new SchemaModelError(`${where}: an array relationship's foreign_key_constraint_on needs {table, column}`);
    const columns = (Array.isArray(fkOn) ? fkOn : [fkOn]).map(String);
    const fk = foreignKeysOf(model.key).find((f) => sameColumns(f.columns, columns));
    if (!fk) throw new SchemaModelError(`${where}: ${model.key} has no foreign key on (${columns.join(", ")})`);
    return { name, kind, target: fk.target, on: fk.columns.map((c, i) => [c, fk.refColumns[i] as string]) };
  }
  if (fkOn && typeof fkOn === "object") {
    const spec = fkOn as { table?: unknown; column?: unknown; columns?: unknown };
    const remote = remoteTable(spec.table, where);
    const columns = (Array.isArray(spec.columns) ? spec.columns : [spec.column]).map(String);
    const fk = foreignKeysOf(remote).find((f) => f.target === model.key && sameColumns(f.columns, columns));
    if (!fk) throw new SchemaModelError(`${where}: ${remote} has no foreign key on (${columns.join(", ")}) to ${model.key}`);
    return { name, kind, target: remote, on: fk.refColumns.map((c, i) => [c, fk.columns[i] as string]) };
  }
  throw new SchemaModelError(`${where}: using needs foreign_key_constraint_on or manual_configuration`);
}

function remoteTable(raw: unknown, where: string): string {
  if (typeof raw === "string" && raw !== "") return `public.${raw}`;
  const t = raw as { schema?: unknown; name?: unknown } | undefined;
  if (t && typeof t.name === "string") return `${typeof t.schema === "string" ? t.schema : "public"}.${t.name}`;
  throw new SchemaModelError(`${where}: remote table ${JSON.stringify(raw)} is not {schema, name}`);
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** The model of `key`, or an error that names it. */
export function modelOf(models: TableModel[], key: string): TableModel {
  const found = models.find((m) => m.key === key);
  if (!found) throw new SchemaModelError(`${key} is not a tracked table; track it in metadata/databases/default/tables/`);
  return found;
}

/** `model` as a boolean expression sees it: its columns, and its relationships to other tracked tables. */
export function boolExpTableOf(models: TableModel[], model: TableModel): BoolExpTable {
  return {
    columns: model.columns.map((c) => c.name),
    relationship: (name) => {
      const rel = model.relationships.find((r) => r.name === name);
      const target = rel && models.find((m) => m.key === rel.target);
      return rel && target ? { qualified: target.qualified, table: boolExpTableOf(models, target), on: rel.on } : undefined;
    },
  };
}

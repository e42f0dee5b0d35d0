// The declared access policy (metadata/access.yaml): for each tracked table and each role, whose rows
// that role may reach. The permission proof checks the metadata's permissions against it on a real
// PostgreSQL, the smoke derives its checks from it, and `metadata apply` refuses a table or a role
// permission that has no rule, so a new table cannot ship with a permission nobody declared.
// Format and meaning: docs/access-policy.md. Hasura's CLI reads only the files its metadata objects
// name (version.yaml, databases/, actions.yaml, ...), so this file beside them changes nothing it applies.
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { ExpectedFailure } from "../../../core/expected-failure.js";
import { type Metadata, type TableMetadata, tablesOf } from "./metadata.js";
import type { TableModel } from "./schema-model.js";

export const ACCESS_POLICY_FILE = "access.yaml";

export class AccessPolicyError extends ExpectedFailure {}

/**
 * - owner: the row belongs to the user whose X-Hasura-User-Id is in `column`;
 * - ownerVia: the row belongs to whoever owns the row its object relationship(s) lead to;
 * - public-read: every user may read every row, and write none;
 * - none: the role has no permission on the table at all.
 */
export type AccessRule = { kind: "owner"; column: string } | { kind: "ownerVia"; path: string[] } | { kind: "public-read" } | { kind: "none" };

export interface AccessPolicy {
  /** `schema.table` → role → rule */
  tables: Map<string, Map<string, AccessRule>>;
}

const PERMISSION_KINDS = ["select", "insert", "update", "delete"] as const;
const RULE_SHAPES = "{owner: <column>}, {owner_via: <relationship>[.<relationship>…]}, public-read or none";

/** Reads `<dir>/access.yaml`. Its shape is checked here; whether it covers the metadata, by policyProblems. */
export function loadAccessPolicy(dir: string): AccessPolicy {
  const file = join(dir, ACCESS_POLICY_FILE);
  const shown = relative(".", file) || file;
  if (!existsSync(file)) {
    throw new AccessPolicyError(
      `${shown} is missing: every tracked table needs a rule for each role (e.g. public.users: {user: {owner: id}}); see docs/access-policy.md`,
    );
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AccessPolicyError(`${shown} is not valid YAML: ${(err as Error).message}`);
  }
  const doc = raw as { version?: unknown; tables?: unknown } | null;
  if (doc?.version !== 1) throw new AccessPolicyError(`${shown} must say version: 1; got ${JSON.stringify(doc?.version)}`);
  if (!isRecord(doc.tables)) throw new AccessPolicyError(`${shown} must have tables: a mapping of <schema>.<table> to {<role>: <rule>}`);
  const problems: string[] = [];
  const tables = new Map<string, Map<string, AccessRule>>();
  for (const [table, roles] of Object.entries(doc.tables)) {
    if (!/^[^.\s]+\.[^.\s]+$/.test(table)) {
      problems.push(`${JSON.stringify(table)} is not <schema>.<table> (e.g. public.users)`);
      continue;
    }
    if (!isRecord(roles)) {
      problems.push(`${table}: expected a mapping of role to rule, got ${JSON.stringify(roles)}`);
      continue;
    }
    const rules = new Map<string, AccessRule>();
    for (const [role, value] of Object.entries(roles)) {
      const rule = parseRule(value);
      if (rule) rules.set(role, rule);
      else problems.push(`${table}: role ${role}: the rule must be ${RULE_SHAPES}; got ${JSON.stringify(value)}`);
    }
    tables.set(table, rules);
  }
  if (problems.length > 0) throw new AccessPolicyError(`${shown} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return { tables };
}

function parseRule(value: unknown): AccessRule | undefined {
  if (value === "public-read" || value === "none") return { kind: value };
  if (!isRecord(value) || Object.keys(value).length !== 1) return undefined;
  const name = (text: unknown) => typeof text === "string" && /^[^\s.]+$/.test(text);
  if (name(value.owner)) return { kind: "owner", column: value.owner as string };
  const path = typeof value.owner_via === "string" ? value.owner_via.split(".") : [];
  if (path.length > 0 && path.every(name)) return { kind: "ownerVia", path };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The rule of `role` on `table`; tables without an entry, or roles it does not name, have none. */
export function ruleOf(policy: AccessPolicy, table: string, role: string): AccessRule | undefined {
  return policy.tables.get(table)?.get(role);
}

export function describeRule(rule: AccessRule): string {
  if (rule.kind === "owner") return `owner: ${rule.column}`;
  if (rule.kind === "ownerVia") return `owner_via: ${rule.path.join(".")}`;
  return rule.kind;
}

/** The roles that hold any permission on a tracked table. */
export function permittedRoles(table: TableMetadata): string[] {
  const roles = PERMISSION_KINDS.flatMap((kind) => ((table[`${kind}_permissions`] ?? []) as Array<{ role: string }>).map((p) => p.role));
  return [...new Set(roles)].sort();
}

/**
 * Everything the metadata and the policy disagree on, without a database: a tracked table without an
 * entry, a role permission without a rule, an entry for a table that is not tracked, an owner_via path
 * through a relationship the metadata lacks (or an array one), a path that ends at a table without an
 * owner, and roles of one table that name different owners. With the schema model (the database) it
 * also follows relationships the metadata names only by column.
 */
export function policyProblems(metadata: Metadata, policy: AccessPolicy, models?: TableModel[]): string[] {
  const problems: string[] = [];
  const tracked: Tracked = new Map(tablesOf(metadata).map(({ table }) => [`${table.table.schema}.${table.table.name}`, table]));
  for (const [key, table] of tracked) {
    const rules = policy.tables.get(key);
    if (!rules) {
      problems.push(`${key} is tracked but has no entry in metadata/${ACCESS_POLICY_FILE}; add ${key}: {user: <rule>} with a rule of ${RULE_SHAPES}`);
      continue;
    }
    for (const role of permittedRoles(table)) {
      if (!rules.has(role)) {
        const kinds = PERMISSION_KINDS.filter((k) => ((table[`${k}_permissions`] ?? []) as Array<{ role: string }>).some((p) => p.role === role));
        problems.push(`${key}: role ${role} has ${kinds.join("/")} permission(s) but no rule in metadata/${ACCESS_POLICY_FILE}; add ${role}: <rule>`);
      }
    }
    const owners = new Set([...rules.values()].filter((r) => r.kind === "owner" || r.kind === "ownerVia").map(describeRule));
    if (owners.size > 1) problems.push(`${key}: its roles name different owners (${[...owners].join("; ")}); a table has one owner`);
    for (const [role, rule] of rules) {
      if (rule.kind !== "ownerVia") continue;
      const problem = viaProblem(tracked, models, policy, key, role, rule.path, [key]);
      if (problem) problems.push(`${key}: role ${role}: owner_via ${rule.path.join(".")}: ${problem}`);
    }
  }
  for (const key of policy.tables.keys()) {
    if (!tracked.has(key))
      problems.push(`metadata/${ACCESS_POLICY_FILE} has a rule for ${key}, which is not a tracked table; remove it or track the table`);
  }
  return problems;
}

type Tracked = Map<string, TableMetadata>;

function viaProblem(
  tracked: Tracked,
  models: TableModel[] | undefined,
  policy: AccessPolicy,
  from: string,
  role: string,
  path: string[],
  seen: string[],
): string | undefined {
  let key = from;
  for (const hop of path) {
    const table = tracked.get(key);
    const objects = (table?.object_relationships ?? []) as Array<{ name?: string }>;
    const arrays = (table?.array_relationships ?? []) as Array<{ name?: string }>;
    if (arrays.some((r) => r.name === hop))
      return `${hop} is an array relationship of ${key}; a row has one owner, so the path takes object relationships only`;
    if (!objects.some((r) => r.name === hop)) return `${key} has no object relationship ${hop} in the metadata`;
    const target = targetOfRelationship(tracked, key, hop, models);
    if (target === undefined) return undefined;
    if (!tracked.has(target)) return `relationship ${hop} of ${key} leads to ${target}, which is not tracked`;
    key = target;
  }
  if (seen.includes(key)) return `the path comes back to ${key} (${[...seen, key].join(" -> ")})`;
  const end = ruleOf(policy, key, role);
  if (end?.kind === "owner") return undefined;
  if (end?.kind === "ownerVia") return viaProblem(tracked, models, policy, key, role, end.path, [...seen, key]);
  return `it ends at ${key}, whose rule for ${role} is ${end ? describeRule(end) : "missing"}; it must be owner or owner_via`;
}

/**
 * The table an object relationship leads to: from the schema model where there is one, else from the
 * metadata where it names the remote table. Undefined when only the database's foreign key can tell
 * (`foreign_key_constraint_on: <column>` without a model): the proof, which has the database, checks it.
 */
function targetOfRelationship(tracked: Tracked, key: string, name: string, models: TableModel[] | undefined): string | undefined {
  if (models) return models.find((m) => m.key === key)?.relationships.find((r) => r.name === name)?.target;
  const rel = ((tracked.get(key)?.object_relationships ?? []) as Array<{ name?: string; using?: Record<string, unknown> }>).find(
    (r) => r.name === name,
  );
  const using = rel?.using ?? {};
  const manual = using.manual_configuration as { remote_table?: { schema?: string; name?: string } | string } | undefined;
  const remote = manual?.remote_table ?? (using.foreign_key_constraint_on as { table?: { schema?: string; name?: string } } | undefined)?.table;
  if (typeof remote === "string") return `public.${remote}`;
  return remote?.name ? `${remote.schema ?? "public"}.${remote.name}` : undefined;
}

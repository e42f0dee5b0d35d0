// The smoke's checks for every owned table, derived from the access policy and the metadata: the caller
// reads exactly its own seeded rows through the list field, sees another user's row as null through
// `_by_pk`, counts only its own through `_aggregate` (where allowed), meets no other user's row through
// any relationship that leads to the table, can neither update nor delete another user's row, and cannot
// insert a row for someone else. Hasura's rules behind each expectation: docs/access-policy.md.
import { USER_ROLE } from "../../../core/jwt-policy.js";
import { ownershipOf, planRow } from "../hasura/proof-rows.js";
import type { TableModel } from "../hasura/schema-model.js";
import type { GraphqlResponse } from "../net/graphql.js";
import type { CheckOutcome, SmokeCheck } from "./checks.js";
import { describe, type SmokeSession } from "./session.js";
import { type FixtureRow, gql, pkKey, rowsWhere, type TableFixture } from "./table-fixture.js";

type Permission = { columns?: string[] | "*"; allow_aggregations?: boolean; set?: Record<string, unknown> };

function permissionOf(model: TableModel, kind: "select" | "insert" | "update" | "delete"): Permission | undefined {
  return ((model.metadata[`${kind}_permissions`] ?? []) as Array<{ role: string; permission: Permission }>).find((p) => p.role === USER_ROLE)
    ?.permission;
}

function columnsOf(model: TableModel, perm: Permission | undefined): string[] {
  return perm?.columns === "*" ? model.columns.map((c) => c.name) : (perm?.columns ?? []);
}

function data(response: GraphqlResponse): Record<string, unknown> | undefined {
  return response.answer.kind === "data" ? response.answer.data : undefined;
}

const keysOf = (model: TableModel, rows: FixtureRow[]) => rows.map((r) => pkKey(model, r.values)).sort();

/** Every per-table check, grouped by table in the order the tables are tracked. */
export function tableChecks(fixture: TableFixture): SmokeCheck[] {
  return fixture.ownedTables().flatMap((model) => checksFor(fixture, model));
}

function checksFor(fixture: TableFixture, model: TableModel): SmokeCheck[] {
  const group = model.key;
  const select = permissionOf(model, "select");
  const pk = model.primaryKey.join(" ");
  const mine = (s: SmokeSession) => fixture.rowsOf(model, s.own);
  const theirs = (s: SmokeSession) => fixture.rowsOf(model, s.other)[0] as FixtureRow;
  const seeded = (s: SmokeSession) => [...mine(s), theirs(s)];
  const check = (name: string, run: (s: SmokeSession) => Promise<CheckOutcome>, applies?: SmokeCheck["applies"]): SmokeCheck => ({
    name: `${model.key}: ${name}`,
    group,
    ...(applies ? { applies } : {}),
    run: async (s) => {
      s.step = `check "${model.key}: ${name}"`;
      return run(s);
    },
  });
  const listed = (response: GraphqlResponse, field = "r") =>
    (data(response)?.[field] as Array<Record<string, unknown>> | undefined)?.map((row) => pkKey(model, row)).sort();

  const checks: SmokeCheck[] = [
    check("the list field shows exactly the caller's rows", async (s) => {
      const response = await s.call(
        `query { r: ${model.rootName}(where: ${gql(rowsWhere(model, seeded(s)))}) { ${pk} } }`,
        {},
        await s.asUser(s.own),
      );
      const got = listed(response);
      const expected = JSON.stringify(keysOf(model, mine(s)));
      return { expected, response, got: got ? JSON.stringify(got) : describe(response.answer), ok: JSON.stringify(got) === expected };
    }),
    check("another user's row through _by_pk is null", async (s) => {
      const args = model.primaryKey.map((c) => `${c}: ${gql(theirs(s).values[c])}`).join(", ");
      const response = await s.call(`query { r: ${model.rootName}_by_pk(${args}) { ${pk} } }`, {}, await s.asUser(s.own));
      const row = data(response)?.r;
      return { expected: "null", response, got: row === undefined ? describe(response.answer) : JSON.stringify(row), ok: row === null };
    }),
  ];
  if (select?.allow_aggregations === true) {
    checks.push(
      check("_aggregate counts only the caller's rows", async (s) => {
        const where = gql(rowsWhere(model, seeded(s)));
        const response = await s.call(`query { r: ${model.rootName}_aggregate(where: ${where}) { aggregate { count } } }`, {}, await s.asUser(s.own));
        const count = (data(response)?.r as { aggregate?: { count?: number } } | undefined)?.aggregate?.count;
        return {
          expected: `count ${mine(s).length}`,
          response,
          got: count === undefined ? describe(response.answer) : `count ${count}`,
          ok: count === mine(s).length,
        };
      }),
    );
  }
  for (const source of fixture.models) {
    if (!permissionOf(source, "select") || source.primaryKey.length === 0) continue;
    for (const rel of source.relationships.filter((r) => r.target === model.key)) {
      checks.push(
        check(
          `no other user's row through ${source.rootName}.${rel.name}`,
          async (s) => {
            const from = fixture.rowsOf(source);
            const response = await s.call(
              `query { r: ${source.rootName}(where: ${gql(rowsWhere(source, from))}) { ${rel.name} { ${pk} } } }`,
              {},
              await s.asUser(s.own),
            );
            const reached = (data(response)?.r as Array<Record<string, unknown>> | undefined)?.flatMap((row) => {
              const value = row[rel.name];
              return (Array.isArray(value) ? value : value ? [value] : []).map((r) => pkKey(model, r as Record<string, unknown>));
            });
            const forbidden = pkKey(model, theirs(s).values);
            const got = reached ? `reached ${JSON.stringify(reached.sort())}` : describe(response.answer);
            return { expected: `not ${forbidden}`, response, got, ok: reached !== undefined && !reached.includes(forbidden) };
          },
          () => fixture.rowsOf(source).length > 0,
        ),
      );
    }
  }
  checks.push(
    check("another user's row cannot be updated", async (s) => {
      const fixed = new Set([...(ownershipOf(model, fixture.policy)?.columns ?? []), ...model.primaryKey]);
      const column = model.columns.find((c) => columnsOf(model, permissionOf(model, "update")).includes(c.name) && !fixed.has(c.name));
      const target = theirs(s);
      if (!column) return refusedField(s, model, `update_${model.rootName}(where: ${gql(rowsWhere(model, [target]))}, _set: {}) { affected_rows }`);
      const value = fixture.sample(model, column);
      const response = await s.call(
        `mutation { r: update_${model.rootName}(where: ${gql(rowsWhere(model, [target]))}, _set: {${column.name}: ${gql(value)}}) { affected_rows } }`,
        {},
        await s.asUser(s.own),
      );
      const affected = (data(response)?.r as { affected_rows?: number } | undefined)?.affected_rows;
      const stored = (await fixture.adminRow(model, target.values))?.[column.name];
      const unchanged = JSON.stringify(stored) === JSON.stringify(target.values[column.name]);
      return {
        expected: `affected_rows 0, ${column.name} unchanged`,
        response,
        got: `affected_rows ${affected ?? describe(response.answer)}, ${column.name} ${unchanged ? "unchanged" : `now ${JSON.stringify(stored)}`}`,
        ok: affected === 0 && unchanged,
      };
    }),
    check("another user's row cannot be deleted", async (s) => {
      const target = theirs(s);
      const mutation = `delete_${model.rootName}(where: ${gql(rowsWhere(model, [target]))}) { affected_rows }`;
      if (!permissionOf(model, "delete")) return refusedField(s, model, mutation);
      const response = await s.call(`mutation { r: ${mutation} }`, {}, await s.asUser(s.own));
      const affected = (data(response)?.r as { affected_rows?: number } | undefined)?.affected_rows;
      const still = (await fixture.adminRow(model, target.values)) !== null;
      return {
        expected: "affected_rows 0, row still there",
        response,
        got: `affected_rows ${affected ?? describe(response.answer)}, row ${still ? "still there" : "gone"}`,
        ok: affected === 0 && still,
      };
    }),
    check("an insert cannot choose another owner", async (s) => {
      const ownership = ownershipOf(model, fixture.policy);
      const insert = permissionOf(model, "insert");
      // The other user's values for the owner column (or the owner_via relationship's columns), the
      // caller's own values for whatever else the client may send.
      const forged = await planRow(fixture.models, fixture.policy, model, s.other, fixture);
      const allowed = new Set([...columnsOf(model, insert), ...(ownership?.columns ?? [])]);
      const sent = (c: string) => (allowed.has(c) && !model.primaryKey.includes(c)) || ownership?.columns.includes(c) === true;
      const object = Object.fromEntries(Object.entries(forged).filter(([c]) => sent(c)));
      const response = await s.call(`mutation { r: insert_${model.rootName}_one(object: ${gql(object)}) { ${pk} } }`, {}, await s.asUser(s.own));
      const created = data(response)?.r as Record<string, unknown> | null | undefined;
      if (created) fixture.remember({ model, owner: s.other, values: created, created: true });
      const code = response.answer.kind === "error" ? response.answer.code : undefined;
      return {
        expected: "error validation-failed or permission-error, no row",
        response,
        got: describe(response.answer),
        ok: !created && (code === "validation-failed" || code === "permission-error"),
      };
    }),
  );
  return checks;
}

/** Without the permission the mutation field does not exist for the role: Hasura answers validation-failed. */
async function refusedField(s: SmokeSession, model: TableModel, mutation: string): Promise<CheckOutcome> {
  const response = await s.call(`mutation { r: ${mutation} }`, {}, await s.asUser(s.own));
  const ok = response.answer.kind === "error" && response.answer.code === "validation-failed";
  return { expected: `error validation-failed (no such field for role ${USER_ROLE} on ${model.key})`, response, got: describe(response.answer), ok };
}

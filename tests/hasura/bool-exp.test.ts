// The filter-to-SQL translation against a real PostgreSQL: each operator selects exactly the rows
// Hasura's semantics say it should.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boolExpToSql } from "../../scripts/lib/hasura/bool-exp.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";

let db: TestDatabase;
const columns = ["id", "n", "tag"];
const session = { "x-hasura-user-id": "b", "x-hasura-min": "2", "x-hasura-ids": "{a,c}" };

beforeAll(async () => {
  db = await freshDatabase("boolexp");
  await db.client.query(`CREATE TABLE items (id text PRIMARY KEY, n int, tag text);
    INSERT INTO items VALUES ('a', 1, 'x'), ('b', 2, NULL), ('c', 3, 'y');`);
});
afterAll(async () => {
  await db.drop();
});

async function ids(exp: unknown): Promise<string[]> {
  const { sql, params } = boolExpToSql(exp, { alias: "t", columns, session });
  const { rows } = await db.client.query<{ id: string }>(`SELECT id FROM items t WHERE ${sql} ORDER BY id`, params);
  return rows.map((r) => r.id);
}

describe("boolean expressions on PostgreSQL", () => {
  it.each([
    [{}, ["a", "b", "c"]],
    [{ id: { _eq: "X-Hasura-User-Id" } }, ["b"]],
    [{ id: { _eq: "x-hasura-user-id" } }, ["b"]],
    [{ id: { _neq: "X-Hasura-User-Id" } }, ["a", "c"]],
    [{ n: { _gt: 1 } }, ["b", "c"]],
    [{ n: { _gte: "X-Hasura-Min" } }, ["b", "c"]],
    [{ n: { _lt: 2 } }, ["a"]],
    [{ n: { _lte: 2 } }, ["a", "b"]],
    [{ id: { _in: ["a", "X-Hasura-User-Id"] } }, ["a", "b"]],
    [{ id: { _nin: ["a"] } }, ["b", "c"]],
    [{ id: { _in: [] } }, []],
    [{ id: { _in: "X-Hasura-Ids" } }, ["a", "c"]],
    [{ tag: { _is_null: true } }, ["b"]],
    [{ tag: { _is_null: false } }, ["a", "c"]],
    [{ _and: [{ n: { _gt: 1 } }, { tag: { _is_null: false } }] }, ["c"]],
    [{ _and: [] }, ["a", "b", "c"]],
    [{ _or: [{ id: { _eq: "a" } }, { n: { _eq: 3 } }] }, ["a", "c"]],
    [{ _or: [] }, []],
    [{ _not: { id: { _eq: "X-Hasura-User-Id" } } }, ["a", "c"]],
    [{ n: { _gt: 1, _lt: 3 } }, ["b"]],
    [{ id: { _neq: "a" }, n: { _lt: 3 } }, ["b"]],
  ])("%j selects %j", async (exp, expected) => {
    expect(await ids(exp)).toEqual(expected);
  });

  it.each([
    [{ id: { _like: "a%" } }, "$.id._like: unknown operator _like"],
    [{ _exists: {} }, "$._exists: unknown operator _exists"],
    [{ owner: { _eq: 1 } }, '"owner" is not a column or relationship of the table'],
    [{ id: { _eq: null } }, "$.id._eq: a null operand is not supported"],
    [{ id: { _eq: "X-Hasura-Org-Id" } }, '$.id._eq: missing session variable: "x-hasura-org-id"'],
    [{ id: "a" }, '$.id: expected {operator: value}, got "a"'],
  ])("refuses %j", (exp, message) => {
    expect(() => boolExpToSql(exp, { alias: "t", columns, session })).toThrow(message);
  });
});

// The migration plan without a database: what `up` adopts, re-records, applies and refuses, and what
// `down` reverts, from the migrations on disk and the recorded history alone.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checksumOf, type Migration, MigrationError } from "../../scripts/lib/db/migration-files.js";
import { type AppliedMigration, planDown, planUp, statusOf } from "../../scripts/lib/db/migration-plan.js";

function migration(version: string, name: string, upSql = `-- ${name}\n`, down = true): Migration {
  const id = `${version}_${name}`;
  return { version, name, id, upPath: `m/${id}/up.sql`, downPath: down ? `m/${id}/down.sql` : undefined, upSql, checksum: checksumOf(upSql) };
}

function applied(...entries: Array<[Migration, string?]>): Map<string, AppliedMigration> {
  return new Map(
    entries.map(([m, checksum]) => [
      m.version,
      { version: m.version, name: m.name, checksum: checksum ?? m.checksum, appliedAt: new Date(0), durationMs: 1 },
    ]),
  );
}

const a = migration("1700000000001", "create_users");
const b = migration("1700000000002", "add_last_seen");
const c = migration("1700000000003", "add_index");

describe("planUp", () => {
  it("applies what is pending, oldest first, and nothing when all is applied", () => {
    expect(planUp([a, b, c], applied([a]), undefined, {}).apply.map((m) => m.id)).toEqual([b.id, c.id]);
    const done = planUp([a, b], applied([a], [b]), undefined, {});
    expect(done.apply).toEqual([]);
    expect(done.alreadyApplied).toBe(2);
  });

  it("adopts what the Hasura CLI applied instead of running it again, and refuses a version it marks dirty", () => {
    const plan = planUp([a, b, c], applied([a]), { [b.version]: false }, {});
    expect(plan.adopt.map((m) => m.id)).toEqual([b.id]);
    expect(plan.apply.map((m) => m.id)).toEqual([c.id]);
    expect(() => planUp([a, b], applied([a]), { [b.version]: true }, {})).toThrow(/cli_state marks 1700000000002_add_last_seen dirty/);
  });

  it("refuses an applied migration edited since, before anything, unless the edit is accepted (then re-recorded)", () => {
    const history = applied([a, checksumOf("-- the original\n")]);
    expect(() => planUp([a, b], history, undefined, {})).toThrow(MigrationError);
    expect(() => planUp([a, b], history, undefined, {})).toThrow(/changed since they were applied: m\/1700000000001_create_users\/up.sql/);
    const accepted = planUp([a, b], history, undefined, { allowChanged: true });
    expect(accepted.recordChecksum).toEqual([{ migration: a, why: "changed" }]);
    expect(accepted.apply).toEqual([b]);
  });

  it("re-records a checksum taken of CRLF bytes (the older form) without calling it an edit", () => {
    const crlf = migration("1700000000001", "create_users", "CREATE TABLE t ();\r\n");
    const rawChecksum = createHash("sha256").update(crlf.upSql).digest("hex");
    expect(rawChecksum).not.toBe(crlf.checksum);
    expect(planUp([crlf], applied([crlf, rawChecksum]), undefined, {}).recordChecksum).toEqual([{ migration: crlf, why: "older-form" }]);
  });

  it("refuses a pending migration older than the newest applied unless out-of-order is allowed; adopted ones count as applied", () => {
    expect(() => planUp([a, b, c], applied([a], [c]), undefined, {})).toThrow(
      /older than the newest applied \(1700000000003\): 1700000000002_add_last_seen/,
    );
    expect(planUp([a, b, c], applied([a], [c]), undefined, { allowOutOfOrder: true }).apply).toEqual([b]);
    // c adopted from cli_state makes b out of order too.
    expect(() => planUp([a, b, c], applied([a]), { [c.version]: false }, {})).toThrow(/older than the newest applied/);
  });
});

describe("planDown", () => {
  it("reverts the newest first, as many as asked", () => {
    expect(planDown([a, b, c], applied([a], [b], [c]), 2).map((m) => m.id)).toEqual([c.id, b.id]);
    expect(planDown([a], applied(), 1)).toEqual([]);
  });

  it("refuses before reverting anything when a target has no down.sql or is gone from the directory", () => {
    const noDown = migration("1700000000002", "add_last_seen", "-- x\n", false);
    expect(() => planDown([a, noDown, c], applied([a], [noDown], [c]), 2)).toThrow(/1700000000002_add_last_seen has no down.sql/);
    expect(() => planDown([a, b], applied([a], [b], [c]), 1)).toThrow(/Applied migration 1700000000003_add_index is not in the migrations directory/);
  });
});

describe("statusOf", () => {
  it("lists applied, pending, changed and missing migrations by id", () => {
    const gone = migration("1600000000000", "old_one");
    const lines = statusOf([a, b, c], applied([gone], [a], [b, "0".repeat(64)]));
    expect(lines.map((l) => [l.id, l.state])).toEqual([
      [gone.id, "missing"],
      [a.id, "applied"],
      [b.id, "changed"],
      [c.id, "pending"],
    ]);
  });
});

// Deploy REHEARSALS (stand-ins for the engine, Docker, Hasura and Kinde) of trees that must not
// deploy. Each failure must name the step, as `pulumi up` would.
import { describe, expect, it } from "vitest";
import { rehearse } from "../../dev/rehearsal/rehearse.js";
import { type ProjectCopy, projectCopy } from "../support/project-copy.js";
import { openRehearsedDatabase } from "../support/rehearsal-state.js";

// These trees fail at a step, not in the compiler: the language host's type-check (which tsc and the
// dev rehearsal already cover) is skipped with Pulumi's own switch, to keep the suite fast.
const env = { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
const rehearseCopy = (copy: ProjectCopy, stack = "dev") => rehearse({ projectRoot: copy.root, stack, stateRoot: copy.stateRoot, env });

describe("rehearsals that must fail (stand-ins for the engine, Docker and Hasura)", () => {
  it("stops at the migrations step on a broken migration, with nothing of it applied", { timeout: 60_000 }, async () => {
    const copy = projectCopy("rehearse-broken-migration");
    copy.write("migrations/default/1764115300000_half/up.sql", "CREATE TABLE public.half_done (id int);\nSELECT no_such_column FROM public.users;\n");
    copy.write("migrations/default/1764115300000_half/down.sql", "DROP TABLE public.half_done;\n");
    const report = await rehearseCopy(copy);
    expect(report.ok).toBe(false);
    expect(report.failure?.step).toBe("migrations-run");
    expect(report.failure?.message).toMatch(/^exit status 1: running "node --import tsx scripts\/migrate\.ts up":/);
    expect(report.failure?.message).toContain("1764115300000_half/up.sql");
    expect(report.timeline.map((t) => t.name)).not.toContain("metadata-run");

    // Open the stack's volume again, as a new container would: the users table is there, half_done is not.
    const db = await openRehearsedDatabase(copy.stateRoot, "dev");
    try {
      const { rows } = await db.client.query(
        "SELECT to_regclass('public.users') IS NOT NULL AS users, to_regclass('public.half_done') IS NOT NULL AS half",
      );
      expect(rows[0]).toEqual({ users: true, half: false });
    } finally {
      await db.close();
    }
  });

  it("stops at the smoke gate when the user select filter is {} in the metadata", { timeout: 60_000 }, async () => {
    const copy = projectCopy("rehearse-open-filter");
    copy.edit(
      "metadata/databases/default/tables/public_users.yaml",
      "      filter:\n        id:\n          _eq: X-Hasura-User-Id\n      allow_aggregations: false",
      "      filter: {}\n      allow_aggregations: false",
    );
    const report = await rehearseCopy(copy);
    expect(report.ok).toBe(false);
    expect(report.failure?.step).toBe("smoke-run");
    expect(report.failure?.message).toContain("FAILED list returns only the caller's row");
    expect(report.failure?.message).toContain("FAILED users_by_pk of another user is null");
    // The metadata step itself applied it: Hasura (and the stand-in) accept an open filter.
    expect(report.timeline.find((t) => t.name === "metadata-run")?.ok).toBe(true);
  });
});
